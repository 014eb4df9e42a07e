import assert from 'node:assert/strict';
import {
  areaInsideBBox,
  distanceToBoundary,
  geometryArea,
  geometryBBox,
  geometryCentroid,
  geometryPerimeter,
  pointInGeometry,
  validateGeometry,
} from '../../../src/core/geo/geometry';
import type { MultiPolygon, Polygon, Position, Ring } from '../../../src/core/geo/types';

function ring(...positions: Position[]): Ring {
  return [...positions, positions[0]];
}

const square = (x0: number, y0: number, size: number, clockwise = false): Ring => {
  const corners: Position[] = [
    [x0, y0],
    [x0 + size, y0],
    [x0 + size, y0 + size],
    [x0, y0 + size],
  ];
  return ring(...(clockwise ? corners.reverse() : corners));
};

/** 10 × 10 square at the origin with a 2 × 2 hole whose lower-left corner is (6, 6). */
const holed: Polygon = { type: 'Polygon', coordinates: [square(0, 0, 10), square(6, 6, 2, true)] };

describe('geometry', () => {
  it('measures bbox, area and perimeter, holes subtracting area whatever the ring orientation', () => {
    assert.deepEqual(geometryBBox(holed), [0, 0, 10, 10]);
    assert.equal(geometryArea(holed), 96);
    const sameHoleOtherWay: Polygon = {
      type: 'Polygon',
      coordinates: [square(0, 0, 10, true), square(6, 6, 2)],
    };
    assert.equal(geometryArea(sameHoleOtherWay), 96);
    assert.equal(geometryPerimeter(holed), 48);
    const multi: MultiPolygon = {
      type: 'MultiPolygon',
      coordinates: [holed.coordinates, [square(20, 0, 3)]],
    };
    assert.equal(geometryArea(multi), 105);
    assert.deepEqual(geometryBBox(multi), [0, 0, 23, 10]);
  });

  it('puts the centroid at the area-weighted mean, holes pulling it away', () => {
    // Full square centroid (5, 5) × 100 minus hole centroid (7, 7) × 4, over 96.
    const [x, y] = geometryCentroid(holed);
    assert.ok(Math.abs(x - (500 - 28) / 96) < 1e-12);
    assert.ok(Math.abs(y - (500 - 28) / 96) < 1e-12);
    // An L shape: 2 × 1 bar plus a 1 × 1 square on top of its left end.
    const l: Polygon = {
      type: 'Polygon',
      coordinates: [ring([0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2])],
    };
    const [lx, ly] = geometryCentroid(l);
    assert.ok(Math.abs(lx - (2 * 1 + 1 * 0.5) / 3) < 1e-12);
    assert.ok(Math.abs(ly - (2 * 0.5 + 1 * 1.5) / 3) < 1e-12);
  });

  it('keeps the centroid exact at UTM-sized coordinates', () => {
    const far: Polygon = { type: 'Polygon', coordinates: [square(499_980, 5_099_900, 100)] };
    assert.deepEqual(geometryCentroid(far), [500_030, 5_099_950]);
  });

  it('falls back to the mean position for a geometry without area', () => {
    const line: Polygon = { type: 'Polygon', coordinates: [ring([0, 0], [4, 0], [2, 0])] };
    const [x, y] = geometryCentroid(line);
    assert.equal(y, 0);
    assert.ok(x > 0 && x < 4);
  });

  it('tests points against polygons with holes and multipolygon parts', () => {
    assert.equal(pointInGeometry(holed, 2, 2), true);
    assert.equal(pointInGeometry(holed, 7, 7), false, 'inside the hole');
    assert.equal(pointInGeometry(holed, 11, 5), false);
    const multi: MultiPolygon = {
      type: 'MultiPolygon',
      coordinates: [holed.coordinates, [square(20, 0, 3)]],
    };
    assert.equal(pointInGeometry(multi, 21, 1), true);
    assert.equal(pointInGeometry(multi, 15, 1), false);
  });

  it('puts boundary points in on the east and north edges and out on the west and south edges', () => {
    const unit: Polygon = { type: 'Polygon', coordinates: [square(0, 0, 10)] };
    assert.equal(pointInGeometry(unit, 0, 5), false, 'west');
    assert.equal(pointInGeometry(unit, 10, 5), true, 'east');
    assert.equal(pointInGeometry(unit, 5, 10), true, 'north');
    assert.equal(pointInGeometry(unit, 5, 0), false, 'south');
  });

  it('measures the distance to the nearest edge of any ring', () => {
    assert.equal(distanceToBoundary(holed, 2, 3), 2);
    assert.equal(distanceToBoundary(holed, 5, 5), Math.SQRT2, 'nearest is the hole corner (6, 6)');
    assert.equal(distanceToBoundary(holed, 13, 14), 5, 'outside: distance to the corner (10, 10)');
  });

  it('clips area to a box, holes subtracting only their inside part', () => {
    assert.equal(areaInsideBBox(holed, [5, -1, 20, 20]), 50 - 4);
    assert.equal(
      areaInsideBBox(holed, [0, 0, 7, 10]),
      70 - 2,
      'half of the 2 × 2 hole is left of x = 7',
    );
    assert.equal(areaInsideBBox(holed, [30, 30, 40, 40]), 0);
  });

  describe('validateGeometry', () => {
    const reasons = (g: unknown, geographic = false) =>
      validateGeometry(g, { geographic }).map((p) => p.reason);

    it('accepts a valid polygon and multipolygon', () => {
      assert.deepEqual(reasons(holed), []);
      assert.deepEqual(
        reasons({ type: 'MultiPolygon', coordinates: [[square(0, 0, 1)], [square(2, 2, 1)]] }),
        [],
      );
    });

    it('names each structural problem and where it is', () => {
      assert.deepEqual(reasons({ type: 'Point', coordinates: [1, 2] }), ['not-a-polygon']);
      assert.deepEqual(reasons(null), ['not-a-polygon']);
      assert.deepEqual(reasons({ type: 'Polygon', coordinates: [] }), ['empty']);
      assert.deepEqual(reasons({ type: 'MultiPolygon', coordinates: [] }), ['empty']);
      assert.deepEqual(
        reasons({
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [0, 0],
            ],
          ],
        }),
        ['too-few-positions'],
      );
      const open = validateGeometry({
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      });
      assert.deepEqual(
        open.map((p) => p.reason),
        ['unclosed-ring'],
      );
      assert.match(
        open[0].message,
        /polygon 0, ring 0 is not closed \(first \[0, 0\], last \[0, 1\]\)/,
      );
      const nan = validateGeometry({
        type: 'Polygon',
        coordinates: [square(0, 0, 1), ring([0, 0], [Number.NaN, 0], [1, 1])],
      });
      assert.deepEqual(
        nan.map((p) => p.reason),
        ['non-finite-coordinate'],
      );
      assert.match(nan[0].message, /ring 1, position 1/);
    });

    it('checks lon/lat ranges only for geographic coordinates', () => {
      const utm: Polygon = { type: 'Polygon', coordinates: [square(500_000, 5_000_000, 100)] };
      assert.deepEqual(reasons(utm), []);
      assert.deepEqual(reasons(utm, true), ['out-of-range']);
      assert.match(validateGeometry(utm, { geographic: true })[0].message, /another CRS/);
    });
  });
});
