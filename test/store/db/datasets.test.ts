import assert from 'node:assert/strict';
import type { CatalogPolicy } from '../../../src/core/datasets';
import type { Database } from '../../../src/store/db/database';
import {
  changeDatasetOwner,
  describeDataset,
  getDataset,
  listDatasets,
  unknownDataset,
} from '../../../src/store/db/datasets';
import { upsertObservations } from '../../../src/store/db/observations-repo';
import { upsertParcels } from '../../../src/store/db/parcels-repo';
import { finishRun, startRun } from '../../../src/store/db/runs-repo';
import { inTransaction } from '../../../src/store/db/transaction';
import { observationRow } from '../archive/fixtures';
import { isolatedDatabase } from './isolated-schema';
import { randomParcels } from './test-parcels';

const SCHEMA = 'pw_datasets';
const POLICY: CatalogPolicy = {
  thresholds: {
    minObservedShare: 0.8,
    minOkShare: 0.5,
    minMeanValidFraction: 0.2,
    maxFailedActivities: 0,
  },
  observationRetentionDays: 700,
};

describe('dataset catalog in the database (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let parcelIds: number[];

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    const box: [number, number, number, number] = [540_000, 5_040_000, 545_000, 5_045_000];
    parcelIds = (await upsertParcels(db, randomParcels(3, 5, box, 'cat'))).ids;
    const [a, b, c] = parcelIds as [number, number, number];
    await upsertObservations(
      db,
      [
        observationRow(a, 'ndvi', '2024-05-07T10:00:00Z', 0.6),
        observationRow(b, 'ndvi', '2024-05-07T10:00:00Z', null),
        observationRow(a, 'ndvi', '2024-05-12T10:00:00Z', 0.62),
        observationRow(c, 'ndmi', '2024-05-12T10:00:00Z', 0.2),
      ],
      { algorithmVersion: 'engine-1', runId: 'r-older' },
    );
    await db.pool.query(
      `INSERT INTO parcel_weekly (parcel_id, index_name, week_start, value, observation_count, status)
       VALUES ($1, 'ndvi', '2024-05-06', 0.6, 1, 'observed'), ($1, 'ndvi', '2024-05-13', 0.6, 1, 'observed'),
              ($2, 'ndvi', '2024-05-13', 0.5, 0, 'interpolated'), ($3, 'ndvi', '2024-05-13', NULL, 0, 'nodata')`,
      [a, b, c],
    );
  });
  after(async () => db?.close());

  it('lists the published datasets with kind, owner Team A, location, retention and KPIs', async () => {
    const list = await listDatasets(db, POLICY);
    assert.deepEqual(
      list.map((d) => [d.name, d.kind, d.ownerTeam]),
      [
        ['ndmi', 'observations', 'team-a'],
        ['ndvi', 'observations', 'team-a'],
        ['observations-archive', 'archive', 'team-a'],
        ['weekly', 'weekly', 'team-a'],
      ],
    );
    const ndvi = list.find((d) => d.name === 'ndvi')!;
    assert.equal(ndvi.location, "parcel_observations (index_name = 'ndvi')");
    assert.deepEqual(
      [ndvi.retention.days, ndvi.retention.source],
      [700, 'PARCELWATCH_RETENTION_OBSERVATIONS_DAYS'],
    );
    assert.deepEqual(
      ndvi.kpis.map((k) => [k.name, k.threshold]),
      [
        ['minObservedShare', 0.8],
        ['minOkShare', 0.5],
        ['minMeanValidFraction', 0.2],
        ['maxFailedActivities', 0],
      ],
      'the configured thresholds',
    );
    const weekly = list.find((d) => d.name === 'weekly')!;
    assert.deepEqual(
      weekly.kpis.map((k) => k.name),
      ['minObservedShare'],
    );
    assert.equal(weekly.retention.days, null);
    const archive = list.find((d) => d.name === 'observations-archive')!;
    assert.deepEqual(archive.kpis, []);
    assert.match(archive.location, /^datalake archive\/observations\//);
  });

  it("counts an index's observations by status, with parcels and the acquisitions' span", async () => {
    const ndvi = await describeDataset(db, 'ndvi', POLICY);
    assert.deepEqual(ndvi?.rows, {
      total: 3,
      byStatus: { cloudy: 1, ok: 2 },
      parcels: 2,
      first: '2024-05-07T10:00:00.000Z',
      last: '2024-05-12T10:00:00.000Z',
    });
    assert.equal((await describeDataset(db, 'ndmi', POLICY))?.rows.total, 1);
    const weekly = await describeDataset(db, 'weekly', POLICY);
    assert.deepEqual(weekly?.rows, {
      total: 4,
      byStatus: { interpolated: 1, nodata: 1, observed: 2 },
      parcels: 3,
      first: '2024-05-06T00:00:00.000Z',
      last: '2024-05-13T00:00:00.000Z',
    });
  });

  it("reads the weekly table's KPI from its latest week", async () => {
    const weekly = await describeDataset(db, 'weekly', POLICY);
    assert.deepEqual(weekly?.quality.source, {
      kind: 'week',
      id: '2024-05-13',
      runId: null,
      status: null,
      at: null,
    });
    assert.deepEqual(weekly?.quality.kpis, [
      { name: 'minObservedShare', value: 1 / 3, threshold: 0.8, met: false },
    ]);
  });

  it('reads the live KPIs of observations from the latest finished weekly run, not a running one', async () => {
    const before = await describeDataset(db, 'ndvi', POLICY);
    assert.equal(before?.quality.source, null, 'no run yet');
    assert.ok(before?.quality.kpis.every((k) => k.value === null && k.met === null));

    await startRun(db, {
      workflowId: 'weekly-2024-W19',
      runId: 'r1',
      kind: 'weekly',
      trigger: 'manual',
    });
    await finishRun(db, {
      workflowId: 'weekly-2024-W19',
      runId: 'r1',
      status: 'degraded',
      kpis: {
        parcelsExpected: 4,
        parcelsObserved: 3,
        okShare: 0.5,
        meanValidFraction: 0.1,
        failedActivities: 1,
      },
      finishedAt: '2024-05-13T03:00:00Z',
    });
    await startRun(db, {
      workflowId: 'weekly-2024-W20',
      runId: 'r2',
      kind: 'weekly',
      trigger: 'schedule',
    });
    await startRun(db, { workflowId: 'purge-1', runId: 'p1', kind: 'purge', trigger: 'manual' });
    await finishRun(db, {
      workflowId: 'purge-1',
      runId: 'p1',
      status: 'completed',
      kpis: { parcelsExpected: 1, parcelsObserved: 1 },
      finishedAt: '2024-05-14T03:00:00Z',
    });

    const ndvi = await describeDataset(db, 'ndvi', POLICY);
    assert.deepEqual(ndvi?.quality.source, {
      kind: 'run',
      id: 'weekly-2024-W19',
      runId: 'r1',
      status: 'degraded',
      at: '2024-05-13T03:00:00.000Z',
    });
    assert.deepEqual(
      ndvi?.quality.kpis.map((k) => [k.name, k.value, k.met]),
      [
        ['minObservedShare', 0.75, false],
        ['minOkShare', 0.5, true],
        ['minMeanValidFraction', 0.1, false],
        ['maxFailedActivities', 1, false],
      ],
    );
  });

  it('counts the archive as the rows completed purges archived and deleted (dry runs excluded)', async () => {
    const purge = async (id: string, mode: string, deleted: number, at: string) => {
      await startRun(db, { workflowId: id, runId: id, kind: 'purge', trigger: 'schedule' });
      await finishRun(db, {
        workflowId: id,
        runId: id,
        status: 'completed',
        counts: { observationsDeleted: deleted },
        kpis: { mode },
        finishedAt: at,
      });
    };
    await purge('purge-a', 'purge', 120, '2024-06-02T04:00:00Z');
    await purge('purge-b', 'dry-run', 999, '2024-06-03T04:00:00Z');
    await purge('purge-c', 'purge', 30, '2024-06-09T04:00:00Z');
    const archive = await describeDataset(db, 'observations-archive', POLICY);
    assert.deepEqual(archive?.rows, {
      total: 150,
      byStatus: {},
      parcels: null,
      first: '2024-06-02T04:00:00.000Z',
      last: '2024-06-09T04:00:00.000Z',
    });
    assert.deepEqual(archive?.quality, { source: null, kpis: [] });
  });

  it("uses a dataset's own threshold and retention when its row sets them", async () => {
    await db.pool.query(
      `UPDATE datasets SET retention_days = 400,
              kpi_thresholds = kpi_thresholds || '{"minOkShare": 0.9}'::jsonb WHERE name = 'ndmi'`,
    );
    const ndmi = await getDataset(db, 'ndmi', POLICY);
    assert.deepEqual([ndmi?.retention.days, ndmi?.retention.source], [400, 'dataset']);
    const ok = ndmi?.kpis.find((k) => k.name === 'minOkShare');
    assert.deepEqual([ok?.threshold, ok?.source, ok?.configured], [0.9, 'dataset', 0.5]);
  });

  it('refuses a kind, retention or owner the catalog cannot mean', async () => {
    await assert.rejects(
      db.pool.query(
        "INSERT INTO datasets (name, kind, owner_team, description, location) VALUES ('x', 'rasters', 'team-a', 'd', 'l')",
      ),
      /datasets_kind_check/,
    );
    await assert.rejects(
      db.pool.query("UPDATE datasets SET retention_days = 0 WHERE name = 'ndvi'"),
      /datasets_retention_days_check/,
    );
    await assert.rejects(
      db.pool.query("UPDATE datasets SET owner_team = ' ' WHERE name = 'ndvi'"),
      /datasets_owner_team_check/,
    );
    await assert.rejects(
      db.pool.query(
        "INSERT INTO datasets (name, owner_team, description, location) VALUES ('y', 'team-a', 'd', 'l')",
      ),
      /null value in column "kind"/,
    );
  });

  it('gives a dataset to another team in the caller transaction, reporting the previous owner', async () => {
    const change = await inTransaction(db.pool, (client) =>
      changeDatasetOwner(client, 'weekly', 'team-b'),
    );
    assert.deepEqual(change, {
      dataset: 'weekly',
      previous: 'team-a',
      owner: 'team-b',
      changed: true,
    });
    const again = await inTransaction(db.pool, (client) =>
      changeDatasetOwner(client, 'weekly', ' team-b '),
    );
    assert.deepEqual(again, {
      dataset: 'weekly',
      previous: 'team-b',
      owner: 'team-b',
      changed: false,
    });
    await assert.rejects(
      inTransaction(db.pool, async (client) => {
        await changeDatasetOwner(client, 'weekly', 'team-c');
        throw new Error('audit failed');
      }),
      /audit failed/,
    );
    assert.equal(
      (await getDataset(db, 'weekly', POLICY))?.ownerTeam,
      'team-b',
      'rolled back with its transaction',
    );
    assert.equal(
      await inTransaction(db.pool, (client) => changeDatasetOwner(client, 'nope', 'team-b')),
      undefined,
    );
  });

  it('refuses an empty or oversized team, writing nothing, and names the datasets when one is unknown', async () => {
    for (const bad of ['', ' ', 'x'.repeat(101)]) {
      await assert.rejects(
        inTransaction(db.pool, (client) => changeDatasetOwner(client, 'ndvi', bad)),
        /must be 1 to 100 characters/,
        JSON.stringify(bad),
      );
    }
    assert.equal((await getDataset(db, 'ndvi', POLICY))?.ownerTeam, 'team-a');
    const error = await unknownDataset(db, 'ndwi');
    assert.equal(error.code, 'DATASET_UNKNOWN');
    assert.match(
      error.message,
      /no dataset is named "ndwi"; the datasets are ndmi, ndvi, observations-archive, weekly/,
    );
  });
});
