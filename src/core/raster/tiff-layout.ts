import { BadInputError } from '../errors';
import type { RasterGrid } from './grid';
import { geoTiffEntries } from './tiff-geokeys';
import {
  CLASSIC_TIFF_MAX_BYTES,
  FieldType,
  type IfdEntry,
  ifdByteLength,
  Tag,
  TIFF_HEADER_BYTES,
  writeIfd,
} from './tiff-ifd';
import type { PyramidLevel } from './tiff-overviews';
import { type CogDataType, DATA_TYPES, formatNodata } from './tiff-pixels';

/**
 * The byte layout of a COG once its tiles are compressed: header, GDAL's structural metadata,
 * every IFD with its tag data (full resolution first, smallest overview last), then the tiles
 * (smallest overview first, full resolution last), each between a size leader and a trailer.
 */
export interface LayoutSettings {
  grid: RasterGrid;
  dataType: CogDataType;
  samples: number;
  tileSize: number;
  nodata: number | undefined;
  levels: PyramidLevel[];
  /** TIFF Predictor: 1 none, 2 horizontal differencing, 3 floating point. */
  predictor: TiffPredictor;
  /** How the tiles were compressed. @default 'deflate' */
  compression?: TiffCompression;
}

/** TIFF Predictor tag values. */
export type TiffPredictor = 1 | 2 | 3;
/** Tile compressions the layout can declare. */
export type TiffCompression = 'deflate' | 'none';

const COMPRESSION_CODES: Record<TiffCompression, number> = { deflate: 8, none: 1 };
const PHOTOMETRIC_MIN_IS_BLACK = 1;
const PLANAR_CONTIGUOUS = 1;
const PLANAR_SEPARATE = 2;
const SUBFILE_REDUCED_RESOLUTION = 1;

/**
 * GDAL's "ghost" header: tells GDAL (and validators) the file was laid out as a COG, with each
 * tile preceded by its size (4 bytes) and followed by a copy of its last 4 bytes, so a reader can
 * check a tile is whole without the IFD.
 */
const GDAL_STRUCTURAL_METADATA =
  'LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n' +
  'BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n';
/** Bytes of the size leader before, and of the repeated tail after, each tile. */
const TILE_LEADER_BYTES = 4;
const TILE_TRAILER_BYTES = 4;
/** Recorded in GDAL_METADATA so GDAL reports how the overviews were made. */
const GDAL_METADATA_OVERVIEWS =
  '<GDALMetadata>\n  <Item name="OVR_RESAMPLING_ALG">NEAREST</Item>\n</GDALMetadata>\n';

export interface CogParts {
  /** Header, structural metadata and every IFD: everything before the first tile. */
  head: Buffer;
  /** Compressed tiles in file order, with their leaders and trailers. */
  tiles: Buffer[];
  byteLength: number;
}

function ifdEntries(
  settings: LayoutSettings,
  level: PyramidLevel,
  offsets: number[],
  counts: number[],
) {
  const { samples, tileSize, dataType, nodata } = settings;
  const info = DATA_TYPES[dataType];
  const perSample = (value: number) => Array.from({ length: samples }, () => value);
  const entries: IfdEntry[] = [
    { tag: Tag.ImageWidth, type: FieldType.LONG, values: [level.width] },
    { tag: Tag.ImageLength, type: FieldType.LONG, values: [level.height] },
    { tag: Tag.BitsPerSample, type: FieldType.SHORT, values: perSample(info.bytes * 8) },
    {
      tag: Tag.Compression,
      type: FieldType.SHORT,
      values: [COMPRESSION_CODES[settings.compression ?? 'deflate']],
    },
    {
      tag: Tag.PhotometricInterpretation,
      type: FieldType.SHORT,
      values: [PHOTOMETRIC_MIN_IS_BLACK],
    },
    { tag: Tag.SamplesPerPixel, type: FieldType.SHORT, values: [samples] },
    {
      tag: Tag.PlanarConfiguration,
      type: FieldType.SHORT,
      values: [samples > 1 ? PLANAR_SEPARATE : PLANAR_CONTIGUOUS],
    },
    { tag: Tag.TileWidth, type: FieldType.SHORT, values: [tileSize] },
    { tag: Tag.TileLength, type: FieldType.SHORT, values: [tileSize] },
    { tag: Tag.TileOffsets, type: FieldType.LONG, values: offsets },
    { tag: Tag.TileByteCounts, type: FieldType.LONG, values: counts },
    { tag: Tag.SampleFormat, type: FieldType.SHORT, values: perSample(info.sampleFormat) },
  ];
  if (level.level > 0) {
    entries.push({
      tag: Tag.NewSubfileType,
      type: FieldType.LONG,
      values: [SUBFILE_REDUCED_RESOLUTION],
    });
  }
  if (settings.predictor !== 1) {
    entries.push({ tag: Tag.Predictor, type: FieldType.SHORT, values: [settings.predictor] });
  }
  if (samples > 1) {
    // Extra samples of unspecified meaning: the bands are data, not alpha.
    entries.push({
      tag: Tag.ExtraSamples,
      type: FieldType.SHORT,
      values: Array(samples - 1).fill(0),
    });
  }
  if (nodata !== undefined) {
    entries.push({ tag: Tag.GdalNodata, type: FieldType.ASCII, values: formatNodata(nodata) });
  }
  if (level.level === 0) {
    entries.push(...geoTiffEntries(settings.grid));
    if (settings.levels.length > 1) {
      entries.push({
        tag: Tag.GdalMetadata,
        type: FieldType.ASCII,
        values: GDAL_METADATA_OVERVIEWS,
      });
    }
  }
  return entries;
}

function structuralMetadata(): Buffer {
  let body = GDAL_STRUCTURAL_METADATA;
  const headerLine = (length: number) =>
    `GDAL_STRUCTURAL_METADATA_SIZE=${String(length).padStart(6, '0')} bytes\n`;
  // The first IFD must start on a word boundary; GDAL pads the body with a space likewise.
  if ((TIFF_HEADER_BYTES + headerLine(body.length).length + body.length) % 2 !== 0) body += ' ';
  return Buffer.from(headerLine(body.length) + body, 'ascii');
}

/**
 * Lays out header, IFDs and tiles; offsets are fixed once every tile's size is known. An empty
 * tile is sparse: offset and byte count 0, no bytes in the file, read as nodata by GDAL and ours.
 */
export function assembleCog(settings: LayoutSettings, compressed: Buffer[][]): CogParts {
  const { levels } = settings;
  const ghost = structuralMetadata();
  const placeholder = (level: PyramidLevel) => {
    const n = compressed[level.level].length;
    return ifdEntries(settings, level, Array(n).fill(0), Array(n).fill(0));
  };
  const ifdOffsets: number[] = [];
  let offset = TIFF_HEADER_BYTES + ghost.length;
  for (const level of levels) {
    ifdOffsets.push(offset);
    offset += ifdByteLength(placeholder(level));
  }
  const headLength = offset;
  // Tile data: smallest overview first, full resolution last, as GDAL's COG driver writes it.
  const tiles: Buffer[] = [];
  const tileOffsets: number[][] = levels.map(() => []);
  for (const level of [...levels].reverse()) {
    for (const tile of compressed[level.level]) {
      if (tile.length === 0) {
        tileOffsets[level.level].push(0);
        continue;
      }
      const leader = Buffer.alloc(TILE_LEADER_BYTES);
      leader.writeUInt32LE(tile.length);
      tileOffsets[level.level].push(offset + TILE_LEADER_BYTES);
      tiles.push(leader, tile, tile.subarray(tile.length - TILE_TRAILER_BYTES));
      offset += TILE_LEADER_BYTES + tile.length + TILE_TRAILER_BYTES;
    }
  }
  if (offset > CLASSIC_TIFF_MAX_BYTES) {
    throw new BadInputError(
      `COG writer: the COG would take ${offset} bytes, past the 4 GiB limit of classic TIFF; write fewer samples per file or a smaller grid`,
      { code: 'COG_TOO_LARGE' },
    );
  }
  const head = Buffer.alloc(headLength);
  head.write('II', 0, 'ascii');
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(ifdOffsets[0], 4);
  ghost.copy(head, TIFF_HEADER_BYTES);
  levels.forEach((level, i) => {
    const counts = compressed[level.level].map((tile) => tile.length);
    const entries = ifdEntries(settings, level, tileOffsets[level.level], counts);
    writeIfd(head, ifdOffsets[i], entries, i + 1 < levels.length ? ifdOffsets[i + 1] : 0);
  });
  return { head, tiles, byteLength: offset };
}
