import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import { reprojectPoint } from '../../../src/core/geo/crs';
import { primaryTile } from '../../../src/core/geo/primary-tile';
import { tileContains } from '../../../src/core/geo/s2-tiles';
import type { Polygon, Position } from '../../../src/core/geo/types';

/** A lon/lat polygon from UTM corners of `epsg`, each edge densified so it stays straight in UTM. */
function fromUtm(epsg: number, corners: Position[]): Polygon {
  const ring: Position[] = [];
  corners.forEach((a, i) => {
    const b = corners[(i + 1) % corners.length];
    for (let k = 0; k < 20; k++) {
      const t = k / 20;
      ring.push(reprojectPoint([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])], epsg, 4326));
    }
  });
  ring.push(ring[0]);
  return { type: 'Polygon', coordinates: [ring] };
}

function box(x0: number, y0: number, x1: number, y1: number): Position[] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

describe('primaryTile', () => {
  it('takes the tile of the square holding the centroid when it contains the parcel', () => {
    const parcel = fromUtm(32633, box(550_000, 5_050_000, 550_200, 5_050_150));
    assert.deepEqual(primaryTile(parcel), {
      tile: '33TWL',
      reason: 'centroid-square',
      whole: true,
      coverage: 1,
    });
  });

  it('prefers the centroid square tile even where a neighbour contains the parcel too', () => {
    // In the 9.8 km overlap with 33TWM, but the centroid is in 33TWL's square.
    const parcel = fromUtm(32633, box(550_000, 5_095_000, 550_100, 5_095_100));
    assert.equal(primaryTile(parcel).tile, '33TWL');
  });

  it('moves a parcel sticking out of its centroid tile to a neighbour that holds it whole', () => {
    // Centroid 20 m below 33TWL's north edge (5 100 000 m) but 60 m beyond it: 33TWM reaches
    // 9.8 km south of its square and holds it.
    const parcel = fromUtm(32633, box(550_000, 5_099_900, 550_100, 5_100_060));
    assert.equal(tileContains('33TWL', parcel), false);
    assert.deepEqual(primaryTile(parcel), {
      tile: '33TWM',
      reason: 'contains-whole',
      whole: true,
      coverage: 1,
    });
  });

  it('keeps a parcel across a UTM zone edge in its centroid tile, which reaches past the edge', () => {
    const parcel: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [11.994, 45.5],
          [12.002, 45.5],
          [12.002, 45.503],
          [11.994, 45.503],
          [11.994, 45.5],
        ],
      ],
    };
    // Centroid at 11.998°E, in zone 32; the parcel reaches 12.002°E, in zone 33.
    const choice = primaryTile(parcel);
    assert.equal(choice.reason, 'centroid-square');
    assert.ok(choice.tile.startsWith('32T'), choice.tile);
  });

  it('picks the tile covering the largest share when none holds a huge parcel, and flags it', () => {
    // A 150 km × 2 km strip: 33TWL's footprint (x 499 980–609 780) covers 100.02 km of it.
    const strip = fromUtm(32633, box(450_000, 5_050_000, 600_000, 5_052_000));
    const choice = primaryTile(strip);
    assert.equal(choice.tile, '33TWL');
    assert.equal(choice.reason, 'largest-share');
    assert.equal(choice.whole, false);
    assert.ok(Math.abs(choice.coverage - 100_020 / 150_000) < 1e-3, `coverage ${choice.coverage}`);
  });

  it('rejects a parcel outside the MGRS tiling', () => {
    const polar: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [10, 86],
          [11, 86],
          [11, 87],
          [10, 86],
        ],
      ],
    };
    assert.throws(() => primaryTile(polar), BadInputError);
  });
});
