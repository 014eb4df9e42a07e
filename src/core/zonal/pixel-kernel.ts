import type { CogPixels } from '../raster/cog-types';

/**
 * The per-pixel heart of the engine, shared by worker threads and the in-thread path: for each
 * assigned pixel of a block, read every band on the reference (10 m) grid by nearest neighbour,
 * classify it (SCL 0: no data; SCL not clear: masked; a band without data: no data; else the index
 * if defined and in range: valid) and evaluate each index. Results go straight into shared
 * arrays at the pixel's slot, so blocks can run on any thread in any order.
 */

/** Pixel classes stored per index and slot. */
export const NO_DATA = 0;
export const MASKED = 1;
export const VALID = 2;

/** How one band's raster sits on the reference grid, and its decoded tiles for the current unit. */
export interface BandOnGrid {
  /** band column = floor((refCol + 0.5) * scaleX + offsetX); rows likewise. */
  scaleX: number;
  offsetX: number;
  scaleY: number;
  offsetY: number;
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  tilesAcross: number;
  nodata: number;
  /** Decoded tiles by tile index; a missing tile reads as nodata. */
  tiles: Map<number, CogPixels>;
}

export interface IndexKernel {
  /** Positions in the kernel's band list of the formula's arguments (unused ones repeat the first). */
  args: readonly [number, number, number];
  formula: (a: number, b: number, c: number) => number;
  min: number;
  max: number;
}

export interface KernelSetup {
  /** Reflectance bands, in the order `IndexKernel.args` refer to. */
  bands: BandOnGrid[];
  /** The SCL band on the same grid. */
  scl: BandOnGrid;
  /** Position (in `bands`) of the band sampled for the harmonisation check, or -1. */
  checkBand: number;
  /** validScl[c] = 1 when SCL class c counts as clear. */
  validScl: Uint8Array;
  scale: number;
  offset: number;
  indices: IndexKernel[];
}

/** Where the results go; every array is indexed by slot (one per assigned inside pixel). */
export interface KernelOutputs {
  /** Per index: pixel class (NO_DATA, MASKED, VALID). */
  classes: Uint8Array[];
  /** Per index: the index value of VALID pixels, NaN otherwise. */
  values: Float32Array[];
  /** DN histogram of the check band over clear land pixels (SCL 4 or 5). */
  checkHistogram: Uint32Array;
}

export interface BlockEntries {
  bx: number;
  by: number;
  /** Pixel offsets within the block (row * blockSize + col). */
  pixel: Uint32Array;
  slot: Uint32Array;
}

interface Axis {
  /** Per block column (or row): the tile position relative to `first`, -1 off the raster. */
  tile: Int32Array;
  inTile: Int32Array;
  first: number;
  last: number;
}

/** Maps each column (or row) of a block to the band's tile and the position inside it. */
function axis(
  start: number,
  count: number,
  scale: number,
  offset: number,
  size: number,
  tileSize: number,
): Axis {
  const tile = new Int32Array(count);
  const inTile = new Int32Array(count);
  let first = Number.POSITIVE_INFINITY;
  let last = -1;
  for (let i = 0; i < count; i++) {
    const at = Math.floor((start + i + 0.5) * scale + offset);
    if (at < 0 || at >= size) {
      tile[i] = -1;
      inTile[i] = -1;
      continue;
    }
    const t = Math.floor(at / tileSize);
    tile[i] = t;
    inTile[i] = at - t * tileSize;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  if (last < 0) return { tile, inTile, first: 0, last: -1 };
  for (let i = 0; i < count; i++) if (tile[i]! >= 0) tile[i]! -= first;
  return { tile, inTile, first, last };
}

/**
 * Samples one band at every entry of a block into `out`, by nearest neighbour. The common case —
 * the block lies inside one tile of the band, wholly on the raster — is a branch-free gather; the
 * rest (raster edges, blocks straddling tiles, missing tiles) takes the checked path.
 */
function sampleBand(
  band: BandOnGrid,
  block: BlockEntries,
  blockSize: number,
  rowOf: Uint16Array,
  colOf: Uint16Array,
  count: number,
  out: Float64Array,
): void {
  const cols = axis(
    block.bx * blockSize,
    blockSize,
    band.scaleX,
    band.offsetX,
    band.width,
    band.tileWidth,
  );
  const rows = axis(
    block.by * blockSize,
    blockSize,
    band.scaleY,
    band.offsetY,
    band.height,
    band.tileHeight,
  );
  const across = cols.last - cols.first + 1;
  const tiles: Array<ArrayLike<number> | undefined> = [];
  for (let tr = rows.first; tr <= rows.last; tr++) {
    for (let tc = cols.first; tc <= cols.last; tc++)
      tiles.push(band.tiles.get(tr * band.tilesAcross + tc));
  }
  const rowBase = new Int32Array(blockSize);
  for (let i = 0; i < blockSize; i++) rowBase[i] = rows.inTile[i]! * band.tileWidth;
  const single =
    tiles.length === 1 &&
    tiles[0] !== undefined &&
    !cols.tile.includes(-1) &&
    !rows.tile.includes(-1);
  if (single) {
    const tile = tiles[0]!;
    const colIn = cols.inTile;
    for (let j = 0; j < count; j++) out[j] = tile[rowBase[rowOf[j]!]! + colIn[colOf[j]!]!]!;
    return;
  }
  for (let j = 0; j < count; j++) {
    const ct = cols.tile[colOf[j]!]!;
    const rt = rows.tile[rowOf[j]!]!;
    const tile = ct < 0 || rt < 0 ? undefined : tiles[rt * across + ct];
    out[j] =
      tile === undefined ? band.nodata : tile[rowBase[rowOf[j]!]! + cols.inTile[colOf[j]!]!]!;
  }
}

/** Scratch arrays reused from block to block (grown on demand). */
class Scratch {
  rowOf = new Uint16Array(0);
  colOf = new Uint16Array(0);
  scl = new Float64Array(0);
  dn: Float64Array[] = [];

  ensure(count: number, bands: number): void {
    if (this.rowOf.length < count) {
      this.rowOf = new Uint16Array(count);
      this.colOf = new Uint16Array(count);
      this.scl = new Float64Array(count);
      this.dn = [];
    }
    while (this.dn.length < bands) this.dn.push(new Float64Array(this.rowOf.length));
  }
}

const scratch = new Scratch();

/**
 * Classifies and evaluates every assigned pixel of one block, band-major: each band is gathered in
 * one tight pass, then each index is evaluated in one pass over the gathered values.
 */
export function processBlock(
  setup: KernelSetup,
  block: BlockEntries,
  blockSize: number,
  out: KernelOutputs,
): void {
  const count = block.pixel.length;
  const nBands = setup.bands.length;
  scratch.ensure(count, nBands);
  const { rowOf, colOf } = scratch;
  const pixels = block.pixel;
  for (let j = 0; j < count; j++) {
    const px = pixels[j]!;
    const r = (px / blockSize) | 0;
    rowOf[j] = r;
    colOf[j] = px - r * blockSize;
  }
  const scl = scratch.scl;
  sampleBand(setup.scl, block, blockSize, rowOf, colOf, count, scl);
  for (let k = 0; k < nBands; k++)
    sampleBand(setup.bands[k]!, block, blockSize, rowOf, colOf, count, scratch.dn[k]!);

  const { scale, offset, validScl, checkBand } = setup;
  const sclNodata = setup.scl.nodata;
  const slots = block.slot;
  if (checkBand >= 0) {
    const dn = scratch.dn[checkBand]!;
    const nodata = setup.bands[checkBand]!.nodata;
    const histogram = out.checkHistogram;
    for (let j = 0; j < count; j++) {
      const c = scl[j]!;
      const d = dn[j]!;
      if (
        (c === 4 || c === 5) &&
        validScl[c] === 1 &&
        d !== nodata &&
        d >= 0 &&
        d < histogram.length
      )
        histogram[d | 0]!++;
    }
  }
  for (let i = 0; i < setup.indices.length; i++) {
    const kernel = setup.indices[i]!;
    const a = scratch.dn[kernel.args[0]]!;
    const b = scratch.dn[kernel.args[1]]!;
    const cBand = scratch.dn[kernel.args[2]]!;
    const noA = setup.bands[kernel.args[0]]!.nodata;
    const noB = setup.bands[kernel.args[1]]!.nodata;
    const noC = setup.bands[kernel.args[2]]!.nodata;
    const { formula, min, max } = kernel;
    const classes = out.classes[i]!;
    const values = out.values[i]!;
    for (let j = 0; j < count; j++) {
      const slot = slots[j]!;
      const c = scl[j]!;
      // The SCL decides first: no data, or masked (cloud, shadow, snow) even where a band holds no
      // value (clean rasters zero the DN of masked pixels and keep the SCL).
      if (c === sclNodata) {
        classes[slot] = NO_DATA;
        values[slot] = Number.NaN;
        continue;
      }
      if (validScl[c] !== 1) {
        classes[slot] = MASKED;
        values[slot] = Number.NaN;
        continue;
      }
      const da = a[j]!;
      const db = b[j]!;
      const dc = cBand[j]!;
      if (da === noA || db === noB || dc === noC) {
        classes[slot] = NO_DATA;
        values[slot] = Number.NaN;
        continue;
      }
      const v = formula(da * scale + offset, db * scale + offset, dc * scale + offset);
      // NaN and ±Infinity (a zero denominator) fail the range test.
      if (v >= min && v <= max) {
        classes[slot] = VALID;
        values[slot] = v;
      } else {
        classes[slot] = MASKED;
        values[slot] = Number.NaN;
      }
    }
  }
}
