import { BadInputError } from '../errors';
import { isGeographicEpsg } from '../geo/crs';
import type { ParcelGeometry } from '../geo/types';
import type { RasterGrid } from '../raster/grid';
import { ParcelScanner } from './parcel-spans';
import type { BlockPixels, ParcelPixelMap } from './pixel-map';

/** Half a 10 m pixel: the architecture's inward buffer, keeping mixed edge pixels out of statistics. */
export const DEFAULT_BUFFER_METRES = 5;
/**
 * Slack on the buffer distance: a centre within 1 µm of exactly `bufferMetres` from an edge stays,
 * so a grid-aligned 100 m square keeps all 100 pixels (their centres sit exactly 5 m from the edge
 * and each pixel lies wholly inside) despite rounding.
 */
export const BUFFER_TOLERANCE_METRES = 1e-6;

export interface BuildParcelPixelMapOptions {
  /** The grid pixels are assigned on (metric CRS when buffering). */
  grid: RasterGrid;
  /** Block edge in pixels, normally the COG's internal tile size. */
  blockSize: number;
  /** Parcel geometries already in the grid's CRS; the map's parcel indices follow this order. */
  parcels: ReadonlyArray<ParcelGeometry>;
  /**
   * Inward buffer in CRS units (metres): a pixel's centre must lie at least this far from every
   * edge of its parcel. Parcels left without a pixel fall back to no buffer (`bufferFallback`).
   * @default 5
   */
  bufferMetres?: number;
}

/**
 * Assigns grid pixels to parcels: a pixel belongs to a parcel when its centre lies inside it (GDAL's
 * rule, see parcel-spans.ts) and at least `bufferMetres` (less 1 µm) from each of its edges.
 * Overlapping parcels share pixels; pixels past the grid's edge count in `outsidePixels`.
 */
export function buildParcelPixelMap(options: BuildParcelPixelMapOptions): ParcelPixelMap {
  const { grid, blockSize, parcels } = options;
  const bufferMetres = options.bufferMetres ?? DEFAULT_BUFFER_METRES;
  checkOptions(grid, blockSize, bufferMetres);
  const radius = bufferMetres > 0 ? bufferMetres - BUFFER_TOLERANCE_METRES : 0;
  const parcelCount = parcels.length;
  const spanStart = new Uint32Array(parcelCount + 1);
  const totalPixels = new Uint32Array(parcelCount);
  const bufferFallback = new Uint8Array(parcelCount);
  const scanner = new ParcelScanner(grid, estimateSpans(parcels, grid.pixelHeight));
  for (let i = 0; i < parcelCount; i++) {
    // A parcel left without pixels by the buffer appended no run; scan it again unbuffered.
    let pixels = scanner.appendParcel(parcels[i], i, radius);
    if (pixels === 0 && radius > 0) {
      pixels = scanner.appendParcel(parcels[i], i, 0);
      bufferFallback[i] = 1;
    }
    totalPixels[i] = pixels;
    spanStart[i + 1] = scanner.spanCount;
  }
  const blocksAcross = Math.ceil(grid.width / blockSize);
  const blocksDown = Math.ceil(grid.height / blockSize);
  const { blocks, outsidePixels } = spansToBlocks(
    scanner.spans,
    spanStart,
    grid,
    blockSize,
    blocksAcross,
  );
  return {
    grid,
    blockSize,
    blocksAcross,
    blocksDown,
    parcelCount,
    totalPixels,
    outsidePixels,
    bufferFallback,
    blocks,
  };
}

/** About one run per pixel row a parcel spans, so the run buffer rarely has to grow. */
function estimateSpans(parcels: ReadonlyArray<ParcelGeometry>, pixelHeight: number): number {
  let rows = 0;
  for (const parcel of parcels) {
    const ring = parcel.type === 'Polygon' ? parcel.coordinates[0] : parcel.coordinates[0]?.[0];
    if (!ring) continue;
    let minY = Number.POSITIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (const position of ring) {
      if (position[1] < minY) minY = position[1];
      if (position[1] > maxY) maxY = position[1];
    }
    if (maxY >= minY) rows += Math.min((maxY - minY) / pixelHeight + 1, 1e6);
  }
  return Math.ceil(1.1 * rows) + 1024;
}

function checkOptions(grid: RasterGrid, blockSize: number, bufferMetres: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize * blockSize > 2 ** 32) {
    throw new BadInputError(`block size ${blockSize} must be a positive integer below 65536`, {
      code: 'BLOCK_SIZE_INVALID',
    });
  }
  if (!(bufferMetres >= 0 && Number.isFinite(bufferMetres))) {
    throw new BadInputError(`buffer ${bufferMetres} m must be a finite distance >= 0`, {
      code: 'BUFFER_INVALID',
    });
  }
  if (bufferMetres > 0 && isGeographicEpsg(grid.epsg)) {
    throw new BadInputError(
      `a ${bufferMetres} m buffer needs a metric grid, but EPSG:${grid.epsg} is in degrees; rasterise on the scene's UTM grid`,
      { code: 'BUFFER_NEEDS_METRIC_CRS' },
    );
  }
}

/**
 * Cuts the runs into blocks in two passes (count, then fill) so each block gets exact-size typed
 * arrays. Parcels are visited in order and each parcel's runs row by row, so entries come out
 * sorted by parcel then pixel offset without a sort.
 */
function spansToBlocks(
  spans: Int32Array,
  spanStart: Uint32Array,
  grid: RasterGrid,
  blockSize: number,
  blocksAcross: number,
): { blocks: Map<number, BlockPixels>; outsidePixels: Uint32Array } {
  const parcelCount = spanStart.length - 1;
  const { width, height } = grid;
  const outsidePixels = new Uint32Array(parcelCount);
  const counts = new Uint32Array(blocksAcross * Math.ceil(height / blockSize));
  // Pass 1: entries per block, and pixels past the grid per parcel.
  for (let parcel = 0; parcel < parcelCount; parcel++) {
    let outside = 0;
    for (let k = spanStart[parcel]; k < spanStart[parcel + 1]; k++) {
      const row = spans[3 * k];
      const first = spans[3 * k + 1];
      const last = spans[3 * k + 2];
      const a = Math.max(first, 0);
      const b = Math.min(last, width - 1);
      if (row < 0 || row >= height || a > b) {
        outside += last - first + 1;
        continue;
      }
      outside += last - first - (b - a);
      const blockRow = Math.floor(row / blockSize) * blocksAcross;
      for (let bx = Math.floor(a / blockSize); bx * blockSize <= b; bx++) {
        const from = Math.max(bx * blockSize, a);
        const to = Math.min(bx * blockSize + blockSize - 1, b);
        counts[blockRow + bx] += to - from + 1;
      }
    }
    outsidePixels[parcel] = outside;
  }
  // One shared allocation for every block's arrays: each large allocation may trigger a full
  // garbage collection over the caller's geometries, and worker threads receiving a block (or the
  // whole map) share this memory instead of copying it.
  const entries = counts.reduce((sum, count) => sum + count, 0);
  const shared = new SharedArrayBuffer(8 * entries);
  const blocks = new Map<number, BlockPixels>();
  const parcelArrays: Uint32Array[] = [];
  const pixelArrays: Uint32Array[] = [];
  let offset = 0;
  counts.forEach((count, key) => {
    if (count === 0) return;
    const block: BlockPixels = {
      bx: key % blocksAcross,
      by: Math.floor(key / blocksAcross),
      parcel: new Uint32Array(shared, 4 * offset, count),
      pixel: new Uint32Array(shared, 4 * (entries + offset), count),
    };
    offset += count;
    blocks.set(key, block);
    parcelArrays[key] = block.parcel;
    pixelArrays[key] = block.pixel;
  });
  // Pass 2: fill, in parcel order then row order, which is the required sort order.
  const cursor = new Uint32Array(counts.length);
  for (let parcel = 0; parcel < parcelCount; parcel++) {
    for (let k = spanStart[parcel]; k < spanStart[parcel + 1]; k++) {
      const row = spans[3 * k];
      const a = Math.max(spans[3 * k + 1], 0);
      const b = Math.min(spans[3 * k + 2], width - 1);
      if (row < 0 || row >= height || a > b) continue;
      const by = Math.floor(row / blockSize);
      const rowBase = (row - by * blockSize) * blockSize;
      for (let bx = Math.floor(a / blockSize); bx * blockSize <= b; bx++) {
        const key = by * blocksAcross + bx;
        const x0 = bx * blockSize;
        const from = Math.max(x0, a) - x0;
        const to = Math.min(x0 + blockSize - 1, b) - x0;
        const at = cursor[key];
        const n = to - from + 1;
        const parcels = parcelArrays[key];
        const pixels = pixelArrays[key];
        const offset = rowBase - at + from;
        for (let i = at; i < at + n; i++) {
          parcels[i] = parcel;
          pixels[i] = offset + i;
        }
        cursor[key] = at + n;
      }
    }
  }
  return { blocks, outsidePixels };
}
