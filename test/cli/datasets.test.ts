import assert from 'node:assert/strict';
import type { Database } from '../../src/store/db/database';
import { finishRun, startRun } from '../../src/store/db/runs-repo';
import { runCli } from '../helpers/cli';
import { isolatedDatabase } from '../store/db/isolated-schema';

const SCHEMA = 'cli_datasets';

describe('parcelwatch datasets list|show|set-owner', function () {
  this.timeout(300_000);
  let db: Database & { url: string };
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(['datasets', ...args], env);
  const auditRows = async () =>
    (
      await db.pool.query<{ actor: string; action: string; target: string; details: unknown }>(
        "SELECT actor, action, target, details FROM audit_log WHERE action LIKE 'dataset.%' ORDER BY id",
      )
    ).rows;
  const owners = async () =>
    Object.fromEntries(
      (
        await db.pool.query<{ name: string; owner_team: string }>(
          'SELECT name, owner_team FROM datasets ORDER BY name',
        )
      ).rows.map((r) => [r.name, r.owner_team]),
    );

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    env = {
      DATABASE_URL: db.url,
      PARCELWATCH_DB_SCHEMA: SCHEMA,
      PARCELWATCH_ACTOR: 'alice',
      PARCELWATCH_KPI_MIN_OK_SHARE: '0.6',
      PARCELWATCH_RETENTION_OBSERVATIONS_DAYS: '800',
    };
    await startRun(db, {
      workflowId: 'weekly-2024-W20',
      runId: 'r20',
      kind: 'weekly',
      trigger: 'schedule',
    });
    await finishRun(db, {
      workflowId: 'weekly-2024-W20',
      runId: 'r20',
      status: 'completed',
      kpis: {
        parcelsExpected: 10,
        parcelsObserved: 9,
        okShare: 0.5,
        meanValidFraction: 0.7,
        failedActivities: 0,
      },
    });
  });
  after(async () => db?.close());

  it('lists the catalog: Team A owns NDVI, NDMI, the weekly table and the archive', async () => {
    const table = await cli('list');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^name +kind +owner +retention +kpis +description/);
    assert.match(
      table.stdout,
      /\nndvi +observations +team-a +800 d \(default\) +minObservedShare 0\.8, minOkShare 0\.6,/,
    );
    assert.match(table.stdout, /\nweekly +weekly +team-a +kept +minObservedShare 0\.8 /);
    assert.match(
      table.stdout,
      /\nobservations-archive +archive +team-a +kept +Observations past their retention/,
    );
    const json = JSON.parse((await cli('list', '--json')).stdout) as Array<{
      name: string;
      ownerTeam: string;
    }>;
    assert.deepEqual(
      json.map((d) => [d.name, d.ownerTeam]),
      [
        ['ndmi', 'team-a'],
        ['ndvi', 'team-a'],
        ['observations-archive', 'team-a'],
        ['weekly', 'team-a'],
      ],
    );
  });

  it('shows one dataset with its retention, row counts and the KPIs of the latest run against the configured thresholds', async () => {
    const shown = await cli('show', 'ndvi');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /dataset +ndvi \(observations\), owner team-a/);
    assert.match(shown.stdout, /location +parcel_observations \(index_name = 'ndvi'\)/);
    assert.match(
      shown.stdout,
      /retention +800 days \(PARCELWATCH_RETENTION_OBSERVATIONS_DAYS\): the purge archives observations acquired more than 800 days ago/,
    );
    assert.match(shown.stdout, /rows +0, 0 parcels/);
    assert.match(shown.stdout, /quality +latest weekly run weekly-2024-W20 \(completed/);
    assert.match(
      shown.stdout,
      /kpi +minObservedShare: 0\.9 ≥ 0\.8 \(PARCELWATCH_KPI_MIN_OBSERVED_SHARE\) +met/,
    );
    assert.match(
      shown.stdout,
      /kpi +minOkShare: 0\.5 ≥ 0\.6 \(PARCELWATCH_KPI_MIN_OK_SHARE\) +MISSED/,
    );
    assert.match(
      shown.stdout,
      /kpi +maxFailedActivities: 0 ≤ 0 \(PARCELWATCH_KPI_MAX_FAILED_ACTIVITIES\) +met/,
    );
    const json = JSON.parse((await cli('show', 'weekly', '--json')).stdout);
    assert.equal(json.kind, 'weekly');
    assert.deepEqual(json.rows.total, 0);
    assert.deepEqual(json.quality, {
      source: null,
      kpis: [{ name: 'minObservedShare', value: null, threshold: 0.8, met: null }],
    });
  });

  it('names the datasets when asked for one that does not exist (exit 2)', async () => {
    const result = await cli('show', 'ndwi');
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /no dataset is named "ndwi"; the datasets are ndmi, ndvi, observations-archive, weekly/,
    );
  });

  it('gives a dataset to another team and records who did it in the audit log', async () => {
    const changed = await cli('set-owner', 'ndmi', 'team-b');
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(
      changed.stdout,
      /dataset ndmi: owner team-a → team-b \(recorded in the audit log as cli:alice\)/,
    );
    assert.match(
      changed.stderr,
      /warning: team team-b is not registered .*parcelwatch teams add team-b/,
    );
    assert.equal((await owners()).ndmi, 'team-b');
    assert.deepEqual(await auditRows(), [
      {
        actor: 'cli:alice',
        action: 'dataset.set-owner',
        target: 'dataset:ndmi',
        details: { from: 'team-a', to: 'team-b' },
      },
    ]);
    const shown = JSON.parse((await cli('show', 'ndmi', '--json')).stdout);
    assert.equal(shown.ownerTeam, 'team-b');

    const again = await cli('set-owner', 'ndmi', 'team-b', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), {
      dataset: 'ndmi',
      previous: 'team-b',
      owner: 'team-b',
      changed: false,
    });
    assert.equal((await auditRows()).length, 1, 'no change, no audit row');
  });

  it('leaves the owner unchanged when its audit row cannot be written', async () => {
    await db.pool.query(`
      CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$;
      CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit();`);
    try {
      const failed = await cli('set-owner', 'weekly', 'team-b');
      assert.notEqual(failed.code, 0);
      assert.match(failed.stderr, /audit log unavailable/);
      assert.equal((await owners()).weekly, 'team-a', 'rolled back with the audit row');
    } finally {
      await db.pool.query('DROP TRIGGER refuse_audit ON audit_log; DROP FUNCTION refuse_audit();');
    }
  });

  it('refuses an unknown dataset or an empty team, changing and recording nothing (exit 2)', async () => {
    const before = await owners();
    const unknown = await cli('set-owner', 'ndwi', 'team-b');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no dataset is named "ndwi"/);
    const empty = await cli('set-owner', 'ndvi', '  ');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /team " {2}" must be 1 to 100 characters/);
    assert.deepEqual(await owners(), before);
    assert.equal((await auditRows()).length, 1);
  });
});
