/**
 * Clips a provider COG to the internal tiles a parcel group needs, without decoding anything: the
 * compressed bytes of each needed tile are copied verbatim into a new COG over the bounding
 * rectangle of those tiles, and the other tiles of the rectangle are left sparse. That is what makes
 * "download only the blocks covering the group" cost a few ranged reads and no CPU.
 */
import { BadDataError, BadInputError } from '../errors';
import { type Cog, type FetchTilesOptions, fetchTiles, type PixelWindow } from './cog-reader';
import { encodeCogFromTiles } from './cog-writer';
import { CountingSource } from './counting-source';
import type { RasterGrid } from './grid';
import type { CogDataType as WritableDataType } from './tiff-pixels';

/** GDAL puts an 8-byte leader and trailer between tiles; reading them joins adjacent tiles into one request. */
export const DEFAULT_CLIP_MAX_GAP_BYTES = 16;

/** Data types the COG writer stores; the others cannot be re-declared faithfully. */
const WRITABLE_TYPES: ReadonlySet<string> = new Set(['uint8', 'uint16', 'int16', 'float32']);
/** TIFF tile sizes are multiples of 16; our layout writes square tiles. */
const TILE_SIZE_MULTIPLE = 16;

export interface ClipOptions extends Pick<FetchTilesOptions, 'concurrency' | 'maxRequestBytes'> {
  signal?: AbortSignal;
  /** Bytes between two stored tiles that may be read to join them. @default DEFAULT_CLIP_MAX_GAP_BYTES */
  maxGapBytes?: number;
}

export interface ClippedCog {
  /** The new COG, ready to store. */
  bytes: Uint8Array;
  /** Its grid: the provider's, shifted to the rectangle's origin. */
  grid: RasterGrid;
  /** The rectangle in the provider's full-resolution pixels. */
  window: PixelWindow;
  /** Tiles copied (needed tiles the provider stores; sparse ones cost nothing). */
  tilesRead: number;
  /** Bytes fetched from the provider for the tiles (the header was read when the COG was opened). */
  bytesRead: number;
  requests: number;
}

/**
 * A COG holding the provider's `tiles` (full-resolution tile indices, row-major) copied verbatim,
 * over the bounding rectangle of those tiles in whole tiles; every other tile is sparse (nodata).
 * Keeps tile size, data type, compression, predictor and nodata. Refuses, with a BadDataError
 * naming the file, a COG whose tiles cannot be copied as they are.
 */
export async function clipToTiles(
  cog: Cog,
  tiles: Iterable<number>,
  options: ClipOptions = {},
): Promise<ClippedCog> {
  checkCopyable(cog);
  const url = cog.source.url;
  const tileCount = cog.tilesAcross * cog.tilesDown;
  const wanted = new Set<number>();
  for (const tile of tiles) {
    if (!Number.isInteger(tile) || tile < 0 || tile >= tileCount) {
      throw new BadInputError(
        `clip of ${url}: tile ${tile} is not one of its ${tileCount} full-resolution tiles (0..${tileCount - 1})`,
        { code: 'CLIP_BAD_TILE' },
      );
    }
    wanted.add(tile);
  }
  if (wanted.size === 0) {
    throw new BadInputError(
      `clip of ${url}: no tile asked for; a group without pixels in this scene needs no clip — skip it`,
      { code: 'CLIP_NO_TILES' },
    );
  }

  let col0 = Number.POSITIVE_INFINITY;
  let row0 = Number.POSITIVE_INFINITY;
  let col1 = -1;
  let row1 = -1;
  for (const tile of wanted) {
    const row = Math.floor(tile / cog.tilesAcross);
    const col = tile - row * cog.tilesAcross;
    col0 = Math.min(col0, col);
    col1 = Math.max(col1, col);
    row0 = Math.min(row0, row);
    row1 = Math.max(row1, row);
  }
  const size = cog.tileWidth;
  const window: PixelWindow = {
    col: col0 * size,
    row: row0 * size,
    width: Math.min(cog.width, (col1 + 1) * size) - col0 * size,
    height: Math.min(cog.height, (row1 + 1) * size) - row0 * size,
  };
  const grid: RasterGrid = {
    ...cog.grid,
    originX: cog.grid.originX + window.col * cog.grid.pixelWidth,
    originY: cog.grid.originY - window.row * cog.grid.pixelHeight,
    width: window.width,
    height: window.height,
  };

  // Count only this clip's reads, whatever else shares the provider's source.
  const counting = new CountingSource(cog.source);
  const stored = await fetchTiles({ ...cog, source: counting }, wanted, {
    signal: options.signal,
    concurrency: options.concurrency,
    maxRequestBytes: options.maxRequestBytes,
    maxGapBytes: options.maxGapBytes ?? DEFAULT_CLIP_MAX_GAP_BYTES,
  });
  let tilesRead = 0;
  for (const bytes of stored.values()) if (bytes.byteLength > 0) tilesRead++;

  const across = col1 - col0 + 1;
  const bytes = encodeCogFromTiles({
    grid,
    dataType: cog.dataType as WritableDataType,
    tileSize: size,
    compression: cog.compression,
    predictor: cog.predictor,
    nodata: cog.nodata,
    tile: (index) => {
      const row = row0 + Math.floor(index / across);
      const col = col0 + (index % across);
      return stored.get(row * cog.tilesAcross + col) ?? null;
    },
  });
  return {
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    grid,
    window,
    tilesRead,
    bytesRead: counting.bytes,
    requests: counting.requests,
  };
}

/** Tile bytes can be copied only when the new file declares exactly what the provider's did. */
function checkCopyable(cog: Cog): void {
  const refuse = (what: string) =>
    new BadDataError(
      `COG ${cog.source.url}: ${what}, so its tiles cannot be copied into a clip as they are; rewrite it with gdal_translate -of COG -co COMPRESS=DEFLATE -co PREDICTOR=2 -co BLOCKSIZE=1024`,
      { code: 'CLIP_UNSUPPORTED_LAYOUT' },
    );
  if (!cog.littleEndian) throw refuse('it is big-endian (our COGs are little-endian)');
  if (cog.samplesPerPixel !== 1) throw refuse(`it has ${cog.samplesPerPixel} samples per pixel`);
  if (!WRITABLE_TYPES.has(cog.dataType)) throw refuse(`its samples are ${cog.dataType}`);
  if (cog.predictor === 2 && cog.dataType === 'float32') {
    throw refuse('it applies predictor 2 to float32 samples');
  }
  if (cog.tileWidth !== cog.tileHeight || cog.tileWidth % TILE_SIZE_MULTIPLE !== 0) {
    throw refuse(`its tiles are ${cog.tileWidth} × ${cog.tileHeight} px`);
  }
}
