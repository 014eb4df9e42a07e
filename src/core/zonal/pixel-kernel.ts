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

interface AxisLookup {
  tile: Int32Array;
  inTile: Int32Array;
}

/** For each column (or row) of a block, the band's tile column and the position inside it; -1 off the raster. */
function axisLookup(
  start: number,
  count: number,
  scale: number,
  offset: number,
  size: number,
  tileSize: number,
): AxisLookup {
  const tile = new Int32Array(count);
  const inTile = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const at = Math.floor((start + i + 0.5) * scale + offset);
    if (at < 0 || at >= size) {
      tile[i] = -1;
      continue;
    }
    const t = Math.floor(at / tileSize);
    tile[i] = t;
    inTile[i] = at - t * tileSize;
  }
  return { tile, inTile };
}

interface BandCursor {
  band: BandOnGrid;
  cols: AxisLookup;
  rows: AxisLookup;
}

function cursorFor(band: BandOnGrid, block: BlockEntries, blockSize: number): BandCursor {
  return {
    band,
    cols: axisLookup(
      block.bx * blockSize,
      blockSize,
      band.scaleX,
      band.offsetX,
      band.width,
      band.tileWidth,
    ),
    rows: axisLookup(
      block.by * blockSize,
      blockSize,
      band.scaleY,
      band.offsetY,
      band.height,
      band.tileHeight,
    ),
  };
}

/** The band's value at block pixel (c, r), or its nodata when off the raster or in a missing tile. */
function sample(cursor: BandCursor, c: number, r: number): number {
  const tc = cursor.cols.tile[c]!;
  const tr = cursor.rows.tile[r]!;
  const band = cursor.band;
  if (tc < 0 || tr < 0) return band.nodata;
  const tile = band.tiles.get(tr * band.tilesAcross + tc);
  if (tile === undefined) return band.nodata;
  return tile[cursor.rows.inTile[r]! * band.tileWidth + cursor.cols.inTile[c]!]!;
}

/** Classifies and evaluates every assigned pixel of one block. */
export function processBlock(
  setup: KernelSetup,
  block: BlockEntries,
  blockSize: number,
  out: KernelOutputs,
): void {
  const bandCursors = setup.bands.map((band) => cursorFor(band, block, blockSize));
  const sclCursor = cursorFor(setup.scl, block, blockSize);
  const nBands = bandCursors.length;
  const nIndices = setup.indices.length;
  const dn = new Float64Array(nBands);
  const reflectance = new Float64Array(nBands);
  const hasData = new Uint8Array(nBands);
  const { scale, offset, validScl, indices, checkBand } = setup;
  const { classes, values, checkHistogram } = out;

  for (let j = 0; j < block.pixel.length; j++) {
    const px = block.pixel[j]!;
    const slot = block.slot[j]!;
    const r = (px / blockSize) | 0;
    const c = px - r * blockSize;
    const scl = sample(sclCursor, c, r);
    for (let k = 0; k < nBands; k++) {
      const value = sample(bandCursors[k]!, c, r);
      dn[k] = value;
      hasData[k] = value !== setup.bands[k]!.nodata ? 1 : 0;
      reflectance[k] = value * scale + offset;
    }
    const sclHasData = scl !== setup.scl.nodata;
    const clear = sclHasData && validScl[scl] === 1;
    if (clear && checkBand >= 0 && hasData[checkBand] === 1 && (scl === 4 || scl === 5)) {
      const d = dn[checkBand]!;
      if (d >= 0 && d < checkHistogram.length) checkHistogram[d | 0]!++;
    }
    for (let i = 0; i < nIndices; i++) {
      const kernel = indices[i]!;
      const [a, b, cArg] = kernel.args;
      // The SCL decides first: a pixel it classifies as cloud, shadow or snow is masked even when a
      // band holds no value there (clean rasters zero the DN of masked pixels and keep the SCL).
      if (sclHasData && !clear) {
        classes[i]![slot] = MASKED;
        values[i]![slot] = Number.NaN;
        continue;
      }
      if (!sclHasData || hasData[a] === 0 || hasData[b] === 0 || hasData[cArg] === 0) {
        classes[i]![slot] = NO_DATA;
        values[i]![slot] = Number.NaN;
        continue;
      }
      const v = kernel.formula(reflectance[a]!, reflectance[b]!, reflectance[cArg]!);
      if (Number.isFinite(v) && v >= kernel.min && v <= kernel.max) {
        classes[i]![slot] = VALID;
        values[i]![slot] = v;
      } else {
        classes[i]![slot] = MASKED;
        values[i]![slot] = Number.NaN;
      }
    }
  }
}
