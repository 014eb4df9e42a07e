import assert from 'node:assert/strict';
import { QUERY } from '../../../src/api/parameters';
import {
  bboxParameter,
  featuresBounds,
  graticule,
  zoomParameter,
} from '../../../src/api/web/map-view.js';

describe('web page map view', () => {
  it("writes the view's bbox in the form the map route accepts", () => {
    const text = bboxParameter([14.912345678, 45.1, 15.2, 45.3333333333]);
    assert.equal(text, '14.912346,45.100000,15.200000,45.333333');
    assert.match(text, new RegExp(QUERY.bbox.pattern));
    // Small numbers must not turn into exponent notation, which the route refuses.
    assert.match(bboxParameter([-0.0000001, 1e-7, 0.5, 0.5]), new RegExp(QUERY.bbox.pattern));
  });

  it('asks for every longitude when the view is wider than the world or crosses the antimeridian', () => {
    assert.equal(
      bboxParameter([-400, -95, 400, 95]),
      '-180.000000,-90.000000,180.000000,90.000000',
    );
    assert.equal(bboxParameter([170, 10, 190, 20]), '-180.000000,10.000000,180.000000,20.000000');
  });

  it('rounds the zoom up, within the route range 0–24', () => {
    assert.equal(zoomParameter(12.2), 13);
    assert.equal(zoomParameter(12), 12);
    assert.equal(zoomParameter(-1), 0);
    assert.equal(zoomParameter(30), 24);
  });

  it('bounds every coordinate of (multi)polygon features; null without any', () => {
    const square = (x: number, y: number) => [
      [
        [x, y],
        [x + 1, y],
        [x + 1, y + 1],
        [x, y],
      ],
    ];
    const features = [
      { geometry: { type: 'MultiPolygon', coordinates: [square(2, 40), square(5, 41)] } },
      { geometry: { type: 'Polygon', coordinates: square(-1, 45) } },
      { geometry: null },
    ];
    assert.deepEqual(featuresBounds(features), [-1, 40, 6, 46]);
    assert.equal(featuresBounds([]), null);
  });

  it('draws graticule lines on round degrees across the view', () => {
    const { step, collection } = graticule([14.93, 45.21, 15.13, 45.38]);
    assert.equal(step, 0.05);
    const lines: number[][][] = collection.features[0].geometry.coordinates;
    const meridians = lines.filter((l) => l[0][0] === l[1][0]).map((l) => l[0][0]);
    const parallels = lines.filter((l) => l[0][1] === l[1][1]).map((l) => l[0][1]);
    assert.deepEqual(meridians, [14.95, 15, 15.05, 15.1]);
    assert.deepEqual(parallels, [45.25, 45.3, 45.35]);
  });
});
