import assert from 'node:assert/strict';
import type { Database } from '../../src/store/db/database';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { startTestApi, type TestApi } from './harness';
import { type Seeded, seedSeries } from './seed';
import { isoWeekLabels, storedObservations, storedWeekly } from './truth';

/** API observation → the database's column names, to compare with what the database holds. */
function asStored(
  parcelId: number,
  source: string,
  externalId: string,
  o: Record<string, unknown>,
) {
  return {
    parcel_id: parcelId,
    source,
    external_id: externalId,
    index: o.index,
    acquired_at: o.acquiredAt,
    scene_id: o.sceneId,
    mean: o.mean,
    median: o.median,
    std: o.std,
    min: o.min,
    max: o.max,
    p10: o.p10,
    p90: o.p90,
    valid_pixels: o.validPixels,
    total_pixels: o.totalPixels,
    valid_fraction: o.validFraction,
    status: o.status,
    flags: o.flags,
    algorithm_version: o.algorithmVersion,
    run_id: o.runId,
    computed_at: o.computedAt,
  };
}

describe('API series: observations and weekly values (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let api: TestApi;
  let seeded: Seeded;

  before(async () => {
    db = await isolatedDatabase('pw_api_series');
    seeded = await seedSeries(db, { parcelsPerSource: 3, acquisitions: 40, seed: 11 });
    api = await startTestApi(db);
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  /** Every page of a list, following nextCursor. */
  async function allPages(
    url: string,
  ): Promise<{ items: Record<string, unknown>[]; pages: number }> {
    const items: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = url.includes('?') ? '&' : '?';
      const response = await api.get(cursor ? `${url}${sep}cursor=${cursor}` : url);
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json();
      items.push(...body.items);
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    return { items, pages };
  }

  it("gives a parcel's observations exactly as the database holds them, every field", async () => {
    const id = seeded.parcelIds[1]!;
    const stored = await storedObservations(db, 'o.parcel_id = $1', [id]);
    assert.equal(stored.length, 80);
    assert.ok(stored.some((o) => o.mean === null) && stored.some((o) => o.flags.length === 2));
    const { items } = await allPages(`/v1/parcels/${id}/observations`);
    const { source, external_id } = stored[0]!;
    assert.deepEqual(
      items.map((o) => asStored(id, source, external_id, o)),
      stored,
    );
  });

  it('pages through the observations with small pages, every row once and in order', async () => {
    const id = seeded.parcelIds[2]!;
    const stored = await storedObservations(db, 'o.parcel_id = $1', [id]);
    const { items, pages } = await allPages(`/v1/parcels/${id}/observations?limit=7`);
    assert.equal(pages, Math.ceil(stored.length / 7));
    assert.deepEqual(
      items.map((o) => `${o.index}|${o.acquiredAt}`),
      stored.map((o) => `${o.index}|${o.acquired_at}`),
    );
  });

  it('filters observations by index, status and date range (a date "to" includes its day)', async () => {
    const id = seeded.parcelIds[0]!;
    const { items } = await allPages(
      `/v1/parcels/${id}/observations?index=ndvi&status=ok&from=2024-03-11&to=2024-04-10`,
    );
    const stored = await storedObservations(
      db,
      `o.parcel_id = $1 AND o.index_name = 'ndvi' AND o.status = 'ok'
         AND o.acquired_at >= '2024-03-11T00:00:00Z' AND o.acquired_at < '2024-04-11T00:00:00Z'`,
      [id],
    );
    assert.ok(stored.length > 0);
    assert.deepEqual(
      items.map((o) => o.acquiredAt),
      stored.map((o) => o.acquired_at),
    );
    // Acquisitions fall every 5 days from 2024-03-01 (10:06 UTC): 03-11 … 04-10 are 7 of them,
    // the last one on the "to" day itself.
    const range = await allPages(
      `/v1/parcels/${id}/observations?index=ndvi&from=2024-03-11&to=2024-04-10`,
    );
    assert.deepEqual(
      range.items.map((o) => String(o.acquiredAt).slice(0, 10)),
      [
        '2024-03-11',
        '2024-03-16',
        '2024-03-21',
        '2024-03-26',
        '2024-03-31',
        '2024-04-05',
        '2024-04-10',
      ],
    );
  });

  it('finds a parcel by source:externalId as by its id, and answers 404 to one that does not exist', async () => {
    const id = seeded.parcelIds[0]!;
    const [row] = (
      await db.pool.query('SELECT source, external_id FROM parcels WHERE id = $1', [id])
    ).rows;
    const byRef = await api.get(
      `/v1/parcels/${row.source}:${encodeURIComponent(row.external_id)}/observations?limit=5`,
    );
    const byId = await api.get(`/v1/parcels/${id}/observations?limit=5`);
    assert.equal(byRef.statusCode, 200);
    assert.deepEqual(byRef.json(), byId.json());
    const missing = await api.get('/v1/parcels/999999/observations');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error, 'not_found');
    assert.equal((await api.get('/v1/parcels/src-a:nope/weekly')).statusCode, 404);
  });

  it("gives a parcel's weekly series exactly as the database holds it, with ISO week labels", async () => {
    const id = seeded.watchedIds[1]!;
    const stored = await storedWeekly(db, 'w.parcel_id = $1', [id]);
    assert.ok(stored.length > 20);
    assert.ok(new Set(stored.map((w) => w.status)).size >= 2);
    const labels = isoWeekLabels(stored.map((w) => w.week_start));
    const response = await api.get(`/v1/parcels/${id}/weekly`);
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.parcelId, id);
    assert.deepEqual(
      body.items,
      stored.map((w) => ({
        index: w.index,
        week: labels.get(w.week_start),
        weekStart: w.week_start,
        value: w.value,
        observationCount: w.observation_count,
        status: w.status,
        runId: w.run_id,
      })),
    );
  });

  it('filters the weekly series by index and week range', async () => {
    const id = seeded.watchedIds[0]!;
    const response = await api.get(
      `/v1/parcels/${id}/weekly?index=ndmi&fromWeek=2024-W12&toWeek=2024-W14`,
    );
    const stored = await storedWeekly(
      db,
      "w.parcel_id = $1 AND w.index_name = 'ndmi' AND w.week_start BETWEEN '2024-03-18' AND '2024-04-01'",
      [id],
    );
    assert.equal(stored.length, 3);
    assert.deepEqual(
      response.json().items.map((w: { weekStart: string }) => w.weekStart),
      stored.map((w) => w.week_start),
    );
  });
});
