import assert from 'node:assert/strict';
import type { Database } from '../../src/store/db/database';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { csvHeaderOf, readParquet } from '../store/exports/readers';
import { startTestApi, type TestApi } from './harness';
import { seedSeries } from './seed';
import { personalValuesIn, type SeededPersonalData, seedPersonalData } from './seed-personal';

const EXPORTS = [
  '/v1/exports/series.csv?kind=observations',
  '/v1/exports/series.parquet?kind=weekly',
  '/v1/exports/latest.geojson?index=ndvi',
];

/**
 * The API has no way to ask for personal data (`parcelwatch export --include-personal` is the CLI's
 * alone): asking for it is an unknown parameter, refused like any other, and what the API exports
 * never carries a personal value.
 */
describe('API exports and personal data (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let api: TestApi;
  let personal: SeededPersonalData;

  before(async () => {
    db = await isolatedDatabase('pw_api_exports_personal');
    const { parcelIds } = await seedSeries(db, { parcelsPerSource: 3, acquisitions: 6, seed: 47 });
    personal = await seedPersonalData(db, parcelIds);
    api = await startTestApi(db);
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  it('refuses includePersonal and include_personal on every export (400 naming it), with no personal value in the answer', async () => {
    for (const url of EXPORTS) {
      for (const asked of ['includePersonal=true', 'include_personal=true', 'personalData=true']) {
        const response = await api.get(`${url}&${asked}`);
        assert.equal(response.statusCode, 400, `${url}&${asked}: ${response.body}`);
        const name = asked.split('=')[0];
        assert.deepEqual(response.json().details, [
          { in: 'query', name, problem: 'is not a parameter of this route' },
        ]);
        assert.deepEqual(personalValuesIn(response.body, personal.values), [], url);
      }
    }
  });

  it('exports CSV, Parquet and GeoJSON with no personal data column, property or value', async () => {
    const [csvUrl, parquetUrl, geojsonUrl] = EXPORTS;
    const csv = await api.get(csvUrl!);
    assert.equal(csv.statusCode, 200, csv.body);
    assert.ok(!csvHeaderOf(csv.body).includes('personal_data'));
    assert.deepEqual(personalValuesIn(csv.body, personal.values), []);

    const parquet = await api.get(parquetUrl!);
    assert.equal(parquet.statusCode, 200, parquet.body);
    const table = await readParquet(new Uint8Array(parquet.rawPayload));
    assert.ok(table.rows.length > 0);
    assert.ok(!table.columns.includes('personal_data'));
    const text = JSON.stringify(table, (_key, v) => (typeof v === 'bigint' ? String(v) : v));
    assert.deepEqual(personalValuesIn(text, personal.values), []);

    const geojson = await api.get(geojsonUrl!);
    assert.equal(geojson.statusCode, 200, geojson.body);
    const features = geojson.json().features as Array<{ properties: Record<string, unknown> }>;
    assert.equal(features.length, 6);
    for (const f of features) assert.ok(!('personalData' in f.properties));
    assert.deepEqual(personalValuesIn(geojson.body, personal.values), []);
  });
});
