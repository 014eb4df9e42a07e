/**
 * Fast COG reads: the header once, then only the tiles asked for, each fetched once through a
 * ByteSource (adjacent tiles in one request) and decoded with native zlib.
 *
 * Hot path: `fetchTiles` then `decodeTile` (in workers if needed). `readTilesDecoded` and
 * `readWindow` build on them for small reads and tests.
 */
import { mapLimit } from '../concurrency';
import { BadDataError } from '../errors';
import { type ReadHeaderOptions, readCogHeader } from './cog-header';
import {
  allocatePixels,
  type Cog,
  type CogImage,
  type CogPixels,
  type TileLayout,
} from './cog-types';
import { type PlanOptions, planTileReads } from './range-plan';
import type { ByteSource } from './source';
import { decodeTile } from './tile-decode';

export type { Cog, CogImage, CogPixels, TileLayout } from './cog-types';
export { decodeTile } from './tile-decode';

/** Ranged requests in flight per read: hides S3 latency (~50 ms) without flooding one host. */
export const DEFAULT_FETCH_CONCURRENCY = 8;

export type OpenCogOptions = ReadHeaderOptions;

/** Reads and checks the header of the COG behind `source` (usually one ranged request). */
export function openCog(source: ByteSource, options: OpenCogOptions = {}): Promise<Cog> {
  return readCogHeader(source, options);
}

export interface FetchTilesOptions extends PlanOptions {
  signal?: AbortSignal;
  /** @default DEFAULT_FETCH_CONCURRENCY */
  concurrency?: number;
}

/**
 * Compressed bytes of each requested tile, keyed by tile index: views into the request buffers,
 * not copies. A sparse tile maps to an empty array and costs no request.
 */
export async function fetchTiles(
  image: CogImage,
  tiles: Iterable<number>,
  options: FetchTilesOptions = {},
): Promise<Map<number, Uint8Array>> {
  const plan = planTileReads(tiles, image.tileOffsets, image.tileByteCounts, options);
  const result = new Map<number, Uint8Array>();
  for (const tile of plan.sparse) result.set(tile, new Uint8Array(0));
  await mapLimit(
    plan.requests,
    options.concurrency ?? DEFAULT_FETCH_CONCURRENCY,
    async (request) => {
      const bytes = await image.source.fetch(request.offset, request.length, {
        signal: options.signal,
      });
      for (const { tile, start, length } of request.tiles) {
        if (bytes.byteLength < start + length) {
          const got = Math.max(0, bytes.byteLength - start);
          throw new BadDataError(
            `COG ${image.source.url}: tile ${tile} is truncated (got ${got} of ${length} bytes); the file is corrupt or was cut during upload — re-download it`,
            { code: 'COG_TILE_TRUNCATED' },
          );
        }
        result.set(tile, bytes.subarray(start, start + length));
      }
    },
  );
  return result;
}

/** The plain-data description `decodeTile` needs for one tile of `image`. */
export function tileLayout(image: CogImage, tile: number): TileLayout {
  return {
    url: image.source.url,
    tile,
    width: image.tileWidth,
    height: image.tileHeight,
    samples: image.planarConfiguration === 'planar' ? 1 : image.samplesPerPixel,
    dataType: image.dataType,
    compression: image.compression,
    predictor: image.predictor,
    littleEndian: image.littleEndian,
  };
}

/** Fetches and decodes tiles; a sparse tile decodes to nodata (0 when the file declares none). */
export async function readTilesDecoded(
  image: CogImage,
  tiles: Iterable<number>,
  options: FetchTilesOptions = {},
): Promise<Map<number, CogPixels>> {
  const compressed = await fetchTiles(image, tiles, options);
  const decoded = new Map<number, CogPixels>();
  for (const [tile, bytes] of compressed) {
    const layout = tileLayout(image, tile);
    if (bytes.byteLength === 0) {
      const pixels = allocatePixels(image.dataType, layout.width * layout.height * layout.samples);
      pixels.fill(image.nodata ?? 0);
      decoded.set(tile, pixels);
    } else {
      decoded.set(tile, decodeTile(bytes, layout));
    }
  }
  return decoded;
}

export interface PixelWindow {
  col: number;
  row: number;
  width: number;
  height: number;
}

/**
 * Pixels of a window of `image`, row-major and pixel-interleaved (width × height ×
 * samplesPerPixel). Holds every covering tile in memory at once: for small reads.
 */
export async function readWindow(
  image: CogImage,
  window: PixelWindow,
  options: FetchTilesOptions = {},
): Promise<CogPixels> {
  const { col, row, width, height } = window;
  const inside =
    [col, row, width, height].every(Number.isInteger) &&
    col >= 0 &&
    row >= 0 &&
    width > 0 &&
    height > 0 &&
    col + width <= image.width &&
    row + height <= image.height;
  if (!inside) {
    throw new RangeError(
      `window ${JSON.stringify(window)} is not inside the ${image.width} × ${image.height} image of ${image.source.url}`,
    );
  }
  const { tileWidth, tileHeight, tilesAcross, samplesPerPixel } = image;
  const planar = image.planarConfiguration === 'planar';
  const planes = planar ? samplesPerPixel : 1;
  const tilesPerPlane = tilesAcross * image.tilesDown;
  const firstTileCol = Math.floor(col / tileWidth);
  const lastTileCol = Math.floor((col + width - 1) / tileWidth);
  const firstTileRow = Math.floor(row / tileHeight);
  const lastTileRow = Math.floor((row + height - 1) / tileHeight);

  const wanted: number[] = [];
  for (let plane = 0; plane < planes; plane++) {
    for (let tr = firstTileRow; tr <= lastTileRow; tr++) {
      for (let tc = firstTileCol; tc <= lastTileCol; tc++) {
        wanted.push(plane * tilesPerPlane + tr * tilesAcross + tc);
      }
    }
  }
  const tiles = await readTilesDecoded(image, wanted, options);

  const out = allocatePixels(image.dataType, width * height * samplesPerPixel);
  for (const tile of wanted) {
    const pixels = tiles.get(tile)!;
    const plane = Math.floor(tile / tilesPerPlane);
    const tileRow = Math.floor((tile % tilesPerPlane) / tilesAcross);
    const tileCol = tile % tilesAcross;
    // Overlap of this tile with the window, in image pixels.
    const x0 = Math.max(col, tileCol * tileWidth);
    const x1 = Math.min(col + width, (tileCol + 1) * tileWidth);
    const y0 = Math.max(row, tileRow * tileHeight);
    const y1 = Math.min(row + height, (tileRow + 1) * tileHeight);
    for (let y = y0; y < y1; y++) {
      const srcRow = (y - tileRow * tileHeight) * tileWidth;
      const dstRow = (y - row) * width;
      if (!planar) {
        const src = (srcRow + x0 - tileCol * tileWidth) * samplesPerPixel;
        const dst = (dstRow + x0 - col) * samplesPerPixel;
        out.set(pixels.subarray(src, src + (x1 - x0) * samplesPerPixel), dst);
        continue;
      }
      for (let x = x0; x < x1; x++) {
        out[(dstRow + x - col) * samplesPerPixel + plane] =
          pixels[srcRow + x - tileCol * tileWidth];
      }
    }
  }
  return out;
}
