import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { reprojectGeometry } from '../../src/core/geo/crs';
import type { Polygon } from '../../src/core/geo/types';
import { resolveIndices } from '../../src/core/indices/registry';
import { sceneFromItem } from '../../src/core/stac/items';
import { OBSERVATION_CSV_COLUMNS } from '../../src/core/zonal/observations-csv';
import { ParcelSet } from '../../src/core/zonal/parcel-set';
import { computeSceneStatistics } from '../../src/core/zonal/scene-statistics';
import { openByteSource } from '../../src/store/sources/open-byte-source';
import { runCli } from '../helpers/cli';
import { fixture } from '../helpers/fixtures';

const DIR = fixture('s2-l2a-29RKH-20200219');
const ITEM = path.join(DIR, 'S2A_29RKH_20200219_0_L2A.json');

/** A square of `size` metres in EPSG:32629 at (x, y), as WGS 84 GeoJSON. */
function square(x: number, y: number, size: number): Polygon {
  const utm: Polygon = {
    type: 'Polygon',
    coordinates: [
      [
        [x, y],
        [x + size, y],
        [x + size, y - size],
        [x, y - size],
        [x, y],
      ],
    ],
  };
  return reprojectGeometry(utm, 32629, 4326);
}

function collection(features: Array<{ id: string; geometry: unknown }>): string {
  return JSON.stringify({
    type: 'FeatureCollection',
    features: features.map(({ id, geometry }) => ({
      type: 'Feature',
      properties: { parcel: id, crop: 'x' },
      geometry,
    })),
  });
}

/** Splits CSV text into rows of fields (RFC 4180 quoting). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  return rows;
}

describe('parcelwatch compute (one item, one GeoJSON file, no services)', function () {
  this.timeout(120_000);
  let work: string;
  const parcels = [
    { id: 'north, "field" 1', geometry: square(210_000, 2_780_000, 3000) },
    { id: 'south-2', geometry: square(250_000, 2_740_000, 1000) },
    { id: 'tiny-3', geometry: square(260_050, 2_730_050, 120) },
  ];

  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'pw-compute-'));
    writeFileSync(path.join(work, 'parcels.geojson'), collection(parcels));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('writes one CSV row per parcel and index, equal to the engine the pipeline uses', async () => {
    const out = path.join(work, 'stats.csv');
    const result = await runCli([
      'compute',
      '--item',
      ITEM,
      '--assets',
      DIR,
      '--parcels',
      path.join(work, 'parcels.geojson'),
      '--id-field',
      'parcel',
      '--index',
      'ndvi,ndmi',
      '--buffer',
      '50',
      '--out',
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /S2A_29RKH_20200219_0_L2A: 3 parcels × ndvi,ndmi/);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    assert.deepEqual(rows[0], [...OBSERVATION_CSV_COLUMNS]);
    assert.equal(rows.length, 1 + parcels.length * 2);

    const item = JSON.parse(readFileSync(ITEM, 'utf8'));
    const parsed = sceneFromItem(item, { requiredBands: ['B04', 'B08', 'B11', 'SCL'] });
    assert.ok(parsed.ok);
    for (const band of ['B04', 'B08', 'B11', 'SCL'] as const) {
      parsed.scene.bands[band]!.href = pathToFileURL(path.join(DIR, `${band}.tif`)).href;
    }
    const direct = await computeSceneStatistics({
      scene: parsed.scene,
      parcels: new ParcelSet(
        parcels.map((p) => p.id),
        parcels.map((p) => p.geometry),
      ),
      indices: resolveIndices(['ndvi', 'ndmi']),
      bufferMetres: 50,
      okThreshold: 0.5,
      validSclClasses: [4, 5, 6, 7],
      openSource: (href) => openByteSource(href),
    });
    direct.observations.forEach((o, i) => {
      const row = rows[i + 1]!;
      assert.equal(row[0], o.parcelId);
      assert.equal(row[1], o.index);
      assert.equal(row[2] === '' ? null : Number(row[2]), o.mean);
      assert.equal(row[7] === '' ? null : Number(row[7]), o.p10);
      assert.equal(Number(row[9]), o.validPixels);
      assert.equal(Number(row[10]), o.totalPixels);
      assert.equal(row[12], o.status);
      assert.equal(row[13], o.flags.join(';'));
    });
    // The 120 m parcel keeps no 100 m pixel inside a 50 m buffer: it falls back and says so.
    const tiny = rows.find((r) => r[0] === 'tiny-3' && r[1] === 'ndvi')!;
    assert.match(tiny[13]!, /buffer-fallback/);
  });

  const bad: Array<[string, () => string[], RegExp, number]> = [
    [
      'a parcels file that does not exist',
      () => ['--parcels', path.join(work, 'missing.geojson')],
      /--parcels .*missing\.geojson: no such file/,
      2,
    ],
    [
      'a parcel whose ring is not closed',
      () => {
        const open = square(210_000, 2_780_000, 500);
        open.coordinates[0]!.pop();
        open.coordinates[0]!.push([0, 0]);
        writeFileSync(
          path.join(work, 'open.geojson'),
          collection([...parcels, { id: 'open-ring', geometry: open }]),
        );
        return ['--parcels', path.join(work, 'open.geojson')];
      },
      /open\.geojson: feature 3 \(id "open-ring"\): polygon 0, ring 0 is not closed .*; fix the geometry/,
      2,
    ],
    [
      'two parcels sharing an id',
      () => {
        writeFileSync(path.join(work, 'dup.geojson'), collection([parcels[0]!, parcels[0]!]));
        return ['--parcels', path.join(work, 'dup.geojson')];
      },
      /features 0 and 1 share the id "north, \\"field\\" 1"|features 0 and 1 share the id/,
      2,
    ],
    ['an unknown index', () => ['--index', 'ndvi,nvdi'], /Unknown index nvdi; choose among/, 2],
    [
      'an item without its SCL asset',
      () => {
        const item = JSON.parse(readFileSync(ITEM, 'utf8'));
        delete item.assets.scl;
        writeFileSync(path.join(work, 'no-scl.json'), JSON.stringify(item));
        return ['--item', path.join(work, 'no-scl.json')];
      },
      /--item .*no-scl\.json: missing asset SCL/,
      2,
    ],
    [
      'an item in an unknown CRS',
      () => {
        const item = JSON.parse(readFileSync(ITEM, 'utf8'));
        delete item.properties['proj:epsg'];
        for (const asset of Object.values(item.assets) as Array<Record<string, unknown>>)
          delete asset['proj:epsg'];
        writeFileSync(path.join(work, 'no-crs.json'), JSON.stringify(item));
        return ['--item', path.join(work, 'no-crs.json')];
      },
      /--item .*no-crs\.json: .*CRS/,
      2,
    ],
    [
      'a corrupt band file',
      () => {
        const assets = path.join(work, 'corrupt-assets');
        cpSync(DIR, assets, { recursive: true });
        const b04 = readFileSync(path.join(assets, 'B04.tif'));
        b04.fill(0x41, b04.length - 600_000, b04.length - 1000);
        writeFileSync(path.join(assets, 'B04.tif'), b04);
        return ['--assets', assets];
      },
      /corrupt-assets\/B04\.tif/,
      1,
    ],
  ];

  for (const [what, args, message, code] of bad) {
    it(`refuses ${what} with a clear message and exit code ${code}, writing nothing`, async () => {
      const out = path.join(work, `bad-${code}-${Date.now()}.csv`);
      const base = [
        'compute',
        '--item',
        ITEM,
        '--assets',
        DIR,
        '--parcels',
        path.join(work, 'parcels.geojson'),
        '--id-field',
        'parcel',
        '--out',
        out,
      ];
      const extra = args();
      const merged = [...base];
      for (let i = 0; i < extra.length; i += 2) {
        const at = merged.indexOf(extra[i]!);
        if (at >= 0) merged[at + 1] = extra[i + 1]!;
        else merged.push(extra[i]!, extra[i + 1]!);
      }
      const result = await runCli(merged);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
      assert.throws(() => readFileSync(out), /ENOENT/);
    });
  }
});
