import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { BadInputError } from '../../../src/core/errors';
import { reprojectGeometry } from '../../../src/core/geo/crs';
import {
  distanceToBoundary,
  geometryArea,
  geometryPerimeter,
  pointInGeometry,
} from '../../../src/core/geo/geometry';
import { primaryTile } from '../../../src/core/geo/primary-tile';
import { s2Tile } from '../../../src/core/geo/s2-tiles';
import type { MultiPolygon, ParcelGeometry, Polygon, Position } from '../../../src/core/geo/types';
import type { RasterGrid } from '../../../src/core/raster/grid';
import { pixelCentre } from '../../../src/core/raster/grid';
import type { ParcelPixelMap } from '../../../src/core/zonal/pixel-map';
import { buildParcelPixelMap } from '../../../src/core/zonal/rasterise';
import { fixture } from '../../helpers/fixtures';

const ORIGIN_X = 499_980;
const ORIGIN_Y = 5_100_000;
const GRID: RasterGrid = {
  epsg: 32633,
  originX: ORIGIN_X,
  originY: ORIGIN_Y,
  pixelWidth: 10,
  pixelHeight: 10,
  width: 64,
  height: 48,
};
const NL_PARCELS = fixture('parcels', 'nl-brp-2023.geojson');

/** A polygon from positions given in metres east and south of the grid origin. */
function local(...rings: Position[][]): Polygon {
  return {
    type: 'Polygon',
    coordinates: rings.map((ring) =>
      [...ring, ring[0]].map(([e, s]) => [ORIGIN_X + e, ORIGIN_Y - s]),
    ),
  };
}

/** Axis-aligned rectangle from (east0, south0) to (east1, south1) metres off the origin. */
function rect(e0: number, s0: number, e1: number, s1: number): Position[] {
  return [
    [e0, s0],
    [e1, s0],
    [e1, s1],
    [e0, s1],
  ];
}

/** Every assigned in-grid pixel per parcel as `row * width + col`, read back from the blocks. */
function pixelSets(map: ParcelPixelMap): Set<number>[] {
  const sets = Array.from({ length: map.parcelCount }, () => new Set<number>());
  for (const block of map.blocks.values()) {
    for (let k = 0; k < block.parcel.length; k++) {
      const row = block.by * map.blockSize + Math.floor(block.pixel[k] / map.blockSize);
      const col = block.bx * map.blockSize + (block.pixel[k] % map.blockSize);
      sets[block.parcel[k]].add(row * map.grid.width + col);
    }
  }
  return sets;
}

/** Brute force: test every pixel centre near the parcel with point-in-polygon and edge distance. */
function bruteForcePixels(geometry: ParcelGeometry, grid: RasterGrid, buffer: number): Set<number> {
  const out = new Set<number>();
  for (let row = 0; row < grid.height; row++) {
    for (let col = 0; col < grid.width; col++) {
      const [x, y] = pixelCentre(grid, col, row);
      if (pointInGeometry(geometry, x, y) && distanceToBoundary(geometry, x, y) >= buffer - 1e-6) {
        out.add(row * grid.width + col);
      }
    }
  }
  return out;
}

function cells(...pairs: Array<[number, number]>): Set<number> {
  return new Set(pairs.map(([col, row]) => row * GRID.width + col));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
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

/** Random star-shaped (often concave) polygon around a centre given in metres off the origin. */
function randomStar(rnd: () => number, ce: number, cs: number, radius: number): Position[] {
  const n = 3 + Math.floor(rnd() * 12);
  return range(0, n - 1).map((k) => {
    const t = (2 * Math.PI * k) / n + rnd() * 0.3;
    const r = radius * (0.15 + 0.85 * rnd());
    return [ce + r * Math.cos(t), cs + r * Math.sin(t)];
  });
}

function assertSameSet(actual: Set<number>, expected: Set<number>, label: string): void {
  const missing = [...expected].filter((p) => !actual.has(p));
  const extra = [...actual].filter((p) => !expected.has(p));
  const show = (list: number[]) =>
    list.slice(0, 5).map((p) => `(${p % GRID.width},${Math.floor(p / GRID.width)})`);
  assert.ok(
    missing.length === 0 && extra.length === 0,
    `${label}: missing ${missing.length} ${show(missing)}, extra ${extra.length} ${show(extra)}`,
  );
}

describe('buildParcelPixelMap', () => {
  describe('known answers by construction', () => {
    it('keeps all 100 pixels of a grid-aligned 100 m square with the 5 m buffer (centres sit exactly 5 m in)', () => {
      const map = buildParcelPixelMap({
        grid: GRID,
        blockSize: 16,
        parcels: [local(rect(100, 100, 200, 200))],
      });
      const expected = cells(
        ...range(10, 19).flatMap((col) => range(10, 19).map((row): [number, number] => [col, row])),
      );
      assertSameSet(pixelSets(map)[0], expected, 'aligned square');
      assert.equal(map.totalPixels[0], 100);
      assert.equal(map.bufferFallback[0], 0);
    });

    it('drops the outer ring of that square once the buffer exceeds 5 m', () => {
      const map = buildParcelPixelMap({
        grid: GRID,
        blockSize: 16,
        parcels: [local(rect(100, 100, 200, 200))],
        bufferMetres: 5.01,
      });
      const expected = cells(
        ...range(11, 18).flatMap((col) => range(11, 18).map((row): [number, number] => [col, row])),
      );
      assertSameSet(pixelSets(map)[0], expected, 'eroded square');
    });

    it('assigns a rotated rectangle the centres inside the rectangle shrunk by the buffer on every side', () => {
      const angle = (30 * Math.PI) / 180;
      const [ce, cs, halfL, halfW] = [301.3, 203.7, 130, 45];
      const corner = (u: number, v: number): Position => [
        ce + u * Math.cos(angle) - v * Math.sin(angle),
        cs + u * Math.sin(angle) + v * Math.cos(angle),
      ];
      const parcel = local([
        corner(-halfL, -halfW),
        corner(halfL, -halfW),
        corner(halfL, halfW),
        corner(-halfL, halfW),
      ]);
      for (const buffer of [0, 5, 12]) {
        const map = buildParcelPixelMap({
          grid: GRID,
          blockSize: 16,
          parcels: [parcel],
          bufferMetres: buffer,
        });
        // Erosion of a convex polygon by a disc is the polygon with each side moved inwards.
        const expected = new Set<number>();
        for (let row = 0; row < GRID.height; row++) {
          for (let col = 0; col < GRID.width; col++) {
            const de = (col + 0.5) * 10 - ce;
            const ds = (row + 0.5) * 10 - cs;
            const u = de * Math.cos(angle) + ds * Math.sin(angle);
            const v = -de * Math.sin(angle) + ds * Math.cos(angle);
            if (Math.abs(u) < halfL - buffer && Math.abs(v) < halfW - buffer)
              expected.add(row * GRID.width + col);
          }
        }
        assert.ok(expected.size > 50);
        assertSameSet(pixelSets(map)[0], expected, `rotated rectangle, buffer ${buffer}`);
      }
    });

    it('excludes a hole and erodes around it', () => {
      // 200 m square (20 × 20 px) with a 60 m hole (6 × 6 px) in the middle.
      const parcel = local(rect(100, 100, 300, 300), rect(170, 170, 230, 230));
      const noBuffer = buildParcelPixelMap({
        grid: GRID,
        blockSize: 16,
        parcels: [parcel],
        bufferMetres: 0,
      });
      assert.equal(noBuffer.totalPixels[0], 400 - 36);
      // 5.5 m: the outer ring of pixels goes (324 left), then the hole and the 24 pixels along its
      // sides; the four diagonal neighbours of the hole's corners stay (7.07 m from the corner).
      const buffered = buildParcelPixelMap({
        grid: GRID,
        blockSize: 16,
        parcels: [parcel],
        bufferMetres: 5.5,
      });
      assert.equal(buffered.totalPixels[0], 324 - 36 - 24);
      assertSameSet(pixelSets(buffered)[0], bruteForcePixels(parcel, GRID, 5.5), 'holed parcel');
      assert.ok(
        !pixelSets(noBuffer)[0].has(20 * GRID.width + 20),
        'a pixel of the hole is assigned',
      );
    });

    it('unions the parts of a MultiPolygon, even where they overlap', () => {
      const square = (e: number): Position[][] => local(rect(e, 100, e + 100, 200)).coordinates;
      const disjoint: MultiPolygon = {
        type: 'MultiPolygon',
        coordinates: [square(0), square(300)],
      };
      const overlapping: MultiPolygon = {
        type: 'MultiPolygon',
        coordinates: [square(0), square(50)],
      };
      const map = buildParcelPixelMap({
        grid: GRID,
        blockSize: 16,
        parcels: [disjoint, overlapping],
        bufferMetres: 0,
      });
      assert.equal(map.totalPixels[0], 200);
      // 150 m × 100 m once unioned; an even-odd fill would leave the 50 m overlap out (100 pixels).
      assert.equal(map.totalPixels[1], 150);
    });

    it('splits a parcel across block boundaries with offsets local to each block', () => {
      // Columns 12..19 and rows 14..17 straddle the 16-pixel blocks in both directions.
      const map = buildParcelPixelMap({
        grid: GRID,
        blockSize: 16,
        parcels: [local(rect(120, 140, 200, 180))],
        bufferMetres: 0,
      });
      assert.deepEqual([...map.blocks.keys()].sort(), [0, 1, 4, 5]);
      assert.equal(map.blocksAcross, 4);
      assert.equal(map.blocksDown, 3);
      const topLeft = map.blocks.get(0)!;
      assert.deepEqual(
        [...topLeft.pixel],
        [
          14 * 16 + 12,
          14 * 16 + 13,
          14 * 16 + 14,
          14 * 16 + 15,
          15 * 16 + 12,
          15 * 16 + 13,
          15 * 16 + 14,
          15 * 16 + 15,
        ],
      );
      const bottomRight = map.blocks.get(5)!;
      assert.equal(bottomRight.bx, 1);
      assert.equal(bottomRight.by, 1);
      assert.deepEqual([...bottomRight.pixel], [0, 1, 2, 3, 16, 17, 18, 19]);
      assert.equal(map.totalPixels[0], 32);
    });

    it('counts the pixels of a parcel that fall outside the grid instead of dropping them', () => {
      // 100 m square hanging 30 m past the west edge and 40 m past the north edge.
      const map = buildParcelPixelMap({
        grid: GRID,
        blockSize: 16,
        parcels: [local(rect(-30, -40, 70, 60))],
        bufferMetres: 0,
      });
      assert.equal(map.totalPixels[0], 100);
      assert.equal(map.outsidePixels[0], 100 - 7 * 6);
      assert.equal(pixelSets(map)[0].size, 7 * 6);
    });

    it('falls back to no buffer for a parcel the buffer would empty, and flags it', () => {
      // 12 m square holding only the centre of pixel (5, 5), 4 m from its west and north edges.
      const tiny = local(rect(51, 51, 63, 63));
      const nothing = local(rect(51, 51, 54, 54));
      const map = buildParcelPixelMap({ grid: GRID, blockSize: 16, parcels: [tiny, nothing] });
      assert.equal(map.totalPixels[0], 1);
      assert.equal(map.bufferFallback[0], 1);
      assertSameSet(pixelSets(map)[0], cells([5, 5]), 'tiny parcel');
      // No pixel centre at all: still flagged, zero pixels (zonal statistics report it as nodata).
      assert.equal(map.totalPixels[1], 0);
      assert.equal(map.bufferFallback[1], 1);
    });

    it('gives a pixel shared by two overlapping parcels to both, sorted by parcel then pixel', () => {
      const map = buildParcelPixelMap({
        grid: GRID,
        blockSize: 16,
        parcels: [local(rect(0, 0, 30, 30)), local(rect(20, 20, 50, 50))],
        bufferMetres: 0,
      });
      const block = map.blocks.get(0)!;
      const entries = [...block.parcel].map((parcel, k) => [parcel, block.pixel[k]]);
      const expected = [
        ...[0, 1, 2, 16, 17, 18, 32, 33, 34].map((p) => [0, p]),
        ...[34, 35, 36, 50, 51, 52, 66, 67, 68].map((p) => [1, p]),
      ];
      assert.deepEqual(entries, expected);
    });

    it('rejects a buffer on a grid in degrees', () => {
      const degrees: RasterGrid = {
        ...GRID,
        epsg: 4326,
        originX: 14,
        originY: 46,
        pixelWidth: 1e-4,
        pixelHeight: 1e-4,
      };
      assert.throws(
        () => buildParcelPixelMap({ grid: degrees, blockSize: 16, parcels: [] }),
        (e: unknown) => e instanceof BadInputError && e.code === 'BUFFER_NEEDS_METRIC_CRS',
      );
    });
  });

  describe('invariants on random parcels', () => {
    const rnd = random(11);
    const parcels: ParcelGeometry[] = range(0, 59).map(() =>
      local(randomStar(rnd, -50 + rnd() * 740, -50 + rnd() * 580, 20 + rnd() * 120)),
    );
    const map = buildParcelPixelMap({ grid: GRID, blockSize: 16, parcels });

    it('keeps every block sorted by parcel then pixel, with offsets inside the block', () => {
      for (const [key, block] of map.blocks) {
        assert.equal(key, block.by * map.blocksAcross + block.bx);
        assert.equal(block.parcel.length, block.pixel.length);
        assert.ok(block.parcel.length > 0);
        for (let k = 0; k < block.parcel.length; k++) {
          assert.ok(block.pixel[k] < 16 * 16);
          if (k > 0) {
            const ordered =
              block.parcel[k - 1] < block.parcel[k] ||
              (block.parcel[k - 1] === block.parcel[k] && block.pixel[k - 1] < block.pixel[k]);
            assert.ok(ordered, `block ${key} entry ${k} out of order`);
          }
        }
      }
    });

    it('shares block memory with a structured clone (worker threads) instead of copying it', () => {
      const block = [...map.blocks.values()][0];
      const clone = structuredClone(block);
      const before = block.pixel[0];
      clone.pixel[0] = before + 1;
      assert.equal(block.pixel[0], before + 1);
      block.pixel[0] = before;
    });

    it('holds total = in-grid entries + outside for every parcel', () => {
      const sets = pixelSets(map);
      for (let i = 0; i < parcels.length; i++) {
        assert.equal(sets[i].size + map.outsidePixels[i], map.totalPixels[i], `parcel ${i}`);
      }
      assert.ok(
        map.outsidePixels.some((n) => n > 0),
        'the sample has parcels across the grid edge',
      );
    });
  });

  it('applies the buffer exactly as an independent brute-force distance computation does', () => {
    const rnd = random(5);
    for (let trial = 0; trial < 40; trial++) {
      const holed = trial % 4 === 3;
      const outer = randomStar(rnd, 320, 240, 90 + rnd() * 140);
      const parcel: ParcelGeometry = holed
        ? local(rect(120, 60, 520, 420), rect(250 + rnd() * 50, 150 + rnd() * 50, 380, 330))
        : trial % 4 === 2
          ? {
              type: 'MultiPolygon',
              coordinates: [
                local(outer).coordinates,
                local(randomStar(rnd, 120, 120, 60)).coordinates,
              ],
            }
          : local(outer);
      const buffer = [0, 5, 7.5, 15][trial % 4];
      const map = buildParcelPixelMap({
        grid: GRID,
        blockSize: 16,
        parcels: [parcel],
        bufferMetres: buffer,
      });
      const expected = bruteForcePixels(parcel, GRID, map.bufferFallback[0] ? 0 : buffer);
      assertSameSet(pixelSets(map)[0], expected, `trial ${trial}, buffer ${buffer}`);
    }
  });

  describe('agreement with gdal_rasterize (no buffer)', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'rasterise-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** Pixels GDAL burns for one polygon on GRID, as `row * width + col`. */
    async function gdalPixels(geometry: ParcelGeometry, name: string): Promise<Set<number>> {
      const source = join(dir, `${name}.geojson`);
      const target = join(dir, `${name}.tif`);
      writeFileSync(
        source,
        JSON.stringify({
          type: 'FeatureCollection',
          crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32633' } },
          features: [{ type: 'Feature', properties: {}, geometry }],
        }),
      );
      const [minX, maxY] = [GRID.originX, GRID.originY];
      const [maxX, minY] = [minX + GRID.width * 10, maxY - GRID.height * 10];
      execFileSync('gdal_rasterize', [
        '-q',
        '-burn',
        '1',
        '-te',
        `${minX}`,
        `${minY}`,
        `${maxX}`,
        `${maxY}`,
        '-tr',
        '10',
        '10',
        '-ot',
        'Byte',
        source,
        target,
      ]);
      const bytes = readFileSync(target);
      const tiff = await fromArrayBuffer(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      );
      const image = await tiff.getImage();
      assert.deepEqual([image.getWidth(), image.getHeight()], [GRID.width, GRID.height]);
      const [band] = (await image.readRasters()) as unknown as [Uint8Array];
      const out = new Set<number>();
      for (let i = 0; i < band.length; i++) if (band[i]) out.add(i);
      return out;
    }

    it('burns the same pixels for random concave polygons, holes and multipolygons', async () => {
      const rnd = random(3);
      const parcels: ParcelGeometry[] = range(0, 29).map((i): ParcelGeometry => {
        if (i % 5 === 4) return local(rect(100, 100, 400, 300), randomStar(rnd, 250, 200, 45));
        if (i % 5 === 3) {
          // Disjoint parts: GDAL fills all rings even-odd, which equals a union only without overlap.
          const left = local(randomStar(rnd, 100 + rnd() * 150, 100 + rnd() * 250, 100));
          return {
            type: 'MultiPolygon',
            coordinates: [left.coordinates, local(rect(500, 300, 560, 420)).coordinates],
          };
        }
        return local(randomStar(rnd, -40 + rnd() * 720, -40 + rnd() * 560, 30 + rnd() * 150));
      });
      const mine = pixelSets(
        buildParcelPixelMap({ grid: GRID, blockSize: 16, parcels, bufferMetres: 0 }),
      );
      for (let i = 0; i < parcels.length; i++) {
        assertSameSet(mine[i], await gdalPixels(parcels[i], `random-${i}`), `parcel ${i}`);
      }
    });

    it('agrees on centres lying exactly on sloped and vertical edges (west out, east in)', async () => {
      const triangle = local([
        [305, 105],
        [405, 155],
        [305, 205],
      ]);
      const mine = pixelSets(
        buildParcelPixelMap({ grid: GRID, blockSize: 16, parcels: [triangle], bufferMetres: 0 }),
      );
      assertSameSet(mine[0], await gdalPixels(triangle, 'triangle'), 'triangle');
    });

    it('differs only where GDAL also burns centres lying on a horizontal south edge', async () => {
      // Edges through pixel centres: GDAL fills horizontal edges separately, so it takes the row of
      // the south edge too (11 rows); the half-open rule keeps 10 × 10, so tiling squares never share.
      const square = local(rect(105, 105, 205, 205));
      const mine = pixelSets(
        buildParcelPixelMap({ grid: GRID, blockSize: 16, parcels: [square], bufferMetres: 0 }),
      )[0];
      const gdal = await gdalPixels(square, 'centre-square');
      const southRow = cells(...range(11, 20).map((col): [number, number] => [col, 20]));
      assert.equal(mine.size, 100);
      assertSameSet(gdal, new Set([...mine, ...southRow]), 'GDAL = half-open + south edge row');
    });
  });

  it('gives each real Dutch parcel about area / 100 m² pixels on its primary tile', () => {
    const fixture = JSON.parse(readFileSync(NL_PARCELS, 'utf8')) as {
      features: Array<{ geometry: ParcelGeometry }>;
    };
    const byTile = new Map<string, ParcelGeometry[]>();
    for (const { geometry } of fixture.features) {
      const { tile } = primaryTile(geometry);
      const list = byTile.get(tile) ?? [];
      list.push(reprojectGeometry(geometry, 4326, s2Tile(tile).epsg));
      byTile.set(tile, list);
    }
    assert.ok(byTile.size > 1, 'the fixture spans several tiles');
    let checked = 0;
    for (const [tile, parcels] of byTile) {
      const grid = s2Tile(tile).grid;
      const plain = buildParcelPixelMap({ grid, blockSize: 1024, parcels, bufferMetres: 0 });
      const buffered = buildParcelPixelMap({ grid, blockSize: 1024, parcels });
      parcels.forEach((parcel, i) => {
        const expected = geometryArea(parcel) / 100;
        // The count can only be off by pixels the boundary passes through: about perimeter / 10 m.
        const boundaryPixels = (Math.SQRT2 * geometryPerimeter(parcel)) / 10 + 4;
        assert.ok(
          Math.abs(plain.totalPixels[i] - expected) <= boundaryPixels,
          `${tile} parcel ${i}: ${plain.totalPixels[i]} pixels for ${expected.toFixed(1)} expected`,
        );
        assert.equal(plain.outsidePixels[i], 0);
        assert.ok(
          buffered.bufferFallback[i] === 1 || buffered.totalPixels[i] <= plain.totalPixels[i],
        );
        checked++;
      });
    }
    assert.equal(checked, fixture.features.length);
  });
});
