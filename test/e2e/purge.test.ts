import assert from 'node:assert/strict';
import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { activityDeps } from '../../src/activities/deps';
import { type Config, loadConfig } from '../../src/config';
import { BadDataError, TransientError } from '../../src/core/errors';
import { OBSERVATIONS_ARCHIVE_PREFIX } from '../../src/store/archive/layout';
import { decodeManifest } from '../../src/store/archive/observations-archive';
import type { Datalake } from '../../src/store/datalake/datalake';
import { FileDatalake } from '../../src/store/datalake/file-datalake';
import { type Database, openDatabase } from '../../src/store/db/database';
import { migrate } from '../../src/store/db/migrate';
import { upsertObservations } from '../../src/store/db/observations-repo';
import { upsertParcels } from '../../src/store/db/parcels-repo';
import { createWorkers } from '../../src/workers/worker';
import type { PurgeInput, PurgeResult } from '../../src/workflows/purge';
import { runCli } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import { RUN_DIR, testDatabase, testTemporal } from '../helpers/services';
import { ensureTestRuntime, uniqueTaskQueue, workflowBundle } from '../helpers/workers';
import { FaultyDatalake } from '../store/archive/faulty-datalake';
import { insertSceneGroup, keyOf, observationRow, storedKeys } from '../store/archive/fixtures';
import { randomParcels } from '../store/db/test-parcels';

const SCHEMA = 'e2e_purge';
const NOW = '2024-07-10T00:00:00.000Z';
/** The policy of the test: raw 30 days, clean 45, observations 60 — ndmi 90 by its dataset row. */
const POLICY = { rawDays: 30, cleanDays: 45, observationsDays: 60 };
const DAYS = ['--raw-days', '30', '--clean-days', '45', '--observations-days', '60'];
/** Cut-offs worked out by hand from NOW and POLICY. */
const CUT = {
  raw: '2024-06-10T00:00:00.000Z',
  clean: '2024-05-26T00:00:00.000Z',
  ndvi: '2024-05-11T00:00:00.000Z',
  ndmi: '2024-04-11T00:00:00.000Z',
};
const TIMES = [
  '2024-03-15T10:00:00.123456Z',
  '2024-04-02T10:00:00Z',
  '2024-04-20T10:00:00Z',
  '2024-05-10T23:59:59.999999Z',
  '2024-05-11T00:00:00Z',
  '2024-06-01T10:00:00Z',
];
/** Acquisition days of the rasters; the first two of each area are past retention. */
const RASTER_DAYS = {
  raw: ['2024-06-08', '2024-06-09', '2024-06-10', '2024-06-20'],
  clean: ['2024-05-24', '2024-05-25', '2024-05-26', '2024-06-09'],
};
/** Objects the purge must never touch: off the raster layout, or archived by someone else. */
const FOREIGN = ['raw/README.txt', 'archive/other/keep.txt'];

/** The archive's columns as the README's CREATE TABLE gives them (loading it elsewhere). */
const RESTORE_TABLE = `CREATE TABLE observations_archive (
  parcel_id bigint, parcel_source text, parcel_external_id text, index_name text,
  acquired_at timestamptz, scene_id text, mean double precision, median double precision,
  std double precision, min double precision, max double precision, p10 double precision,
  p90 double precision, valid_pixels integer, total_pixels integer, valid_fraction real,
  status text, flags text[], algorithm_version text, run_id text, computed_at timestamptz,
  PRIMARY KEY (parcel_id, index_name, acquired_at))`;

function sceneId(day: string, area: string): string {
  return `S2A_33TWL_${day.replace(/-/g, '')}_${area === 'raw' ? 0 : 1}_L2A`;
}

function rasterKeys(area: 'raw' | 'clean', day: string): Record<string, string> {
  return Object.fromEntries(
    ['B04', 'B08'].map((band) => [
      band,
      `${area}/33TWL/${day}/${sceneId(day, area)}/g1/${band}.tif`,
    ]),
  );
}

describe('purge: retention, archive and deletion (real PostgreSQL, Temporal dev server, workers)', function () {
  this.timeout(600_000);
  let config: Config;
  let env: Record<string, string>;
  let db: Database;
  let lake: FileDatalake;
  let root: string;
  let client: Client;
  let connection: Connection;
  let dbUrl: string;
  let expiredKeys: string[];
  let allKeys: string[];

  /** Runs the project's workers (optionally over another datalake) while `fn` runs. */
  async function withWorkers<T>(fn: () => Promise<T>, datalake?: Datalake): Promise<T> {
    ensureTestRuntime();
    const native = await NativeConnection.connect({ address: config.temporal.address });
    try {
      const deps = activityDeps(config, db);
      const workers = await createWorkers({
        config,
        connection: native,
        activities: createActivities(datalake ? { ...deps, datalake } : deps),
        workflowBundle: await workflowBundle(),
      });
      const run = fn();
      await Promise.all(workers.map((w) => w.runUntil(run.catch(() => undefined))));
      return await run;
    } finally {
      await native.close();
    }
  }

  const runPurge = (workflowId: string, input: PurgeInput, datalake?: Datalake) =>
    withWorkers(
      () =>
        client.workflow.execute('purge', {
          taskQueue: config.temporal.taskQueues.io,
          workflowId,
          args: [input],
        }) as Promise<PurgeResult>,
      datalake,
    );

  /** Every datalake object with a checksum of its bytes. */
  async function lakeState(): Promise<Map<string, string>> {
    const state = new Map<string, string>();
    for await (const o of lake.list(''))
      state.set(
        o.key,
        createHash('sha256')
          .update(await lake.get(o.key))
          .digest('hex'),
      );
    return state;
  }

  /** Every stored observation, every column, as text. */
  async function observationsState(): Promise<string[]> {
    const rows = await db.pool.query<{ r: string }>(
      'SELECT row_to_json(o)::text AS r FROM parcel_observations o ORDER BY parcel_id, index_name, acquired_at',
    );
    return rows.rows.map((r) => r.r);
  }

  before(async () => {
    const database = await testDatabase();
    const temporal = await testTemporal();
    dbUrl = database.url;
    await migrate({ url: database.url, schema: SCHEMA });
    root = path.join(RUN_DIR, 'datalake', 'purge');
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    env = {
      DATABASE_URL: database.url,
      PARCELWATCH_DB_SCHEMA: SCHEMA,
      TEMPORAL_ADDRESS: temporal.address,
      DATALAKE_URL: root,
      PARCELWATCH_TASK_QUEUE_IO: uniqueTaskQueue('purge-io'),
      PARCELWATCH_TASK_QUEUE_CPU: uniqueTaskQueue('purge-cpu'),
      PARCELWATCH_HOME: path.join(RUN_DIR, 'home', 'purge'),
      PARCELWATCH_PURGE_SCHEDULE_ID: `pw-purge-test-${process.pid}-${Date.now()}`,
    };
    config = loadConfig(env);
    db = await openDatabase(config.database);
    lake = new FileDatalake(root);
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection, namespace: temporal.namespace });

    const { ids } = await upsertParcels(
      db,
      randomParcels(3, 21, [540_000, 5_040_000, 545_000, 5_045_000], 'purge'),
      { source: 'fields' },
    );
    const rows = ids.flatMap((id, p) =>
      ['ndvi', 'ndmi'].flatMap((index) =>
        TIMES.map((at, t) =>
          observationRow(id, index, at, (p + t) % 4 === 0 ? null : 0.1 * t + p / 7, {
            flags: t === 1 ? ['buffer-fallback'] : [],
          }),
        ),
      ),
    );
    await upsertObservations(db, rows, { algorithmVersion: 'v1', runId: 'weekly-x' });
    await db.pool.query("UPDATE datasets SET retention_days = 90 WHERE name = 'ndmi'");
    allKeys = rows.map(keyOf).sort();
    expiredKeys = rows
      .filter(
        (r) =>
          keyOf(r).split('|')[2]! <
          (r.index === 'ndmi' ? CUT.ndmi : CUT.ndvi).replace('.000Z', '.000000Z'),
      )
      .map(keyOf)
      .sort();
    assert.equal(expiredKeys.length, 3 * (4 + 2), 'ndvi: 4 acquisitions expired, ndmi: 2');

    for (const area of ['raw', 'clean'] as const)
      for (const day of RASTER_DAYS[area]) {
        const keys = rasterKeys(area, day);
        for (const key of Object.values(keys)) await lake.put(key, new TextEncoder().encode(key));
        await insertSceneGroup(
          db,
          { id: sceneId(day, area), tile: '33TWL', acquiredAt: `${day}T10:00:00Z` },
          1,
          area === 'raw' ? { raw: keys, clean: {} } : { raw: {}, clean: keys },
        );
      }
    for (const key of FOREIGN) await lake.put(key, new TextEncoder().encode('keep me'));
    // The expired rows as they are now, with the parcel's identity: what the archive must give back.
    await db.pool.query(
      `DROP SCHEMA IF EXISTS ${SCHEMA}_elsewhere CASCADE; CREATE SCHEMA ${SCHEMA}_elsewhere`,
    );
    await db.pool.query(
      `CREATE TABLE ${SCHEMA}_elsewhere.expected AS
       SELECT o.parcel_id, p.source AS parcel_source, p.external_id AS parcel_external_id, o.index_name,
              o.acquired_at, o.scene_id, o.mean, o.median, o.std, o.min, o.max, o.p10, o.p90,
              o.valid_pixels, o.total_pixels, o.valid_fraction, o.status, o.flags,
              o.algorithm_version, o.run_id, o.computed_at
         FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id
        WHERE o.acquired_at < CASE o.index_name WHEN 'ndmi' THEN $1::timestamptz ELSE $2::timestamptz END`,
      [CUT.ndmi, CUT.ndvi],
    );
  });

  after(async () => {
    await runCli(['schedule', 'delete', '--id', env.PARCELWATCH_PURGE_SCHEDULE_ID!], env).catch(
      () => undefined,
    );
    await connection?.close();
    await db?.close();
  });

  it('dry run (CLI): lists exactly the expired rows and rasters, changes nothing', async () => {
    const observations = await observationsState();
    const objects = await lakeState();
    const cli = await withWorkers(() =>
      runCli(['purge', '--dry-run', '--now', NOW, ...DAYS, '--wait', '--json'], env),
    );
    assert.equal(cli.code, 0, cli.stderr);
    const { result } = JSON.parse(cli.stdout) as { result: PurgeResult };
    assert.equal(result.dryRun, true);
    assert.deepEqual(result.cutoffs, {
      raw: CUT.raw,
      clean: CUT.clean,
      observations: { default: CUT.ndvi, byIndex: { ndmi: CUT.ndmi } },
    });
    assert.deepEqual(result.policy.observationsDaysByIndex, { ndmi: 90 });
    assert.deepEqual(result.observations.expired, [
      { month: '2024-03', index: 'ndmi', rows: 3 },
      { month: '2024-03', index: 'ndvi', rows: 3 },
      { month: '2024-04', index: 'ndmi', rows: 3 },
      { month: '2024-04', index: 'ndvi', rows: 6 },
      { month: '2024-05', index: 'ndvi', rows: 3 },
    ]);
    assert.equal(result.observations.expiredRows, expiredKeys.length);
    for (const area of ['raw', 'clean'] as const) {
      assert.deepEqual(
        result[area].sceneGroups,
        RASTER_DAYS[area]
          .slice(0, 2)
          .map((day) => `${area}/33TWL/${day}/${sceneId(day, area)}/g1/`),
      );
      assert.equal(result[area].objects, 4);
      assert.equal(result[area].deleted, 0);
    }
    assert.equal(result.raw.unrecognised, 1, 'raw/README.txt is off the layout');
    assert.deepEqual(await observationsState(), observations);
    assert.deepEqual(await lakeState(), objects);
    const run = await db.pool.query(
      "SELECT status, kpis->>'mode' AS mode FROM pipeline_runs WHERE workflow_id = 'purge-dry-run'",
    );
    assert.deepEqual(run.rows, [{ status: 'completed', mode: 'dry-run' }]);
  });

  it('an archive that cannot be written or does not read back fails the run and deletes nothing', async () => {
    const observations = await observationsState();
    const rasters = [...(await lakeState()).keys()];
    const input = { now: NOW, ...POLICY };
    const cases: Array<[string, Datalake, RegExp]> = [
      [
        // The first object reads back damaged.
        'purge-fails-verify',
        new FaultyDatalake(lake, {
          get: { match: /\.csv\.gz$/, alter: (bytes) => bytes.slice(0, -4) },
        }),
        /archiving observations of 2024-03 failed: archive .* does not match what was written .*nothing was deleted/,
      ],
      [
        // The last month fails, after March and April were archived and verified (the object
        // left unverified above is reused: it holds the same rows).
        'purge-fails-write',
        new FaultyDatalake(lake, {
          put: {
            match: /^archive\/observations\/2024-05\/.*\.csv\.gz$/,
            error: () =>
              new BadDataError('datalake refused the object (EACCES)', { code: 'FS_EACCES' }),
          },
        }),
        /archiving observations of 2024-05 failed: datalake refused the object \(EACCES\); nothing was deleted/,
      ],
    ];
    for (const [workflowId, faulty, reason] of cases) {
      await assert.rejects(runPurge(workflowId, input, faulty), (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.match(String(error.cause?.message), reason);
        return true;
      });
      const run = await db.pool.query<{ status: string; error: string }>(
        'SELECT status, error FROM pipeline_runs WHERE workflow_id = $1',
        [workflowId],
      );
      assert.equal(run.rows[0]!.status, 'failed');
      assert.match(run.rows[0]!.error, reason);
      assert.deepEqual(await observationsState(), observations, `${workflowId}: no row deleted`);
      for (const key of rasters) assert.ok(await lake.exists(key), `${workflowId}: ${key} kept`);
    }
    // March and April were archived with their manifests, yet none of their rows went.
    const archive = [...(await lakeState()).keys()].filter((k) =>
      k.startsWith(OBSERVATIONS_ARCHIVE_PREFIX),
    );
    assert.deepEqual(
      archive
        .filter((k) => k.endsWith('.manifest.json'))
        .map((k) => k.split('/').slice(2, 4).join('/')),
      ['2024-03/ndmi', '2024-03/ndvi', '2024-04/ndmi', '2024-04/ndvi'],
    );
    await lake.delete(archive);
  });

  it('archives, verifies and deletes exactly the expired rows and rasters, reusing an archive left by a crash', async () => {
    // A purge that crashed after archiving April and before deleting anything.
    const activities = createActivities(activityDeps(config, db));
    const cutoffs = { default: CUT.ndvi, byIndex: { ndmi: CUT.ndmi } };
    await new MockActivityEnvironment().run(activities.archiveObservations, {
      month: '2024-04',
      cutoffs,
    });
    // One transient datalake error on the way: retried, not fatal.
    const flaky = new FaultyDatalake(lake, {
      put: {
        match: /2024-05\/ndvi\/.*\.csv\.gz$/,
        error: () => new TransientError('datalake busy', { code: 'FS_EBUSY' }),
        times: 1,
      },
    });
    const result = await runPurge('purge', { now: NOW, ...POLICY }, flaky);
    await recordHistory(client, 'purge', 'purge');
    assert.equal(flaky.failedPuts.length, 1);

    // Rows: exactly the expired ones went.
    assert.deepEqual(
      await storedKeys(db),
      allKeys.filter((k) => !expiredKeys.includes(k)),
    );
    assert.equal(result.observations.archived, expiredKeys.length);
    assert.equal(result.observations.deleted, expiredKeys.length);
    assert.equal(result.observations.notArchived, 0);
    assert.deepEqual(result.observations.partitionsDropped, ['parcel_observations_2024_03']);
    const partitions = await db.pool.query<{ m: string | null; a: string | null }>(
      "SELECT to_regclass('parcel_observations_2024_03')::text AS m, to_regclass('parcel_observations_2024_04')::text AS a",
    );
    assert.deepEqual(partitions.rows[0], { m: null, a: 'parcel_observations_2024_04' });

    // The archive: one object per month and index, April's reused as the crash left it.
    const archived = [...(await lakeState()).keys()].filter((k) =>
      k.startsWith(OBSERVATIONS_ARCHIVE_PREFIX),
    );
    const objects = [
      '2024-03/ndmi',
      '2024-03/ndvi',
      '2024-04/ndmi',
      '2024-04/ndvi',
      '2024-05/ndvi',
    ].map((unit) => `${OBSERVATIONS_ARCHIVE_PREFIX}${unit}/parcels-0-9999`);
    assert.deepEqual(
      archived,
      objects.flatMap((o) => [`${o}.csv.gz`, `${o}.manifest.json`]),
    );
    assert.deepEqual(
      result.observations.archiveObjects,
      objects.map((o) => `${o}.csv.gz`),
    );
    assert.equal(result.observations.archiveObjectsWritten, 3);
    let manifestRows = 0;
    for (const o of objects)
      manifestRows += decodeManifest(await lake.get(`${o}.manifest.json`), o).rows;
    assert.equal(manifestRows, expiredKeys.length);

    // Loaded elsewhere the README's way, the archive gives back every expired row, every value.
    const elsewhere = `${SCHEMA}_elsewhere`;
    const psql = (sql: string) =>
      execFileSync('psql', [dbUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
        encoding: 'utf8',
        // A lock this process holds would block psql, and with it this event loop, for good.
        timeout: 60_000,
        env: { ...process.env, PGOPTIONS: `-c search_path=${elsewhere} -c lock_timeout=30s` },
      });
    psql(RESTORE_TABLE);
    for (const o of objects)
      execSync(
        `gunzip -c '${path.join(root, `${o}.csv.gz`)}' | psql '${dbUrl}' -X -q -v ON_ERROR_STOP=1 -c "\\copy observations_archive FROM STDIN WITH (FORMAT csv, HEADER true)"`,
        {
          timeout: 60_000,
          env: { ...process.env, PGOPTIONS: `-c search_path=${elsewhere} -c lock_timeout=30s` },
        },
      );
    const diff = await db.pool.query<{ missing: number; extra: number; loaded: number }>(
      `SELECT (SELECT count(*)::int FROM (SELECT * FROM ${elsewhere}.expected EXCEPT SELECT * FROM ${elsewhere}.observations_archive) x) AS missing,
              (SELECT count(*)::int FROM (SELECT * FROM ${elsewhere}.observations_archive EXCEPT SELECT * FROM ${elsewhere}.expected) y) AS extra,
              (SELECT count(*)::int FROM ${elsewhere}.observations_archive) AS loaded`,
    );
    assert.deepEqual(diff.rows[0], { missing: 0, extra: 0, loaded: expiredKeys.length });

    // Rasters: the expired ones went, scene_groups forgot them; the rest and foreign objects stay.
    const left = [...(await lakeState()).keys()].filter(
      (k) => !k.startsWith(OBSERVATIONS_ARCHIVE_PREFIX),
    );
    const kept = (['raw', 'clean'] as const).flatMap((area) =>
      RASTER_DAYS[area].slice(2).flatMap((day) => Object.values(rasterKeys(area, day))),
    );
    assert.deepEqual(left.sort(), [...kept, ...FOREIGN].sort());
    assert.equal(result.raw.deleted, 4);
    assert.equal(result.clean.deleted, 4);
    const groups = await db.pool.query<{ scene_id: string; raw: number; clean: number }>(
      `SELECT scene_id, (SELECT count(*)::int FROM jsonb_object_keys(raw_keys)) AS raw,
              (SELECT count(*)::int FROM jsonb_object_keys(clean_keys)) AS clean
         FROM scene_groups ORDER BY scene_id`,
    );
    for (const g of groups.rows) {
      const [, y, m, d, n] = /_(\d{4})(\d{2})(\d{2})_(\d)_L2A$/.exec(g.scene_id)!;
      const area = n === '0' ? 'raw' : 'clean';
      const kept = RASTER_DAYS[area].slice(2).includes(`${y}-${m}-${d}`);
      assert.equal(g[area], kept ? 2 : 0, `${g.scene_id}: ${area} keys`);
    }

    const run = await db.pool.query<{ status: string; counts: Record<string, number> }>(
      "SELECT status, counts FROM pipeline_runs WHERE workflow_id = 'purge' AND kind = 'purge'",
    );
    assert.equal(run.rows[0]!.status, 'completed');
    assert.equal(run.rows[0]!.counts.observationsDeleted, expiredKeys.length);
    assert.equal(run.rows[0]!.counts.rawObjectsDeleted, 4);
  });

  it('a second purge (CLI) finds nothing to do, says so, and changes nothing', async () => {
    const observations = await observationsState();
    const objects = await lakeState();
    const cli = await withWorkers(() => runCli(['purge', '--now', NOW, ...DAYS, '--wait'], env));
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(
      cli.stdout,
      /observations: keep 60 days \(ndmi 90\); acquired before 2024-05-11T00:00:00.000Z/,
    );
    assert.match(
      cli.stdout,
      /expired: 0 rows\n {2}archived: 0 rows in 0 objects \(0 written\)\n {2}deleted: 0 rows\n/,
    );
    assert.match(
      cli.stdout,
      /raw rasters: keep 30 days; .*\n {2}deleted 0 objects \(0 bytes\) of 0 scene groups; 1 objects off the layout left alone/,
    );
    assert.deepEqual(await observationsState(), observations);
    assert.deepEqual(await lakeState(), objects);
  });

  it('refuses a retention the next weekly run would undo, and a now in the future', async () => {
    await assert.rejects(
      runPurge('purge-short', { now: NOW, observationsDays: 7 }),
      (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.match(String(error.cause?.message), /observationsDays 7 is shorter than 28 days/);
        return true;
      },
    );
    await assert.rejects(
      runPurge('purge-future', { now: '2999-01-01T00:00:00Z' }),
      (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.match(String(error.cause?.message), /later than the run's start/);
        return true;
      },
    );
    await assert.rejects(runPurge('purge-zero', { now: NOW, rawDays: 0 }), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.match(String(error.cause?.message), /rawDays 0 is not a whole number of days/);
      return true;
    });
    const bad = await runCli(['purge', '--raw-days', 'soon'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--raw-days "soon" is not a whole number of days/);
  });

  it('the purge schedule starts scheduledPurge, which purges as of the time it was due', async () => {
    const id = env.PARCELWATCH_PURGE_SCHEDULE_ID!;
    const created = await runCli(['purge', 'schedule', '--raw-days', '30'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`schedule ${id} created`));
    const described = JSON.parse(
      (await runCli(['schedule', 'describe', '--id', id, '--json'], env)).stdout,
    );
    assert.equal(described.workflowType, 'scheduledPurge');
    assert.equal(described.cron, '0 4 * * SUN');
    assert.equal(described.overlap, 'SKIP');
    await withWorkers(async () => {
      const triggered = await runCli(['schedule', 'trigger', '--id', id], env);
      assert.equal(triggered.code, 0, triggered.stderr);
      for (let i = 0; i < 60; i++) {
        const runs = await db.pool.query(
          "SELECT 1 FROM pipeline_runs WHERE kind = 'purge' AND trigger = 'schedule' AND status = 'completed'",
        );
        if (runs.rowCount) return;
        await sleep(1000);
      }
      assert.fail('the scheduled purge did not complete within a minute');
    });
    const scheduled = await client.workflow
      .list({ query: `WorkflowType = 'scheduledPurge' AND WorkflowId STARTS_WITH '${id}'` })
      [Symbol.asyncIterator]()
      .next();
    assert.equal(scheduled.done, false, 'the schedule started no scheduledPurge workflow');
    await recordHistory(client, 'scheduled-purge', scheduled.value!.workflowId);
    // Due now (2026 or later): every raster of 2024 is past 30 (raw) and 90 (clean) days.
    const left = [...(await lakeState()).keys()].filter(
      (k) => k.startsWith('raw/') || k.startsWith('clean/'),
    );
    assert.deepEqual(left, ['raw/README.txt']);
  });
});
