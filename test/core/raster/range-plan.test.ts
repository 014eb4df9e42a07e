import assert from 'node:assert/strict';
import { planTileReads } from '../../../src/core/raster/range-plan';

/** Every byte the plan reads, as [start, end) file ranges. */
function readRanges(plan: ReturnType<typeof planTileReads>): Array<[number, number]> {
  return plan.requests.map((r) => [r.offset, r.offset + r.length]);
}

describe('planTileReads', () => {
  // Tiles 0..5, 100 bytes each, stored back to back except a 50-byte gap before tile 3.
  const offsets = [1000, 1100, 1200, 1350, 1450, 1550];
  const counts = [100, 100, 100, 100, 100, 100];

  it('coalesces tiles that are adjacent in the file into one request', () => {
    const plan = planTileReads([0, 1, 2], offsets, counts);
    assert.deepEqual(readRanges(plan), [[1000, 1300]]);
    assert.deepEqual(
      plan.requests[0].tiles.map((t) => [t.tile, t.start, t.length]),
      [
        [0, 0, 100],
        [1, 100, 100],
        [2, 200, 100],
      ],
    );
  });

  it('never reads the gap bytes between tiles that are not adjacent', () => {
    const plan = planTileReads([2, 3], offsets, counts);
    assert.deepEqual(readRanges(plan), [
      [1200, 1300],
      [1350, 1450],
    ]);
  });

  it('coalesces by file position, not by tile index', () => {
    // Tile 1 stored first, tile 0 right after it: adjacent in the file although listed in reverse.
    const plan = planTileReads([0, 1], [500, 400], [100, 100]);
    assert.deepEqual(readRanges(plan), [[400, 600]]);
    assert.deepEqual(
      plan.requests[0].tiles.map((t) => [t.tile, t.start]),
      [
        [1, 0],
        [0, 100],
      ],
    );
  });

  it('reads a tile requested twice only once', () => {
    const plan = planTileReads([4, 4, 4], offsets, counts);
    assert.equal(plan.requests.length, 1);
    assert.deepEqual(
      plan.requests[0].tiles.map((t) => t.tile),
      [4],
    );
  });

  it('reads bytes shared by two tiles once', () => {
    // Writers may point identical tiles at the same bytes.
    const plan = planTileReads([0, 1], [800, 800], [64, 64]);
    assert.deepEqual(readRanges(plan), [[800, 864]]);
    assert.deepEqual(plan.requests[0].tiles.map((t) => [t.tile, t.start]).sort(), [
      [0, 0],
      [1, 0],
    ]);
  });

  it('joins tiles across gaps no larger than maxGapBytes when asked', () => {
    // GDAL's COG layout: 4-byte leader + 4-byte trailer between tiles.
    const gdalOffsets = [1000, 1108, 1216];
    const plan = planTileReads([0, 1, 2], gdalOffsets, [100, 100, 100], { maxGapBytes: 8 });
    assert.deepEqual(readRanges(plan), [[1000, 1316]]);
    assert.deepEqual(
      plan.requests[0].tiles.map((t) => t.start),
      [0, 108, 216],
    );
    const strict = planTileReads([0, 1, 2], gdalOffsets, [100, 100, 100], { maxGapBytes: 7 });
    assert.equal(strict.requests.length, 3);
  });

  it('splits a run of adjacent tiles at the maximum request size', () => {
    const plan = planTileReads([0, 1, 2], offsets, counts, { maxRequestBytes: 200 });
    assert.deepEqual(readRanges(plan), [
      [1000, 1200],
      [1200, 1300],
    ]);
  });

  it('gives a tile larger than the maximum request size a request of its own', () => {
    const plan = planTileReads([0, 1], [0, 5000], [5000, 10], { maxRequestBytes: 1000 });
    assert.deepEqual(readRanges(plan), [
      [0, 5000],
      [5000, 5010],
    ]);
  });

  it('reads nothing for sparse tiles and lists them apart', () => {
    const plan = planTileReads([0, 1, 2], [0, 1100, 0], [0, 100, 0]);
    assert.deepEqual(plan.sparse, [0, 2]);
    assert.deepEqual(readRanges(plan), [[1100, 1200]]);
  });

  it('covers each requested tile exactly once across all requests', () => {
    const plan = planTileReads([5, 0, 3, 1, 4, 2, 0], offsets, counts, { maxRequestBytes: 250 });
    const covered = plan.requests.flatMap((r) =>
      r.tiles.map((t) => {
        assert.equal(r.offset + t.start, offsets[t.tile], `tile ${t.tile} starts at its offset`);
        assert.ok(t.start + t.length <= r.length, `tile ${t.tile} lies inside its request`);
        return t.tile;
      }),
    );
    assert.deepEqual(covered.sort(), [0, 1, 2, 3, 4, 5]);
    const bytes = plan.requests.reduce((sum, r) => sum + r.length, 0);
    assert.equal(bytes, 600, 'the requests read the tiles and nothing else');
  });

  it('rejects a tile index outside the file', () => {
    assert.throws(() => planTileReads([6], offsets, counts), RangeError);
    assert.throws(() => planTileReads([-1], offsets, counts), RangeError);
  });
});
