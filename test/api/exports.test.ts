import assert from 'node:assert/strict';
import type { Database } from '../../src/store/db/database';
import { EXPORT_BATCH_ROWS } from '../../src/store/exports/series-reads';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { parseCsvWithPython, readParquet } from '../store/exports/readers';
import { startTestApi, type TestApi } from './harness';
import { seedSeries } from './seed';
import { type StoredObservation, storedObservations, storedWeekly } from './truth';

describe('API exports over HTTP (real PostgreSQL, a listening server)', function () {
  this.timeout(300_000);
  let db: Database;
  let api: TestApi;
  let base: string;
  let observations: StoredObservation[];

  before(async () => {
    db = await isolatedDatabase('pw_api_exports');
    await seedSeries(db, { parcelsPerSource: 25, acquisitions: 55, seed: 29 });
    observations = await storedObservations(db);
    api = await startTestApi(db);
    base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  async function download(query: string, format: 'csv' | 'parquet') {
    const response = await fetch(`${base}/v1/exports/series.${format}?${query}`, {
      headers: { authorization: `Bearer ${api.readKey}` },
    });
    assert.equal(response.status, 200, await response.clone().text());
    return response;
  }

  it('streams series.csv of more than one page (chunked, no length) that reads back to the database rows', async () => {
    assert.ok(observations.length > EXPORT_BATCH_ROWS);
    const response = await download('kind=observations', 'csv');
    assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(
      response.headers.get('content-disposition'),
      'attachment; filename="observations.csv"',
    );
    assert.equal(response.headers.get('transfer-encoding'), 'chunked');
    assert.equal(response.headers.get('content-length'), null);
    const rows = parseCsvWithPython(await response.text());
    assert.equal(rows.length, observations.length);
    rows.forEach((row, i) => {
      const stored = observations[i]!;
      assert.equal(Number(row.parcel_id), stored.parcel_id);
      assert.equal(row.acquired_at, stored.acquired_at);
      assert.equal(row.mean === '' ? null : Number(row.mean), stored.mean);
      assert.equal(Number(row.valid_fraction), stored.valid_fraction);
      assert.equal(row.flags, stored.flags.join(';'));
    });
  });

  it('streams series.parquet of the selection that hyparquet reads back to the database rows', async () => {
    const response = await download(
      'indices=ndvi&watched=true&from=2024-03-15&to=2024-W20',
      'parquet',
    );
    assert.equal(response.headers.get('content-type'), 'application/vnd.apache.parquet');
    const parquet = await readParquet(new Uint8Array(await response.arrayBuffer()));
    const watched = new Set(
      (await db.pool.query('SELECT id FROM parcels WHERE watched')).rows.map((r) => Number(r.id)),
    );
    // 2024-W20 ends on Monday 2024-05-20.
    const expected = observations.filter(
      (o) =>
        o.index === 'ndvi' &&
        watched.has(o.parcel_id) &&
        o.acquired_at >= '2024-03-15' &&
        o.acquired_at < '2024-05-20',
    );
    assert.ok(expected.length > 100);
    assert.deepEqual(
      parquet.rows.map((r) => [
        Number(r.parcel_id),
        (r.acquired_at as Date).toISOString(),
        r.mean,
        r.flags,
      ]),
      expected.map((o) => [o.parcel_id, o.acquired_at, o.mean, o.flags]),
    );
  });

  it('streams the weekly series as CSV equal to parcel_weekly', async () => {
    const response = await download('kind=weekly&source=src-a', 'csv');
    const rows = parseCsvWithPython(await response.text());
    const stored = await storedWeekly(db, "p.source = 'src-a'");
    assert.deepEqual(
      rows.map((r) => [
        Number(r.parcel_id),
        r.index,
        r.week_start,
        r.value === '' ? null : Number(r.value),
        r.status,
      ]),
      stored.map((w) => [w.parcel_id, w.index, w.week_start, w.value, w.status]),
    );
  });
});
