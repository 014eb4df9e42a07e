import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BadDataError } from '../../../src/core/errors';
import type { Polygon } from '../../../src/core/geo/types';
import { resolveIndices } from '../../../src/core/indices/registry';
import { openCog } from '../../../src/core/raster/cog-reader';
import { sceneFromItem } from '../../../src/core/stac/items';
import type { Scene } from '../../../src/core/stac/scene';
import { ThreadPool, threadModule } from '../../../src/core/thread-pool';
import { ParcelSet } from '../../../src/core/zonal/parcel-set';
import {
  computeSceneStatistics,
  type ParcelObservation,
} from '../../../src/core/zonal/scene-statistics';
import { openByteSource } from '../../../src/store/sources/open-byte-source';
import { fixture } from '../../helpers/fixtures';

const DIR = fixture('s2-l2a-29RKH-20200219');
const ITEM = path.join(DIR, 'S2A_29RKH_20200219_0_L2A.json');
/** The fixture's 10 m bands were downsampled to 100 m by their publisher: georeferencing comes from the files. */
const ORIGIN_X = 199980;
const ORIGIN_Y = 2800020;
const PX = 100;

function fixtureScene(): Scene {
  const item = JSON.parse(readFileSync(ITEM, 'utf8'));
  const parsed = sceneFromItem(item, { requiredBands: ['B04', 'B08', 'B11', 'SCL'] });
  assert.ok(parsed.ok, 'fixture item parses');
  const scene = parsed.scene;
  for (const band of ['B04', 'B08', 'B11', 'SCL'] as const) {
    scene.bands[band] = {
      ...scene.bands[band]!,
      href: pathToFileURL(path.join(DIR, `${band}.tif`)).href,
    };
  }
  return scene;
}

/** A rectangle in EPSG:32629, in pixel units of the 100 m grid from its origin. */
function rect(col0: number, row0: number, col1: number, row1: number, rotate = 0): Polygon {
  const cx = (col0 + col1) / 2;
  const cy = (row0 + row1) / 2;
  const corners: Array<[number, number]> = [
    [col0, row0],
    [col1, row0],
    [col1, row1],
    [col0, row1],
    [col0, row0],
  ];
  const rad = (rotate * Math.PI) / 180;
  return {
    type: 'Polygon',
    coordinates: [
      corners.map(([c, r]) => {
        const dc = c - cx;
        const dr = r - cy;
        const c2 = cx + dc * Math.cos(rad) - dr * Math.sin(rad);
        const r2 = cy + dc * Math.sin(rad) + dr * Math.cos(rad);
        return [ORIGIN_X + c2 * PX, ORIGIN_Y - r2 * PX] as [number, number];
      }),
    ],
  };
}

/** Non-overlapping parcels covering the cases that break engines: tile and 20 m boundaries, the raster edge. */
const PARCELS: Array<[string, Polygon]> = [
  ['plain', rect(100.3, 200.2, 130.7, 221.9)],
  ['rotated', rect(300, 300, 340, 330, 23)],
  ['across-internal-tile', rect(500.2, 600.4, 530.8, 640.1)],
  // Edges off pixel centres: which side a centre exactly on an edge goes is a rasteriser convention.
  ['across-20m-pixels', rect(700.51, 100.52, 703.48, 103.47)],
  ['partly-outside', rect(-10.2, 900.3, 12.6, 920.8)],
  ['bottom-right-corner', rect(1080.4, 1080.4, 1101.7, 1101.7)],
  ['tall', rect(850.1, 10.6, 853.9, 505.2, 8)],
];

describe('scene statistics on the real 29RKH fixture', function () {
  this.timeout(120_000);
  let work: string;
  let independent: Record<string, Record<string, Record<string, number>>>;
  let pool: ThreadPool;

  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'pw-zonal-'));
    pool = new ThreadPool(
      threadModule(path.resolve(__dirname, '../../../src/core/zonal'), 'compute-thread'),
      2,
    );
    // Independent pipeline: GDAL rasterises the parcels and resamples the 20 m bands by nearest
    // neighbour onto the B04 grid; plain Python computes the statistics.
    const features = PARCELS.map(([id, geometry], i) => ({
      type: 'Feature',
      properties: { id, label: i + 1 },
      geometry,
    }));
    const geojson = path.join(work, 'parcels.geojson');
    writeFileSync(
      geojson,
      JSON.stringify({
        type: 'FeatureCollection',
        crs: { type: 'name', properties: { name: 'EPSG:32629' } },
        features,
      }),
    );
    const te = [
      '-te',
      String(ORIGIN_X),
      String(ORIGIN_Y - 1098 * PX),
      String(ORIGIN_X + 1098 * PX),
      String(ORIGIN_Y),
    ];
    const gdal = (cmd: string, args: string[]) =>
      execFileSync(cmd, ['-q', ...args], { stdio: 'pipe' });
    gdal('gdal_rasterize', [
      '-a',
      'label',
      '-ot',
      'Int32',
      '-init',
      '0',
      '-tr',
      '100',
      '100',
      ...te,
      '-of',
      'ENVI',
      geojson,
      path.join(work, 'labels.raw'),
    ]);
    for (const band of ['B04', 'B08'])
      gdal('gdal_translate', [
        '-of',
        'ENVI',
        path.join(DIR, `${band}.tif`),
        path.join(work, `${band}.raw`),
      ]);
    for (const band of ['B11', 'SCL']) {
      gdal('gdalwarp', [
        '-r',
        'near',
        '-tr',
        '100',
        '100',
        ...te,
        '-of',
        'ENVI',
        path.join(DIR, `${band}.tif`),
        path.join(work, `${band}.raw`),
      ]);
    }
    const script = path.join(__dirname, 'independent-stats.py');
    const raw = (name: string) => path.join(work, `${name}.raw`);
    const out = execFileSync(
      'python3',
      [
        script,
        raw('labels'),
        raw('B04'),
        raw('B08'),
        raw('B11'),
        raw('SCL'),
        '1098',
        '1098',
        '0.0001',
        '0',
        '4,5,6,7',
        String(PARCELS.length),
      ],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    );
    independent = JSON.parse(out);
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await pool.close();
  });

  async function compute(options: { bufferMetres?: number; pool?: ThreadPool } = {}) {
    return computeSceneStatistics({
      scene: fixtureScene(),
      parcels: new ParcelSet(
        PARCELS.map(([id]) => id),
        PARCELS.map(([, g]) => g),
        32629,
      ),
      indices: resolveIndices(['ndvi', 'ndmi']),
      bufferMetres: options.bufferMetres ?? 0,
      okThreshold: 0.5,
      validSclClasses: [4, 5, 6, 7],
      openSource: (href) => openByteSource(href),
      pool: options.pool,
    });
  }

  function byParcel(observations: ParcelObservation[]) {
    const out: Record<string, Record<string, ParcelObservation>> = {};
    for (const o of observations) {
      out[o.parcelId] ??= {};
      out[o.parcelId]![o.index] = o;
    }
    return out;
  }

  for (const threads of [false, true]) {
    it(`agrees with GDAL rasterisation and a plain computation to 1e-6 (${threads ? 'worker threads' : 'in-thread'})`, async () => {
      const result = await compute({ pool: threads ? pool : undefined });
      const ours = byParcel(result.observations);
      PARCELS.forEach(([id], i) => {
        for (const index of ['ndvi', 'ndmi']) {
          const expected = independent[String(i)]![index]!;
          const got = ours[id]![index]!;
          assert.ok(expected.total > 0, `${id} has pixels`);
          assert.equal(got.validPixels, expected.valid, `${id} ${index} valid pixels`);
          // GDAL only sees the part inside the raster; ours also counts the part beyond its edge.
          if (id === 'partly-outside' || id === 'bottom-right-corner')
            assert.ok(got.totalPixels > expected.total);
          else assert.equal(got.totalPixels, expected.total, `${id} ${index} total pixels`);
          for (const stat of ['mean', 'median', 'std', 'min', 'max', 'p10', 'p90'] as const) {
            if (expected.valid === 0) {
              assert.equal(got[stat], null);
              continue;
            }
            assert.ok(
              Math.abs((got[stat] ?? Number.NaN) - expected[stat]!) <= 1e-6,
              `${id} ${index} ${stat}: ${got[stat]} vs ${expected[stat]}`,
            );
          }
        }
      });
    });
  }

  it('counts the parcel part beyond the raster edge as pixels without data, never dropping them', async () => {
    const result = await compute();
    const outside = byParcel(result.observations)['partly-outside']!.ndvi!;
    const expectedInside = independent['4']!.ndvi!.total; // GDAL only sees the inside part
    assert.ok(outside.totalPixels > expectedInside, `${outside.totalPixels} > ${expectedInside}`);
    assert.ok(outside.flags.includes('outside-raster'));
    assert.equal(outside.validFraction, outside.validPixels / outside.totalPixels);
  });

  it('reads each needed tile once, and only tiles holding parcel pixels', async () => {
    const result = await compute();
    const m = result.metrics;
    // 7 parcels touch few of the 3 × 3 tiles per band; the header is the only extra read per band.
    assert.ok(m.tilesRead < 4 * 9, `${m.tilesRead} tiles`);
    assert.ok(m.bytesRead >= m.tileBytes);
    assert.ok(
      m.bytesRead - m.tileBytes <= 4 * 65536,
      `header overhead ${m.bytesRead - m.tileBytes}`,
    );
  });

  it('flags parcels the inward buffer would empty, and computes them without it', async () => {
    const result = await compute({ bufferMetres: 150 });
    const obs = byParcel(result.observations);
    // 3 × 3 pixels: a 150 m inward buffer leaves nothing, so the parcel falls back to no buffer.
    assert.ok(obs['across-20m-pixels']!.ndvi!.flags.includes('buffer-fallback'));
    assert.equal(obs['across-20m-pixels']!.ndvi!.totalPixels, independent['3']!.ndvi!.total);
    assert.ok(!obs.plain!.ndvi!.flags.includes('buffer-fallback'));
    assert.ok(obs.plain!.ndvi!.totalPixels < independent['0']!.ndvi!.total);
  });

  it('fails with a BadDataError naming the file when a tile it needs is corrupt', async () => {
    const broken = path.join(work, 'B08.tif');
    const bytes = readFileSync(path.join(DIR, 'B08.tif'));
    const cog = await openCog(openByteSource(path.join(DIR, 'B08.tif')));
    // Tile 4 holds the centre of the raster, where the parcel below lies.
    const offset = cog.tileOffsets[4]!;
    const length = cog.tileByteCounts[4]!;
    bytes.fill(0x55, offset + 2, offset + length);
    writeFileSync(broken, bytes);
    const scene = fixtureScene();
    scene.bands.B08 = { ...scene.bands.B08!, href: pathToFileURL(broken).href };
    await assert.rejects(
      computeSceneStatistics({
        scene,
        parcels: new ParcelSet(['p'], [rect(520, 520, 540, 540)], 32629),
        indices: resolveIndices(['ndvi']),
        bufferMetres: 0,
        okThreshold: 0.5,
        validSclClasses: [4, 5, 6, 7],
        openSource: (href) => openByteSource(href),
        pool,
      }),
      (error: unknown) =>
        error instanceof BadDataError &&
        error.message.includes(broken) &&
        /tile 4/.test(error.message),
    );
  });
});
