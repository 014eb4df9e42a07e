import { type CrsInput, reprojectGeometry, resolveCrs } from '../geo/crs';
import type { ParcelGeometry } from '../geo/types';
import type { RasterGrid } from '../raster/grid';
import type { ParcelPixelMap } from './pixel-map';
import { buildPixelSlots } from './pixel-slots';
import { buildParcelPixelMap } from './rasterise';

/** A block's entries in shared memory, with the bounding box of its pixels (block-local). */
export interface SharedBlock {
  key: number;
  bx: number;
  by: number;
  pixel: Uint32Array;
  slot: Uint32Array;
  minCol: number;
  maxCol: number;
  minRow: number;
  maxRow: number;
}

/** A parcel set prepared for one grid: the pixel map, the slots, and blocks ready for threads. */
export interface PreparedGrid {
  map: ParcelPixelMap;
  parcelStart: Uint32Array;
  slotCount: number;
  blocks: SharedBlock[];
}

/** Prepared grids kept per parcel set; a group sees a handful of grids (one per tile or clip). */
const MAX_GRIDS_PER_SET = 8;

/**
 * The parcels of one computation (a group, a file) with everything derived from their geometry
 * cached: reprojections per CRS and pixel maps per grid. Parcels stay fixed while scenes change, so
 * the first scene of a grid pays for rasterisation ("cold") and the following ones reuse it ("warm").
 */
export class ParcelSet {
  private readonly projected = new Map<number, ParcelGeometry[]>();
  private readonly grids = new Map<string, PreparedGrid>();

  /**
   * @param ids external parcel ids, in the order of `geometries`
   * @param geometries parcel geometries in `crs` (EPSG:4326 for GeoJSON)
   */
  constructor(
    readonly ids: readonly string[],
    readonly geometries: readonly ParcelGeometry[],
    readonly crs: CrsInput = 4326,
  ) {
    if (ids.length !== geometries.length) throw new RangeError('one id per geometry');
  }

  get size(): number {
    return this.ids.length;
  }

  /** True when the grid was prepared before (the computation on it is warm). */
  isPrepared(grid: RasterGrid, blockSize: number, bufferMetres: number): boolean {
    return this.grids.has(gridKey(grid, blockSize, bufferMetres));
  }

  /** Geometries in `epsg`, reprojected once. */
  geometriesIn(epsg: number): ParcelGeometry[] {
    if (resolveCrs(this.crs).epsg === epsg) return this.geometries as ParcelGeometry[];
    let out = this.projected.get(epsg);
    if (!out) {
      out = this.geometries.map((g) => reprojectGeometry(g, this.crs, epsg));
      this.projected.set(epsg, out);
    }
    return out;
  }

  /** The pixel map and slots of these parcels on `grid`, built once per grid. */
  prepare(grid: RasterGrid, blockSize: number, bufferMetres: number): PreparedGrid {
    const key = gridKey(grid, blockSize, bufferMetres);
    let prepared = this.grids.get(key);
    if (!prepared) {
      const map = buildParcelPixelMap({
        grid,
        blockSize,
        parcels: this.geometriesIn(grid.epsg),
        bufferMetres,
      });
      prepared = shareBlocks(map);
      if (this.grids.size >= MAX_GRIDS_PER_SET) this.grids.delete(this.grids.keys().next().value!);
      this.grids.set(key, prepared);
    }
    return prepared;
  }
}

function shared(array: Uint32Array): Uint32Array {
  const copy = new Uint32Array(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}

function gridKey(grid: RasterGrid, blockSize: number, bufferMetres: number): string {
  return [
    grid.epsg,
    grid.originX,
    grid.originY,
    grid.pixelWidth,
    grid.pixelHeight,
    grid.width,
    grid.height,
    blockSize,
    bufferMetres,
  ].join(':');
}

/** Copies the map's per-block arrays into shared memory so worker threads read them without copies. */
function shareBlocks(map: ParcelPixelMap): PreparedGrid {
  const slots = buildPixelSlots(map);
  const blocks: SharedBlock[] = [];
  for (const [key, block] of [...map.blocks.entries()].sort((a, b) => a[0] - b[0])) {
    const n = block.pixel.length;
    // The rasteriser allocates block arrays in shared memory already; copy only if one is not.
    const pixel =
      block.pixel.buffer instanceof SharedArrayBuffer ? block.pixel : shared(block.pixel);
    const slot = new Uint32Array(new SharedArrayBuffer(n * 4));
    slot.set(slots.blockSlots.get(key)!);
    let minCol = Number.POSITIVE_INFINITY;
    let maxCol = -1;
    let minRow = Number.POSITIVE_INFINITY;
    let maxRow = -1;
    for (let j = 0; j < n; j++) {
      const px = pixel[j]!;
      const row = (px / map.blockSize) | 0;
      const col = px - row * map.blockSize;
      if (col < minCol) minCol = col;
      if (col > maxCol) maxCol = col;
      if (row < minRow) minRow = row;
      if (row > maxRow) maxRow = row;
    }
    blocks.push({ key, bx: block.bx, by: block.by, pixel, slot, minCol, maxCol, minRow, maxRow });
  }
  const parcelStart = new Uint32Array(new SharedArrayBuffer(slots.parcelStart.byteLength));
  parcelStart.set(slots.parcelStart);
  return { map, parcelStart, slotCount: slots.slotCount, blocks };
}
