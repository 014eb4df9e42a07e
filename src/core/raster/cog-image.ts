/**
 * One IFD's tags turned into a checked `CogImage`: supported pixel type, compression and
 * predictor, tiled, sane sizes, tile ranges inside the file. Every refusal is a BadDataError
 * naming the file and saying what to do.
 */
import { BadDataError } from '../errors';
import type { GeoTags } from './cog-georef';
import type { CogCompression, CogDataType, CogImage, CogPredictor } from './cog-types';
import { BYTES_PER_SAMPLE } from './cog-types';
import type { RasterGrid } from './grid';
import type { ByteSource } from './source';

/** Larger than any satellite tile we read (Sentinel-2 is 10980 px); beyond it the header lies. */
export const MAX_IMAGE_EDGE = 100_000;
/** GDAL writes 256–1024 px tiles; 4096 px bounds one decoded tile to 64 MiB at 4 bytes/sample. */
export const MAX_TILE_EDGE = 4096;
/** RGB, RGBA, multispectral stacks: a few samples. Hundreds means a corrupt header. */
const MAX_SAMPLES_PER_PIXEL = 64;

/** TIFF tag numbers we read (numeric, so geotiff.js does not need to know their names). */
export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
  ModelPixelScale: 33550,
  ModelTiepoint: 33922,
  ModelTransformation: 34264,
  GdalNodata: 42113,
} as const;

const COMPRESSION_NAMES: Record<number, string> = {
  2: 'CCITT RLE',
  5: 'LZW',
  6: 'old-style JPEG',
  7: 'JPEG',
  32773: 'PackBits',
  34712: 'JPEG 2000',
  34887: 'LERC',
  34925: 'LZMA',
  50000: 'ZSTD',
  50001: 'WebP',
  50002: 'JPEG XL',
};

/** The raw tag values of one IFD, before any check. */
export interface RawIfd {
  subfileType: number;
  width: number;
  height: number;
  tags: Map<number, unknown>;
  geo: GeoTags;
}

/** What all images of one file share. */
export interface FileFacts {
  source: ByteSource;
  littleEndian: boolean;
  fileSize: number | undefined;
}

/** Checks one image's tags; an overview passes the full image's nodata in case it lacks its own. */
export function describeImage(
  file: FileFacts,
  ifd: RawIfd,
  grid: RasterGrid,
  inheritedNodata?: number,
): CogImage {
  const { source, littleEndian, fileSize } = file;
  const url = source.url;
  const bad = (code: string, what: string) => new BadDataError(`COG ${url}: ${what}`, { code });
  const { tags, width, height } = ifd;

  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw bad(
      'COG_CORRUPT_HEADER',
      `image size ${width} × ${height} is not valid; the header is corrupt`,
    );
  }
  if (width > MAX_IMAGE_EDGE || height > MAX_IMAGE_EDGE) {
    throw bad(
      'COG_ABSURD_SIZE',
      `image size ${width} × ${height} exceeds ${MAX_IMAGE_EDGE} px per side; the header is corrupt or the file is not a satellite band`,
    );
  }
  if (!tags.has(TAG.TileWidth) || !tags.has(TAG.TileOffsets)) {
    throw bad(
      'COG_NOT_TILED',
      `is stored in strips, not tiles, so parts cannot be read alone; convert it with gdal_translate -of COG -co COMPRESS=DEFLATE`,
    );
  }
  const tileWidth = Number(tags.get(TAG.TileWidth));
  const tileHeight = Number(tags.get(TAG.TileLength) ?? tileWidth);
  if (
    !(tileWidth > 0 && tileHeight > 0 && tileWidth <= MAX_TILE_EDGE && tileHeight <= MAX_TILE_EDGE)
  ) {
    throw bad(
      'COG_ABSURD_SIZE',
      `tile size ${tileWidth} × ${tileHeight} is outside 1..${MAX_TILE_EDGE} px; rewrite it with gdal_translate -of COG -co BLOCKSIZE=512`,
    );
  }

  const samplesPerPixel = Number(tags.get(TAG.SamplesPerPixel) ?? 1);
  if (
    !(
      Number.isInteger(samplesPerPixel) &&
      samplesPerPixel >= 1 &&
      samplesPerPixel <= MAX_SAMPLES_PER_PIXEL
    )
  ) {
    throw bad('COG_CORRUPT_HEADER', `${samplesPerPixel} samples per pixel; the header is corrupt`);
  }
  const bits = Array.from(asNumbers(tags.get(TAG.BitsPerSample) ?? [1]));
  const formats = Array.from(asNumbers(tags.get(TAG.SampleFormat) ?? [1]));
  const bitsPerSample = bits[0];
  const sampleFormat = formats[0];
  const dataType = dataTypeOf(sampleFormat, bitsPerSample);
  if (
    dataType === undefined ||
    bits.some((b) => b !== bitsPerSample) ||
    formats.some((f) => f !== sampleFormat)
  ) {
    throw bad(
      'COG_UNSUPPORTED_DATA_TYPE',
      `sample type (format ${formats.join('/')}, ${bits.join('/')} bits) is not one of uint8, uint16, int16, uint32, int32, float32; convert it with gdal_translate -ot UInt16`,
    );
  }

  const compressionCode = Number(tags.get(TAG.Compression) ?? 1);
  const compression = compressionOf(compressionCode);
  if (compression === undefined) {
    const name = COMPRESSION_NAMES[compressionCode] ?? `code ${compressionCode}`;
    throw bad(
      'COG_UNSUPPORTED_COMPRESSION',
      `uses ${name} compression, which this reader does not decode; rewrite it with gdal_translate -of COG -co COMPRESS=DEFLATE`,
    );
  }
  const predictor = Number(tags.get(TAG.Predictor) ?? 1);
  if (!isPredictor(predictor) || (predictor === 3 && dataType !== 'float32')) {
    throw bad(
      'COG_UNSUPPORTED_PREDICTOR',
      `uses predictor ${predictor} with ${dataType} samples; rewrite it with gdal_translate -co PREDICTOR=2 (integers) or 3 (floats)`,
    );
  }
  const planar = Number(tags.get(TAG.PlanarConfiguration) ?? 1) === 2;

  const tilesAcross = Math.ceil(width / tileWidth);
  const tilesDown = Math.ceil(height / tileHeight);
  const tileCount = tilesAcross * tilesDown * (planar ? samplesPerPixel : 1);
  const tileOffsets = Float64Array.from(asNumbers(tags.get(TAG.TileOffsets)));
  const tileByteCounts = Float64Array.from(asNumbers(tags.get(TAG.TileByteCounts) ?? []));
  if (tileOffsets.length !== tileCount || tileByteCounts.length !== tileCount) {
    throw bad(
      'COG_CORRUPT_HEADER',
      `has ${tileOffsets.length} tile offsets and ${tileByteCounts.length} byte counts for ${tileCount} tiles; the header is corrupt`,
    );
  }
  const samplesInTile = planar ? 1 : samplesPerPixel;
  const decodedBytes = tileWidth * tileHeight * samplesInTile * BYTES_PER_SAMPLE[dataType];
  checkTileRanges(
    url,
    tileOffsets,
    tileByteCounts,
    maxStoredBytes(compression, decodedBytes),
    fileSize,
  );

  return {
    source,
    width,
    height,
    tileWidth,
    tileHeight,
    tilesAcross,
    tilesDown,
    samplesPerPixel,
    bitsPerSample,
    dataType,
    planarConfiguration: planar ? 'planar' : 'chunky',
    compression,
    predictor,
    littleEndian,
    nodata: parseNodata(url, tags.get(TAG.GdalNodata)) ?? inheritedNodata,
    grid,
    tileOffsets,
    tileByteCounts,
  };
}

/** Largest byte count a tile can honestly have: zlib's deflateBound, or the raw size. */
function maxStoredBytes(compression: CogCompression, decodedBytes: number): number {
  if (compression === 'none') return decodedBytes;
  const n = decodedBytes;
  return n + (n >>> 12) + (n >>> 14) + (n >>> 25) + 13 + 6;
}

function checkTileRanges(
  url: string,
  offsets: Float64Array,
  counts: Float64Array,
  maxBytes: number,
  fileSize: number | undefined,
): void {
  for (let tile = 0; tile < offsets.length; tile++) {
    const count = counts[tile];
    if (count > maxBytes) {
      throw new BadDataError(
        `COG ${url}: tile ${tile} claims ${count} bytes, more than the ${maxBytes} a tile of this size can take; the header is corrupt — re-download the file or rewrite it with gdal_translate`,
        { code: 'COG_ABSURD_TILE' },
      );
    }
    if (fileSize !== undefined && count > 0 && offsets[tile] + count > fileSize) {
      throw new BadDataError(
        `COG ${url}: tile ${tile} ends at byte ${offsets[tile] + count}, past the end of the ${fileSize}-byte file; the file was cut during upload — re-download it`,
        { code: 'COG_TRUNCATED' },
      );
    }
  }
}

function parseNodata(url: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).replace(/\0/g, '').trim();
  if (/^[-+]?nan$/i.test(text)) return Number.NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) {
    throw new BadDataError(
      `COG ${url}: GDAL_NODATA "${text}" is not a number; fix it with gdal_edit.py -a_nodata`,
      {
        code: 'COG_CORRUPT_HEADER',
      },
    );
  }
  return value;
}

function dataTypeOf(sampleFormat: number, bits: number): CogDataType | undefined {
  const key = `${sampleFormat}:${bits}`;
  const types: Record<string, CogDataType> = {
    '1:8': 'uint8',
    '1:16': 'uint16',
    '2:16': 'int16',
    '1:32': 'uint32',
    '2:32': 'int32',
    '3:32': 'float32',
  };
  return types[key];
}

function compressionOf(code: number): CogCompression | undefined {
  if (code === 1) return 'none';
  if (code === 8 || code === 32946) return 'deflate';
  return undefined;
}

function isPredictor(value: number): value is CogPredictor {
  return value === 1 || value === 2 || value === 3;
}

function asNumbers(value: unknown): ArrayLike<number> {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value) || ArrayBuffer.isView(value))
    return value as unknown as ArrayLike<number>;
  return [];
}
