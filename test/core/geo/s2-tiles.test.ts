import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import * as mgrs from 'mgrs';
import proj4 from 'proj4';
import { BadInputError } from '../../../src/core/errors';
import { reprojectPoint } from '../../../src/core/geo/crs';
import { pointInGeometry } from '../../../src/core/geo/geometry';
import {
  s2Tile,
  tileFootprintUtm,
  tileFootprintWgs84,
  tileGrid,
  tileIdOfPoint,
  tilesContaining,
  tilesOfBBox,
} from '../../../src/core/geo/s2-tiles';
import type { Polygon, Position } from '../../../src/core/geo/types';
import { FIXTURES } from '../../helpers/fixtures';

const ITEM_FILES = [
  ...readdirSync(join(FIXTURES, 'earth-search-v1/items')).map((f) =>
    join(FIXTURES, 'earth-search-v1/items', f),
  ),
  join(FIXTURES, 's2-l2a-29RKH-20200219/S2A_29RKH_20200219_0_L2A.json'),
];

interface StacItem {
  id: string;
  properties: { 'proj:epsg'?: number };
  assets: Record<string, { 'proj:transform'?: number[]; 'proj:shape'?: number[] }>;
}

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mgrs spells zones below 10 without the leading zero; tiles use ESA's padded form. */
const mgrsTile = (lon: number, lat: number) => mgrs.forward([lon, lat], 0).padStart(5, '0');

function utmDefinition(id: string): string {
  const south = id[2] < 'N';
  return `+proj=utm +zone=${Number(id.slice(0, 2))}${south ? ' +south' : ''} +datum=WGS84 +units=m +no_defs`;
}

/**
 * Independent oracle for tilesOfBBox on a point: every square id mgrs reports on a lattice around
 * the point (every 2 km, and every 200 m just inside zone and band edges where slivers hide),
 * decoded with mgrs.inverse, whose 109.8 km tile holds the point.
 */
function tilesHoldingPoint(lon: number, lat: number): Set<string> {
  const ids = new Set<string>();
  const cos = Math.cos((lat * Math.PI) / 180);
  const spanLat = 2.2;
  const spanLon = Math.min(spanLat / cos, 30);
  const [south, north] = [Math.max(-80, lat - spanLat), Math.min(84, lat + spanLat)];
  const wrap = (x: number) => ((x + 540) % 360) - 180;
  const coarse = 2 / 111;
  for (let y = south; y <= north; y += coarse) {
    for (let x = lon - spanLon; x <= lon + spanLon; x += coarse / cos)
      ids.add(mgrsTile(wrap(x), y));
  }
  const fine = 0.2 / 111;
  const meridians = [3, 9, 21, 33, 42];
  for (let m = Math.ceil((lon - spanLon) / 6) * 6; m <= lon + spanLon; m += 6) meridians.push(m);
  for (const m of meridians) {
    if (m < lon - spanLon || m > lon + spanLon) continue;
    for (let y = south; y <= north; y += fine) {
      for (const x of [m - 1e-7, m + 1e-7]) ids.add(mgrsTile(wrap(x), y));
    }
  }
  for (let p = Math.ceil((south + 80) / 8) * 8 - 80; p <= north; p += 8) {
    for (let x = lon - spanLon; x <= lon + spanLon; x += fine / cos) {
      for (const y of [p - 1e-7, p + 1e-7]) if (y >= -80 && y <= 84) ids.add(mgrsTile(wrap(x), y));
    }
  }
  const out = new Set<string>();
  for (const id of ids) {
    const [west, southLat] = mgrs.inverse(id);
    const [e, n] = proj4('EPSG:4326', utmDefinition(id), [west, southLat]);
    const [squareWest, squareSouth] = [Math.round(e / 1e5) * 1e5, Math.round(n / 1e5) * 1e5];
    const [x, y] = proj4('EPSG:4326', utmDefinition(id), [lon, lat]);
    const left = Math.floor(squareWest / 60) * 60;
    const top = Math.ceil((squareSouth + 1e5) / 60) * 60;
    if (x >= left && x <= left + 109_800 && y >= top - 109_800 && y <= top) out.add(id);
  }
  return out;
}

describe('Sentinel-2 tiles', () => {
  describe('tile grid against real items', () => {
    it('reproduces the 10 m, 20 m and 60 m proj:transform of every fixture item exactly', () => {
      const seen = new Set<string>();
      for (const file of ITEM_FILES) {
        const item = JSON.parse(readFileSync(file, 'utf8')) as StacItem;
        const tile = /_(\d{1,2}[A-Z]{3})_/.exec(item.id)![1];
        seen.add(tile);
        const grid = tileGrid(tile);
        assert.equal(grid.epsg, item.properties['proj:epsg'], item.id);
        for (const [asset, size] of [
          ['red', 10],
          ['scl', 20],
          ['coastal', 60],
          ['B04', 10],
          ['SCL', 20],
          ['B01', 60],
        ] as const) {
          const transform = item.assets[asset]?.['proj:transform'];
          if (!transform) continue;
          assert.deepEqual(
            transform.slice(0, 6),
            [size, 0, grid.originX, 0, -size, grid.originY],
            `${item.id} ${asset}`,
          );
          assert.deepEqual(item.assets[asset]['proj:shape'], [
            (grid.width * 10) / size,
            (grid.height * 10) / size,
          ]);
        }
      }
      assert.deepEqual([...seen].sort(), ['29RKH', '31NBJ', '33TWL', '33TWM']);
    });

    it('puts the origin on the 60 m lattice: +0 m above the square for 33TWL and 31NBJ, +20 m for 33TWM and 29RKH', () => {
      // What the fixtures show (square north edges from the MGRS letters): a fixed "+20 m" rule
      // would be wrong for half of them.
      const above = (id: string) => tileGrid(id).originY - (s2Tile(id).southEdge + 100_000);
      assert.deepEqual(['33TWL', '31NBJ', '33TWM', '29RKH'].map(above), [0, 0, 20, 20]);
      assert.deepEqual(
        ['33TWL', '29RKH'].map((id) => s2Tile(id).west - tileGrid(id).originX),
        [20, 20],
      );
    });

    it('matches the georeferencing read from the real 29RKH COG', async () => {
      const bytes = readFileSync(join(FIXTURES, 's2-l2a-29RKH-20200219/B04.tif'));
      const tiff = await fromArrayBuffer(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      );
      const image = await tiff.getImage();
      const grid = tileGrid('29RKH');
      assert.deepEqual(image.getOrigin().slice(0, 2), [grid.originX, grid.originY]);
      // Downsampled by the publisher to 100 m but covering the same 109.8 km.
      assert.equal(image.getWidth() * image.getResolution()[0], grid.width * grid.pixelWidth);
    });
  });

  describe('tileIdOfPoint', () => {
    it('agrees with the mgrs package on random points from 80°S to 84°N', () => {
      const rnd = random(1);
      for (let i = 0; i < 3000; i++) {
        const lon = -180 + 360 * rnd();
        const lat = -80 + 164 * rnd();
        assert.equal(tileIdOfPoint(lon, lat), mgrsTile(lon, lat), `lon ${lon}, lat ${lat}`);
      }
    });

    it('applies the Norway and Svalbard zone exceptions', () => {
      assert.equal(tileIdOfPoint(5.5, 60.5).slice(0, 3), '32V', 'Bergen is in zone 32 not 31');
      assert.equal(tileIdOfPoint(2.5, 60.5).slice(0, 3), '31V');
      assert.equal(tileIdOfPoint(15, 78).slice(0, 3), '33X');
      assert.equal(tileIdOfPoint(8.9, 78).slice(0, 3), '31X');
      assert.equal(tileIdOfPoint(22, 79).slice(0, 3), '35X');
      assert.equal(tileIdOfPoint(35, 80).slice(0, 3), '37X');
      for (const [lon, lat] of [
        [5.5, 60.5],
        [15, 78],
        [35, 80],
      ])
        assert.equal(tileIdOfPoint(lon, lat), mgrsTile(lon, lat));
    });

    it('gives a tile whose 100 km square and footprint hold the point, north and south', () => {
      const rnd = random(2);
      for (let i = 0; i < 300; i++) {
        const lon = -180 + 360 * rnd();
        const lat = -80 + 164 * rnd();
        const tile = s2Tile(tileIdOfPoint(lon, lat));
        assert.equal(tile.epsg, (lat < 0 ? 32700 : 32600) + tile.zone);
        const [x, y] = reprojectPoint([lon, lat], 4326, tile.epsg);
        assert.ok(x >= tile.west && x < tile.west + 100_000, `${tile.id} easting ${x}`);
        assert.ok(y >= tile.southEdge && y < tile.southEdge + 100_000, `${tile.id} northing ${y}`);
        assert.ok(pointInGeometry(tileFootprintWgs84(tile.id), lon, lat));
      }
    });

    it('rejects polar points', () => {
      assert.throws(
        () => tileIdOfPoint(10, 85),
        (e: unknown) => e instanceof BadInputError && /84°N/.test(e.message),
      );
      assert.throws(() => tileIdOfPoint(10, -81), BadInputError);
    });
  });

  describe('tile ids and footprints', () => {
    it('accepts ESA, prefixed and unpadded spellings and rejects ids that cannot exist', () => {
      assert.equal(s2Tile('T33TWL').id, '33TWL');
      assert.equal(s2Tile('MGRS-33TWL').id, '33TWL');
      assert.equal(s2Tile('4qfj').id, '04QFJ');
      assert.equal(s2Tile('4QFJ').epsg, 32604);
      assert.equal(s2Tile('55HDB').epsg, 32755);
      for (const bad of ['33TWZ', '61TWL', '33IWL', '32XNS', '33TAL', 'WL', '33TWA']) {
        assert.throws(
          () => s2Tile(bad),
          (e: unknown) => e instanceof BadInputError && e.code === 'TILE_ID_INVALID',
          bad,
        );
      }
    });

    it('places southern hemisphere tiles with the 10 000 km false northing', () => {
      // Canberra lies in 55HFA.
      const tile = s2Tile(tileIdOfPoint(149.13, -35.28));
      assert.equal(tile.id, '55HFA');
      const grid = tile.grid;
      assert.equal(grid.epsg, 32755);
      const [x, y] = reprojectPoint([149.13, -35.28], 4326, 32755);
      assert.ok(x > grid.originX && x < grid.originX + 109_800);
      assert.ok(y < grid.originY && y > grid.originY - 109_800);
      assert.ok(grid.originY > 6_000_000 && grid.originY % 60 === 0 && grid.originX % 60 === 0);
    });

    it('describes the footprint as the 109.8 km grid extent in UTM and its curved outline in WGS 84', () => {
      const utm = tileFootprintUtm('33TWL');
      assert.deepEqual(utm.coordinates[0], [
        [499_980, 4_990_200],
        [609_780, 4_990_200],
        [609_780, 5_100_000],
        [499_980, 5_100_000],
        [499_980, 4_990_200],
      ]);
      const ring = tileFootprintWgs84('33TWL').coordinates[0];
      assert.deepEqual(ring[0], ring[ring.length - 1]);
      assert.ok(ring.length > 5, 'edges are densified');
      for (const position of ring) {
        const [x, y] = reprojectPoint(position, 4326, 32633);
        const onEdge = [x - 499_980, 609_780 - x, y - 4_990_200, 5_100_000 - y].some(
          (d) => Math.abs(d) < 1e-3,
        );
        assert.ok(onEdge, `${position} is on the footprint's edge`);
      }
    });
  });

  describe('tilesOfBBox and tilesContaining', () => {
    it('finds exactly the tiles an independent mgrs-sampling oracle finds around points', () => {
      const rnd = random(4);
      const points: Position[] = [
        [12.01, 45.5], // just east of the 12°E zone edge: zone 32's tile reaches past it
        [2.9, 60], // next to Norway's widened zone 32V
        [8.9, 78], // Svalbard: 31X next to 33X, no 32X
        [147, -35],
        [0.001, 0.0001], // equator and Greenwich: four tiles, two hemispheres
        [179.99, -16], // antimeridian
      ];
      for (let i = 0; i < 10; i++) points.push([-180 + 360 * rnd(), -79 + 162 * rnd()]);
      for (const [lon, lat] of points) {
        const found = tilesOfBBox([lon, lat, lon, lat]);
        assert.deepEqual(found, [...tilesHoldingPoint(lon, lat)].sort(), `lon ${lon}, lat ${lat}`);
      }
    });

    it('lets a tile reach past its UTM zone edge', () => {
      const found = tilesOfBBox([12.01, 45.5, 12.01, 45.5]);
      assert.ok(
        found.some((id) => id.startsWith('32')),
        `zone 32 tile among ${found}`,
      );
      assert.ok(found.some((id) => id.startsWith('33')));
    });

    it('never names the grid zones MGRS removed around Svalbard', () => {
      const found = tilesOfBBox([0, 72, 42, 84]);
      assert.ok(found.length > 50);
      assert.deepEqual(
        found.filter((id) => /^(32|34|36)X/.test(id)),
        [],
      );
    });

    it('splits a box across the antimeridian', () => {
      const across = tilesOfBBox([179.9, -16.1, -179.9, -15.9]);
      const halves = [
        ...new Set([
          ...tilesOfBBox([179.9, -16.1, 180, -15.9]),
          ...tilesOfBBox([-180, -16.1, -179.9, -15.9]),
        ]),
      ].sort();
      assert.deepEqual(across, halves);
      assert.ok(
        across.some((id) => id.startsWith('01')) && across.some((id) => id.startsWith('60')),
      );
    });

    it('finds tiles anywhere inside a box wider than half the globe', () => {
      const wide = tilesOfBBox([-170, 10, 170, 10.5]);
      for (const lon of [-165, -3, 165]) {
        const own = tilesOfBBox([lon, 10.2, lon, 10.2]);
        assert.ok(
          own.every((id) => wide.includes(id)),
          `tiles at lon ${lon}`,
        );
      }
      // Zone 60 (174–180°E) tiles start near 173.3°E here, well east of the box.
      assert.deepEqual(
        wide.filter((id) => id.startsWith('60')),
        [],
      );
    });

    it('rejects a box that is not lon/lat', () => {
      assert.throws(() => tilesOfBBox([0, 10, 1, 5]), BadInputError);
      assert.throws(() => tilesOfBBox([Number.NaN, 0, 1, 1]), BadInputError);
    });

    it('lists both tiles for a parcel in the overlap of 33TWL and 33TWM', () => {
      // 33TWM reaches down to 5 090 220 m, 33TWL up to 5 100 000 m.
      const corners: Position[] = [
        [550_000, 5_095_000],
        [550_100, 5_095_000],
        [550_100, 5_095_100],
        [550_000, 5_095_000],
      ];
      const parcel: Polygon = {
        type: 'Polygon',
        coordinates: [corners.map((p) => reprojectPoint(p, 32633, 4326))],
      };
      assert.deepEqual(tilesContaining(parcel), ['33TWL', '33TWM']);
    });
  });
});
