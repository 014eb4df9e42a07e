import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config';
import { createApiKey } from '../../src/store/db/api-keys';
import type { Database } from '../../src/store/db/database';
import { catalogPolicy } from '../../src/store/db/datasets';
import { upsertObservations } from '../../src/store/db/observations-repo';
import { upsertParcels } from '../../src/store/db/parcels-repo';
import { finishRun, startRun } from '../../src/store/db/runs-repo';
import { ensureTeam } from '../../src/store/db/team-access';
import { observationRow } from '../store/archive/fixtures';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { randomParcels } from '../store/db/test-parcels';
import { startTestApi, type TestApi } from './harness';

describe('API datasets (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let api: TestApi;
  let teamBKey: string;
  const policy = catalogPolicy(loadConfig());

  before(async () => {
    db = await isolatedDatabase('pw_api_datasets');
    await ensureTeam(db, 'team-a');
    await ensureTeam(db, 'team-b');
    const box: [number, number, number, number] = [540_000, 5_040_000, 545_000, 5_045_000];
    const teamA = (await upsertParcels(db, randomParcels(2, 1, box, 'a'))).ids;
    const teamB = (
      await upsertParcels(
        db,
        randomParcels(3, 2, box, 'b').map((p) => ({ ...p, ownerTeam: 'team-b' })),
      )
    ).ids;
    await upsertObservations(
      db,
      [...teamA, ...teamB].map((id) => observationRow(id, 'ndvi', '2024-05-07T10:00:00Z', 0.5)),
      { algorithmVersion: 'engine-1', runId: 'r1' },
    );
    await startRun(db, {
      workflowId: 'weekly-2024-W19',
      runId: 'r1',
      kind: 'weekly',
      trigger: 'manual',
    });
    await finishRun(db, {
      workflowId: 'weekly-2024-W19',
      runId: 'r1',
      status: 'completed',
      kpis: {
        parcelsExpected: 5,
        parcelsObserved: 5,
        okShare: 1,
        meanValidFraction: 0.75,
        failedActivities: 0,
      },
      finishedAt: '2024-05-13T03:00:00Z',
    });
    api = await startTestApi(db);
    teamBKey = (await createApiKey(db, { name: 'b-reader', team: 'team-b', scopes: ['read'] })).key;
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  it('lists the catalog with owners, retention and the configured KPI thresholds', async () => {
    const response = await api.get('/v1/datasets');
    assert.equal(response.statusCode, 200, response.body);
    const { items } = response.json() as {
      items: Array<{
        name: string;
        kind: string;
        ownerTeam: string;
        retention: { days: number | null };
        kpis: Array<{ name: string; threshold: number }>;
      }>;
    };
    assert.deepEqual(
      items.map((d) => [d.name, d.kind, d.ownerTeam]),
      [
        ['ndmi', 'observations', 'team-a'],
        ['ndvi', 'observations', 'team-a'],
        ['observations-archive', 'archive', 'team-a'],
        ['weekly', 'weekly', 'team-a'],
      ],
    );
    const ndvi = items.find((d) => d.name === 'ndvi')!;
    assert.equal(ndvi.retention.days, policy.observationRetentionDays);
    assert.deepEqual(
      ndvi.kpis.map((k) => [k.name, k.threshold]),
      Object.entries(policy.thresholds),
    );
  });

  it("shows one dataset with the latest run's KPIs and the rows the key's team may read", async () => {
    const mine = (await api.get('/v1/datasets/ndvi')).json();
    assert.deepEqual(mine.rows, {
      total: 2,
      byStatus: { ok: 2 },
      parcels: 2,
      first: '2024-05-07T10:00:00.000Z',
      last: '2024-05-07T10:00:00.000Z',
    });
    assert.equal(mine.quality.source.id, 'weekly-2024-W19');
    assert.deepEqual(
      mine.quality.kpis.map((k: { name: string; value: number }) => [k.name, k.value]),
      [
        ['minObservedShare', 1],
        ['minOkShare', 1],
        ['minMeanValidFraction', 0.75],
        ['maxFailedActivities', 0],
      ],
    );
    const theirs = (await api.get('/v1/datasets/ndvi', teamBKey)).json();
    assert.equal(theirs.rows.total, 3, "team B's key counts team B's rows only");
    for (const name of ['weekly', 'observations-archive']) {
      const response = await api.get(`/v1/datasets/${name}`);
      assert.equal(response.statusCode, 200, `${name}: ${response.body}`);
      assert.equal(response.json().name, name);
    }
  });

  it('answers 404 naming the catalog for an unknown dataset, and needs a key with the read scope', async () => {
    const unknown = await api.get('/v1/datasets/ndwi');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().message, /no dataset is named "ndwi"; see GET \/v1\/datasets/);
    assert.equal((await api.get('/v1/datasets', null)).statusCode, 401);
    assert.equal((await api.get('/v1/datasets', api.writeKey)).statusCode, 403);
  });
});
