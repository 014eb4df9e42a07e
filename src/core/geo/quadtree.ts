import type { BBox } from './types';

/**
 * The quadtree that cuts a Sentinel-2 tile's square (109.8 km, in the tile's UTM CRS) into parcel
 * groups. A cell is named by its path from the whole square (`''`): one digit per level, the
 * quadrant `2·north + east` (0 south-west, 1 south-east, 2 north-west, 3 north-east). Read in
 * base 4, a path is the Z-order (Morton) code of the cell at its level, so `4^level + code` is a
 * unique number per cell within a tile — the group number.
 *
 * Points are placed by an integer key: their Morton code at the deepest level. A key's cell at any
 * level is a prefix of its path, so placing and splitting never look at coordinates again.
 */

/**
 * Deepest level: 2 × 4^15 still fits a PostgreSQL integer (the group number), and cells there
 * are 3.4 m across, smaller than any parcel. A cell at this level is never split further, even
 * past the maximum (only parcels sharing a centroid to within metres can fill one).
 */
export const QUADTREE_MAX_LEVEL = 15;
const SIDE = 2 ** QUADTREE_MAX_LEVEL;

/** A cell path: `''` is the whole square, `'0312'` a cell of level 4. */
export type CellPath = string;

const CELL_PATTERN = /^[0-3]*$/;

/**
 * The point's key: the Morton code of the deepest cell holding (x, y) in the square `bbox`.
 * Points on a cell's west or south edge belong to it; points outside the square are clamped onto
 * its nearest edge cell (a parcel may stick out of its primary tile when no tile holds it whole).
 */
export function pointKey(x: number, y: number, bbox: BBox): number {
  const [minX, minY, maxX, maxY] = bbox;
  const column = clampIndex(Math.floor(((x - minX) / (maxX - minX)) * SIDE));
  const row = clampIndex(Math.floor(((y - minY) / (maxY - minY)) * SIDE));
  let key = 0;
  for (let bit = QUADTREE_MAX_LEVEL - 1; bit >= 0; bit--) {
    const digit = (((row >> bit) & 1) << 1) | ((column >> bit) & 1);
    key = key * 4 + digit;
  }
  return key;
}

function clampIndex(i: number): number {
  if (!Number.isFinite(i) || i < 0) return 0;
  return i >= SIDE ? SIDE - 1 : i;
}

/** The cell of level `level` holding the key. */
export function cellOfKey(key: number, level: number): CellPath {
  if (level === 0) return '';
  const code = Math.floor(key / 4 ** (QUADTREE_MAX_LEVEL - level));
  return code.toString(4).padStart(level, '0');
}

/** True when the key lies in the cell. */
export function cellHoldsKey(cell: CellPath, key: number): boolean {
  return cellOfKey(key, cell.length) === cell;
}

/** The group number of a cell: `4^level + Morton code`, unique per tile, 1 for the whole square. */
export function groupNumberOfCell(cell: CellPath): number {
  assertCell(cell);
  return 4 ** cell.length + (cell.length ? Number.parseInt(cell, 4) : 0);
}

/** The cell of a group number (inverse of `groupNumberOfCell`). */
export function cellOfGroupNumber(groupNumber: number): CellPath {
  if (!Number.isInteger(groupNumber) || groupNumber < 1) {
    throw new RangeError(
      `group number ${groupNumber} is not a quadtree cell number (an integer ≥ 1)`,
    );
  }
  const digits = groupNumber.toString(4);
  const level = digits.length - 1;
  if (digits[0] !== '1' || level > QUADTREE_MAX_LEVEL) {
    throw new RangeError(`group number ${groupNumber} is not 4^level + code for any level`);
  }
  return digits.slice(1);
}

/** The cell's extent in the square's CRS. */
export function cellBBox(cell: CellPath, bbox: BBox): BBox {
  assertCell(cell);
  let [minX, minY, maxX, maxY] = bbox;
  for (const digit of cell) {
    const d = Number(digit);
    const midX = (minX + maxX) / 2;
    const midY = (minY + maxY) / 2;
    if (d & 1) minX = midX;
    else maxX = midX;
    if (d & 2) minY = midY;
    else maxY = midY;
  }
  return [minX, minY, maxX, maxY];
}

/**
 * Cuts a cell holding `keys` into leaves of at most `maxParcels` keys each: a cell over the
 * maximum splits into its quadrants, recursively; quadrants left empty get no leaf. Returns each
 * leaf with the indices (into `keys`) it holds, leaves in path order. Deterministic: depends on
 * the keys only, not on their order.
 */
export function splitCell(
  cell: CellPath,
  keys: ArrayLike<number>,
  maxParcels: number,
): Map<CellPath, number[]> {
  assertCell(cell);
  if (!Number.isInteger(maxParcels) || maxParcels < 1) {
    throw new RangeError(`maxParcels must be a positive integer, got ${maxParcels}`);
  }
  const leaves = new Map<CellPath, number[]>();
  const all = Array.from({ length: keys.length }, (_, i) => i);
  const visit = (path: CellPath, members: number[]) => {
    if (members.length <= maxParcels || path.length >= QUADTREE_MAX_LEVEL) {
      if (members.length > 0) leaves.set(path, members);
      return;
    }
    const quadrants: number[][] = [[], [], [], []];
    const shift = 4 ** (QUADTREE_MAX_LEVEL - path.length - 1);
    for (const i of members) quadrants[Math.floor(keys[i] / shift) % 4].push(i);
    quadrants.forEach((q, digit) => {
      visit(path + digit, q);
    });
  };
  visit(cell, all);
  return leaves;
}

/**
 * The leaves of one tile's quadtree (the cells of its existing groups), answering where a new key
 * goes: into the leaf holding it, or — when it falls where no leaf is (a quadrant left empty by an
 * earlier split, or an empty tile) — into the largest free cell holding it, the cell a fresh
 * split of the same parcels would give it.
 */
export class QuadtreeLeaves {
  private readonly leaves: Set<CellPath>;
  /** Every strict ancestor of a leaf: cells already split. */
  private readonly split = new Set<CellPath>();

  constructor(cells: Iterable<CellPath>) {
    this.leaves = new Set(cells);
    for (const cell of this.leaves) {
      assertCell(cell);
      for (let level = 0; level < cell.length; level++) this.split.add(cell.slice(0, level));
    }
    for (const cell of this.leaves) {
      if (this.split.has(cell)) {
        throw new RangeError(`quadtree cell "${cell}" is both a leaf and split; groups overlap`);
      }
    }
  }

  /** The cell a key belongs to, and whether a leaf (group) exists there already. */
  place(key: number): { cell: CellPath; existing: boolean } {
    for (let level = 0; level <= QUADTREE_MAX_LEVEL; level++) {
      const cell = cellOfKey(key, level);
      if (this.leaves.has(cell)) return { cell, existing: true };
      if (!this.split.has(cell)) return { cell, existing: false };
    }
    // Unreachable: a leaf at the deepest level is never split, so the loop returns before.
    throw new RangeError(`key ${key} is outside the quadtree`);
  }
}

function assertCell(cell: CellPath): void {
  if (!CELL_PATTERN.test(cell) || cell.length > QUADTREE_MAX_LEVEL) {
    throw new RangeError(
      `"${cell}" is not a quadtree cell path (digits 0–3, at most ${QUADTREE_MAX_LEVEL})`,
    );
  }
}
