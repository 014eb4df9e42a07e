import type { RasterGrid } from '../raster/grid';

/**
 * Which pixels of one raster grid belong to which parcel, grouped by square blocks aligned with
 * the COG's internal tiles so each block streams on its own. Parcels stay fixed while scenes
 * change, so one map serves every scene on the same grid. Built by `buildParcelPixelMap`
 * (rasterise.ts), which states the pixel-centre, boundary and buffer rules.
 */
export interface ParcelPixelMap {
  /** The 10 m grid the map was built on (CRS, origin, size). */
  grid: RasterGrid;
  /** Block edge in pixels; block (bx, by) covers cols [bx*blockSize, …) and rows [by*blockSize, …). */
  blockSize: number;
  /** Blocks across the grid: ceil(grid.width / blockSize). */
  blocksAcross: number;
  /** Blocks down the grid: ceil(grid.height / blockSize). */
  blocksDown: number;
  parcelCount: number;
  /** Per parcel: pixels assigned to it, inside the grid or not (the `total_pixels` of a statistic). */
  totalPixels: Uint32Array;
  /** Per parcel: assigned pixels that fall outside the grid; they count as invalid, never dropped. */
  outsidePixels: Uint32Array;
  /** Per parcel: 1 when the inward buffer left no pixel and the parcel fell back to no buffer. */
  bufferFallback: Uint8Array;
  /** Blocks holding at least one assigned pixel, keyed by `by * blocksAcross + bx`. */
  blocks: Map<number, BlockPixels>;
}

/**
 * The assigned pixels inside one block, sorted by parcel then by pixel offset. `buildParcelPixelMap`
 * (rasterise.ts) returns the arrays as views into one SharedArrayBuffer, so posting a block or the
 * whole map to a worker thread shares the memory rather than copying it.
 */
export interface BlockPixels {
  bx: number;
  by: number;
  /** Parcel index (into the caller's parcel list) of each entry. */
  parcel: Uint32Array;
  /** Pixel offset within the block of each entry: `(row - by*blockSize) * blockSize + (col - bx*blockSize)`. */
  pixel: Uint32Array;
}
