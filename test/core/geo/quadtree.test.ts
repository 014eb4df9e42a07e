import assert from 'node:assert/strict';
import {
  cellBBox,
  cellHoldsKey,
  cellOfGroupNumber,
  cellOfKey,
  groupNumberOfCell,
  pointKey,
  QUADTREE_MAX_LEVEL,
  QuadtreeLeaves,
  splitCell,
} from '../../../src/core/geo/quadtree';
import type { BBox } from '../../../src/core/geo/types';

/** 33TWL's square in EPSG:32633. */
const TILE: BBox = [499_980, 4_990_200, 609_780, 5_100_000];

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPoints(n: number, seed: number, box: BBox = TILE): Array<[number, number]> {
  const next = random(seed);
  return Array.from({ length: n }, () => [
    box[0] + next() * (box[2] - box[0]),
    box[1] + next() * (box[3] - box[1]),
  ]);
}

function inBox([x, y]: [number, number], [minX, minY, maxX, maxY]: BBox): boolean {
  return x >= minX && x < maxX && y >= minY && y < maxY;
}

describe('quadtree of a tile', () => {
  it('names quadrants 2·north + east: 0 south-west, 1 south-east, 2 north-west, 3 north-east', () => {
    const [minX, minY, maxX, maxY] = TILE;
    const q = (fx: number, fy: number) =>
      cellOfKey(pointKey(minX + fx * (maxX - minX), minY + fy * (maxY - minY), TILE), 1);
    assert.deepEqual(
      [q(0.25, 0.25), q(0.75, 0.25), q(0.25, 0.75), q(0.75, 0.75)],
      ['0', '1', '2', '3'],
    );
  });

  it("puts every point inside its cell's box at every level (west and south edges included)", () => {
    for (const point of randomPoints(500, 1)) {
      const key = pointKey(point[0], point[1], TILE);
      for (let level = 0; level <= QUADTREE_MAX_LEVEL; level++) {
        assert.ok(inBox(point, cellBBox(cellOfKey(key, level), TILE)), `${point} level ${level}`);
      }
    }
    // The tile's centre is the south-west corner of quadrant 3.
    const centre = pointKey((TILE[0] + TILE[2]) / 2, (TILE[1] + TILE[3]) / 2, TILE);
    assert.equal(cellOfKey(centre, 1), '3');
  });

  it('clamps points outside the square onto its edge cells (a parcel sticking out of its tile)', () => {
    assert.equal(cellOfKey(pointKey(TILE[0] - 500, TILE[1] - 500, TILE), 3), '000');
    assert.equal(cellOfKey(pointKey(TILE[2] + 500, TILE[3] + 500, TILE), 3), '333');
  });

  it('numbers cells 4^level + Morton code: 1 for the tile, 4–7 for quadrants, unique and invertible', () => {
    assert.equal(groupNumberOfCell(''), 1);
    assert.deepEqual(['0', '1', '2', '3'].map(groupNumberOfCell), [4, 5, 6, 7]);
    assert.equal(groupNumberOfCell('00'), 16);
    assert.equal(groupNumberOfCell('33'), 31);
    const seen = new Set<number>();
    const walk = (cell: string) => {
      const n = groupNumberOfCell(cell);
      assert.ok(!seen.has(n), `number ${n} given twice`);
      seen.add(n);
      assert.equal(cellOfGroupNumber(n), cell);
      if (cell.length < 5) for (const d of '0123') walk(cell + d);
    };
    walk('');
    assert.equal(seen.size, 1 + 4 + 16 + 64 + 256 + 1024);
    // The deepest cell still fits a PostgreSQL integer.
    assert.ok(groupNumberOfCell('3'.repeat(QUADTREE_MAX_LEVEL)) < 2 ** 31);
    assert.throws(() => groupNumberOfCell('4'), RangeError);
    assert.throws(() => cellOfGroupNumber(2), RangeError);
  });

  it('splits a cell until every leaf holds at most the maximum, dropping empty quadrants', () => {
    const points = randomPoints(35, 2);
    const keys = points.map(([x, y]) => pointKey(x, y, TILE));
    const leaves = splitCell('', keys, 10);
    assert.ok(leaves.size >= 4);
    const members = [...leaves.values()].flat().sort((a, b) => a - b);
    assert.deepEqual(
      members,
      keys.map((_, i) => i),
    );
    for (const [cell, indices] of leaves) {
      assert.ok(indices.length >= 1 && indices.length <= 10, `${cell}: ${indices.length}`);
      for (const i of indices) assert.ok(inBox(points[i], cellBBox(cell, TILE)));
    }
    // Leaves are disjoint cells: none is an ancestor of another.
    const cells = [...leaves.keys()];
    for (const a of cells) for (const b of cells) if (a !== b) assert.ok(!b.startsWith(a));
    // A parent of a leaf held more than the maximum (otherwise it would not have split).
    for (const cell of cells) {
      const parent = cell.slice(0, -1);
      assert.ok(keys.filter((k) => cellHoldsKey(parent, k)).length > 10, cell);
    }
  });

  it('keeps a cell whole when it holds no more than the maximum', () => {
    const keys = randomPoints(10, 3).map(([x, y]) => pointKey(x, y, TILE));
    assert.deepEqual([...splitCell('', keys, 10).keys()], ['']);
  });

  it('gives the same leaves whatever the order of the points', () => {
    const keys = randomPoints(200, 4).map(([x, y]) => pointKey(x, y, TILE));
    const asCells = (ks: number[]) =>
      new Map([...splitCell('', ks, 7)].map(([cell, idx]) => [cell, idx.map((i) => ks[i]).sort()]));
    assert.deepEqual(asCells(keys), asCells([...keys].reverse()));
  });

  it('stops at the deepest level when more parcels than the maximum share a centroid', () => {
    const key = pointKey(550_000, 5_050_000, TILE);
    const leaves = splitCell('', Array(12).fill(key), 10);
    assert.deepEqual([...leaves.keys()], [cellOfKey(key, QUADTREE_MAX_LEVEL)]);
  });

  it('places a key in the leaf holding it, or in the largest free cell where no leaf is', () => {
    assert.deepEqual(new QuadtreeLeaves([]).place(123), { cell: '', existing: false });
    const leaves = new QuadtreeLeaves(['0', '1', '30', '33']);
    const at = (cell: string) => cellBBox(cell, TILE);
    const keyIn = (cell: string) => {
      const [minX, minY, maxX, maxY] = at(cell);
      return pointKey((minX + maxX) / 2 + 1, (minY + maxY) / 2 + 1, TILE);
    };
    assert.deepEqual(leaves.place(keyIn('0')), { cell: '0', existing: true });
    assert.deepEqual(leaves.place(keyIn('302')), { cell: '30', existing: true });
    // Quadrant 2 has no group: the whole quadrant is free.
    assert.deepEqual(leaves.place(keyIn('21')), { cell: '2', existing: false });
    // Inside split quadrant 3, cell 31 is free.
    assert.deepEqual(leaves.place(keyIn('312')), { cell: '31', existing: false });
    assert.throws(() => new QuadtreeLeaves(['0', '01']), /both a leaf and split/);
  });

  it('adding points to leaves and splitting those past the maximum gives the same leaves as splitting all at once', () => {
    const first = randomPoints(60, 5).map(([x, y]) => pointKey(x, y, TILE));
    const more = randomPoints(40, 6, [520_000, 5_000_000, 560_000, 5_040_000]).map(([x, y]) =>
      pointKey(x, y, TILE),
    );
    const max = 8;
    const tree = new Map(
      [...splitCell('', first, max)].map(([c, idx]) => [c, idx.map((i) => first[i])]),
    );
    const index = new QuadtreeLeaves(tree.keys());
    for (const key of more) {
      const { cell } = index.place(key);
      tree.set(cell, [...(tree.get(cell) ?? []), key]);
    }
    const incremental = new Map<string, number[]>();
    for (const [cell, keys] of tree) {
      for (const [leaf, idx] of splitCell(cell, keys, max)) {
        incremental.set(leaf, idx.map((i) => keys[i]).sort());
      }
    }
    const all = [...first, ...more];
    const batch = new Map(
      [...splitCell('', all, max)].map(([c, idx]) => [c, idx.map((i) => all[i]).sort()]),
    );
    assert.deepEqual(new Map([...incremental].sort()), new Map([...batch].sort()));
  });
});
