import { mkdir } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import { writeFileAtomically } from '../atomic-file';
import { mapLimit } from '../concurrency';
import { BadInputError, ConfigError } from '../errors';
import type { RasterGrid } from './grid';
import { assembleCog, type CogParts, type LayoutSettings } from './tiff-layout';
import {
  autoOverviewCount,
  OverviewAccumulator,
  type PyramidLevel,
  planPyramid,
} from './tiff-overviews';
import {
  applyHorizontalPredictor,
  type CogDataType,
  type CogPixels,
  DATA_TYPES,
  gatherWindow,
  type PixelWindow,
  padTile,
  tileBytes,
} from './tiff-pixels';

export type { TiffCompression, TiffPredictor } from './tiff-layout';
export type { CogDataType, CogPixels, PixelWindow } from './tiff-pixels';
export { encodeCogFromTiles, type PrecompressedCogInput } from './tiff-precompressed';

/**
 * Writes Cloud-Optimized GeoTIFFs: a classic little-endian TIFF with GDAL's structural-metadata
 * header, then every IFD with its tag data (full resolution first, overviews after, smallest
 * last), then the tile data (smallest overview first, full resolution last; see tiff-layout). Tiles are DEFLATE
 * (zlib) compressed, integer types with the horizontal predictor; several samples are stored as
 * separate planes (PlanarConfiguration 2). Overviews are nearest neighbour (see tiff-overviews).
 */

/** Earth Search's tile size for Sentinel-2 COGs; a good balance of request count and waste. */
export const DEFAULT_TILE_SIZE = 1024;
/** zlib's own default: most of the ratio of level 9 at a fraction of the time. */
export const DEFAULT_COMPRESSION_LEVEL = 6;
/** Tiles compressed at once in libuv's thread pool (4 threads); 2 cores here, headroom for I/O. */
export const DEFAULT_CONCURRENCY = 4;
/** zlib's own default output chunk; small tiles need no more. */
const MIN_DEFLATE_CHUNK_BYTES = 16 * 1024;
/** deflateBound's worst-case growth of incompressible data is well under this. */
const DEFLATE_CHUNK_SLACK_BYTES = 1024;
/** TIFF requires tile sizes that are multiples of 16. */
const TILE_SIZE_MULTIPLE = 16;

/** The full-resolution window a streamed raster is asked for; edge tiles are clipped. */
export interface TileRequest extends PixelWindow {
  /** Sample (band) index, 0-based. */
  sample: number;
  tileX: number;
  tileY: number;
}

interface CogOptions {
  grid: RasterGrid;
  dataType: CogDataType;
  /** Internal tile edge in pixels, a multiple of 16. @default DEFAULT_TILE_SIZE */
  tileSize?: number;
  /** Written as GDAL_NODATA and used to pad edge tiles (0 when absent). */
  nodata?: number;
  /** Overview levels, each half the previous; `'auto'` halves until one tile holds the image. @default 'auto' */
  overviews?: number | 'auto';
  /** zlib level 0..9. @default DEFAULT_COMPRESSION_LEVEL */
  compressionLevel?: number;
  /** Predictor 2 for integer types; float32 supports only `'none'`. @default 'horizontal' for integers */
  predictor?: 'horizontal' | 'none';
  /** Tiles compressed concurrently. @default DEFAULT_CONCURRENCY */
  concurrency?: number;
}

/** A raster held whole in memory: one row-major `width × height` array per sample. */
export interface InMemoryCogInput extends CogOptions {
  bands: readonly CogPixels[];
}

/**
 * A raster produced tile by tile: `readTile` returns the `width × height` row-major pixels of the
 * requested window. Each window is asked for once, sample by sample, in row-major tile order.
 */
export interface StreamedCogInput extends CogOptions {
  /** @default 1 */
  samples?: number;
  readTile(request: TileRequest): CogPixels | Promise<CogPixels>;
}

export type CogInput = InMemoryCogInput | StreamedCogInput;

interface Settings extends LayoutSettings {
  fill: number;
  compressionLevel: number;
  concurrency: number;
}

const deflateAsync = promisify(deflate);

function badOption(message: string): BadInputError {
  return new BadInputError(`COG writer: ${message}`, { code: 'COG_BAD_OPTIONS' });
}

function settingsOf(input: CogInput): Settings {
  const { grid, dataType } = input;
  const info = DATA_TYPES[dataType];
  if (!info)
    throw badOption(`unsupported data type "${dataType}"; use uint8, uint16, int16 or float32`);
  if (![grid.width, grid.height].every((n) => Number.isInteger(n) && n > 0)) {
    throw badOption(`grid size ${grid.width}×${grid.height} must be positive integers`);
  }
  const tileSize = input.tileSize ?? DEFAULT_TILE_SIZE;
  if (!Number.isInteger(tileSize) || tileSize <= 0 || tileSize % TILE_SIZE_MULTIPLE !== 0) {
    throw badOption(`tile size ${tileSize} must be a positive multiple of ${TILE_SIZE_MULTIPLE}`);
  }
  const samples = 'bands' in input ? input.bands.length : (input.samples ?? 1);
  if (!Number.isInteger(samples) || samples < 1)
    throw badOption(`needs at least one sample, got ${samples}`);
  const { nodata } = input;
  if (nodata !== undefined && info.integer) {
    if (!Number.isInteger(nodata) || nodata < info.min || nodata > info.max) {
      throw badOption(`nodata ${nodata} is not a ${dataType} value`);
    }
  }
  const predictor = input.predictor ?? (info.integer ? 'horizontal' : 'none');
  if (predictor === 'horizontal' && !info.integer) {
    throw badOption(
      `predictor 2 applies to integer types only; pass predictor 'none' for ${dataType}`,
    );
  }
  const compressionLevel = input.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
  if (!Number.isInteger(compressionLevel) || compressionLevel < 0 || compressionLevel > 9) {
    throw badOption(`compression level ${compressionLevel} must be an integer 0..9`);
  }
  const overviews =
    input.overviews === undefined || input.overviews === 'auto'
      ? autoOverviewCount(grid.width, grid.height, tileSize)
      : input.overviews;
  if ('bands' in input) {
    input.bands.forEach((band, i) => {
      if (!info.is(band) || band.length !== grid.width * grid.height) {
        throw badOption(
          `band ${i} must be a ${dataType} array of ${grid.width}×${grid.height} = ${grid.width * grid.height} values, got ${band.constructor.name}(${band.length})`,
        );
      }
    });
  }
  return {
    grid,
    dataType,
    samples,
    tileSize,
    nodata,
    fill: nodata ?? 0,
    levels: planPyramid(grid.width, grid.height, tileSize, overviews),
    compressionLevel,
    predictor: predictor === 'horizontal' ? 2 : 1,
    concurrency: input.concurrency ?? DEFAULT_CONCURRENCY,
  };
}

interface TileJob {
  level: PyramidLevel;
  sample: number;
  tileX: number;
  tileY: number;
  window: PixelWindow;
}

function tileJobs(level: PyramidLevel, samples: number, tileSize: number): TileJob[] {
  const jobs: TileJob[] = [];
  for (let sample = 0; sample < samples; sample++) {
    for (let tileY = 0; tileY < level.tilesDown; tileY++) {
      for (let tileX = 0; tileX < level.tilesAcross; tileX++) {
        const x = tileX * tileSize;
        const y = tileY * tileSize;
        const window = {
          x,
          y,
          width: Math.min(tileSize, level.width - x),
          height: Math.min(tileSize, level.height - y),
        };
        jobs.push({ level, sample, tileX, tileY, window });
      }
    }
  }
  return jobs;
}

async function compressTile(settings: Settings, window: PixelWindow, pixels: CogPixels) {
  const tile = padTile(pixels, window, settings.tileSize, settings.dataType, settings.fill);
  return deflateTile(tile, settings.tileSize, {
    predictor: settings.predictor === 2,
    compressionLevel: settings.compressionLevel,
  });
}

/**
 * Compresses one whole `tileSize`² tile the way this writer stores tiles: horizontal predictor
 * (applied in place: `tile` is consumed) when asked, then zlib in libuv's thread pool. For callers
 * that build tiles themselves and assemble them with `encodeCogFromTiles`.
 */
export function deflateTile(
  tile: CogPixels,
  tileSize: number,
  options: { predictor: boolean; compressionLevel?: number },
): Promise<Buffer> {
  if (tile.length !== tileSize * tileSize) {
    throw badOption(`a ${tileSize}² tile needs ${tileSize * tileSize} values, got ${tile.length}`);
  }
  if (options.predictor) applyHorizontalPredictor(tile, tileSize);
  const bytes = tileBytes(tile);
  return deflateAsync(bytes, {
    level: options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL,
    // One output chunk for the whole tile: with zlib's 16 KiB default a 2 MiB tile would cross
    // from the thread pool to the main thread about a hundred times instead of once.
    chunkSize: Math.max(MIN_DEFLATE_CHUNK_BYTES, bytes.byteLength + DEFLATE_CHUNK_SLACK_BYTES),
  });
}

function identityMap(size: number): Int32Array {
  return Int32Array.from({ length: size }, (_, i) => i);
}

/** Compressed tiles of every level, indexed [level][sample * tilesPerPlane + tile]. */
async function compressAllTiles(settings: Settings, input: CogInput): Promise<Buffer[][]> {
  const { levels, samples, tileSize, dataType, grid } = settings;
  const result: Buffer[][] = [];
  if ('bands' in input) {
    for (const level of levels) {
      result.push(
        await mapLimit(tileJobs(level, samples, tileSize), settings.concurrency, async (job) => {
          const pixels = gatherWindow(
            input.bands[job.sample],
            grid.width,
            level.sourceX,
            level.sourceY,
            job.window,
            dataType,
          );
          return compressTile(settings, job.window, pixels);
        }),
      );
    }
    return result;
  }
  const overviews = new OverviewAccumulator(levels, samples, dataType);
  const fullResolution = levels[0];
  result.push(
    await mapLimit(
      tileJobs(fullResolution, samples, tileSize),
      settings.concurrency,
      async (job) => {
        const pixels = await input.readTile({
          ...job.window,
          sample: job.sample,
          tileX: job.tileX,
          tileY: job.tileY,
        });
        const expected = job.window.width * job.window.height;
        if (!DATA_TYPES[dataType].is(pixels) || pixels.length !== expected) {
          throw badOption(
            `readTile(sample ${job.sample}, tile ${job.tileX},${job.tileY}) returned ${pixels.constructor.name}(${pixels.length}); expected ${expected} ${dataType} values (${job.window.width}×${job.window.height})`,
          );
        }
        if (levels.length > 1) overviews.add(job.sample, job.window, pixels);
        return compressTile(settings, job.window, pixels);
      },
    ),
  );
  for (const level of levels.slice(1)) {
    const images = overviews.images[level.level - 1];
    const sourceX = identityMap(level.width);
    const sourceY = identityMap(level.height);
    result.push(
      await mapLimit(tileJobs(level, samples, tileSize), settings.concurrency, async (job) => {
        const pixels = gatherWindow(
          images[job.sample],
          level.width,
          sourceX,
          sourceY,
          job.window,
          dataType,
        );
        return compressTile(settings, job.window, pixels);
      }),
    );
  }
  return result;
}

async function buildCog(input: CogInput): Promise<CogParts> {
  if (endianness() !== 'LE') {
    throw new ConfigError(
      'COG writer: this host is big-endian; typed arrays would be written byte-swapped',
      {
        code: 'COG_BIG_ENDIAN_HOST',
      },
    );
  }
  const settings = settingsOf(input);
  return assembleCog(settings, await compressAllTiles(settings, input));
}

/** Encodes a COG in memory. Holds the source (or, streamed, its overviews) plus the compressed tiles. */
export async function encodeCog(input: CogInput): Promise<Buffer> {
  const { head, tiles, byteLength } = await buildCog(input);
  return Buffer.concat([head, ...tiles], byteLength);
}

/**
 * Writes a COG to `path` atomically: into a temporary file beside it, flushed to disk, then renamed,
 * so readers see either no file or the whole file. Creates the parent directory. Returns the size.
 */
export async function writeCogFile(path: string, input: CogInput): Promise<number> {
  const { head, tiles, byteLength } = await buildCog(input);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomically(path, [head, ...tiles], { durable: true, temporarySuffix: '.tmp' });
  return byteLength;
}
