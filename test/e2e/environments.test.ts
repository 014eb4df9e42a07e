import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { ensureNamespace } from '../../scripts/provision/temporal-server';
import { roleNames } from '../../src/store/db/roles';
import { runCli } from '../helpers/cli';
import {
  assertSameObservations,
  directComputation,
  type PipelineFixture,
  pipelineFixture,
  spawnWorker,
  storedObservations,
} from '../helpers/pipeline';
import { testTemporal } from '../helpers/services';
import { startVersitygw, type Versitygw } from '../helpers/versitygw';

/**
 * Two environments side by side on shared servers, differing only by configuration: one
 * PostgreSQL database (two schemas, each migrated by the normal migrator), one Temporal dev server
 * (two namespaces, each with its own task queues and schedule ids), one S3 bucket (two prefixes).
 * Both run the same week (same workflow id) at the same time, each with its own `parcelwatch
 * worker`; then each sees its own parcels, observations, runs, workflows, schedules and datalake
 * objects only.
 */

const WEEK = '2024-W19';
const WEEK_START = '2024-05-06';
const WEEK_END = '2024-05-12';
const BUCKET = 'parcelwatch-environments';

interface Environment {
  label: 'dev' | 'staging';
  /** Prefix of the external ids of this environment's parcels, so a leak shows by name. */
  idPrefix: string;
  namespace: string;
  lakePrefix: string;
  fixture: PipelineFixture;
}

describe('environments: dev and staging side by side on one PostgreSQL, one Temporal, one bucket (real services)', function () {
  this.timeout(600_000);
  let gw: Versitygw;
  const envs: Environment[] = [];

  before(async () => {
    gw = await startVersitygw({ bucket: BUCKET });
    const temporal = await testTemporal();
    const specs = [
      { label: 'dev', seed: 71, parcels: 36 },
      { label: 'staging', seed: 72, parcels: 52 },
    ] as const;
    for (const spec of specs) {
      // Namespaces of their own (not `default`, which the other e2e tests share), registered the
      // way the dev stack registers a non-default one.
      const namespace = `parcelwatch-envtest-${spec.label}`;
      await ensureNamespace(temporal.address, namespace);
      const idPrefix = `${spec.label}-`;
      const lakePrefix = `envs/${spec.label}`;
      const fixture = await pipelineFixture(
        `env-${spec.label}`,
        {
          seed: spec.seed,
          parcels: spec.parcels,
          tinyParcels: 1,
          bands: ['B04', 'B08', 'B11', 'SCL'],
        },
        {
          PARCELWATCH_ENV: spec.label,
          TEMPORAL_NAMESPACE: namespace,
          PARCELWATCH_GROUP_MAX_PARCELS: '12',
          PARCELWATCH_LOOKBACK_WEEKS: '0',
          DATALAKE_URL: `s3://${gw.bucket}/${lakePrefix}`,
          S3_ENDPOINT: gw.endpoint,
          AWS_REGION: gw.region,
          AWS_ACCESS_KEY_ID: gw.accessKeyId,
          AWS_SECRET_ACCESS_KEY: gw.secretAccessKey,
        },
        { mutate: (dir) => prefixParcelIds(dir, idPrefix) },
      );
      envs.push({ label: spec.label, idPrefix, namespace, lakePrefix, fixture });
    }
  });

  after(async () => {
    for (const env of envs) {
      await env.fixture.client.schedule
        .getHandle(env.fixture.config.pipeline.scheduleId)
        .delete()
        .catch(() => undefined);
      await env.fixture.close();
    }
    await gw?.stop();
  });

  it('differ only by configuration: schema, namespace, task queues, schedule ids, datalake prefix, database roles', () => {
    const [dev, staging] = envs.map((e) => e.fixture.config);
    assert.equal(dev.environment, 'dev');
    assert.equal(staging.environment, 'staging');
    assert.equal(dev.database.url, staging.database.url, 'one PostgreSQL database');
    assert.equal(dev.temporal.address, staging.temporal.address, 'one Temporal server');
    assert.notEqual(dev.database.schema, staging.database.schema);
    assert.notEqual(dev.temporal.namespace, staging.temporal.namespace);
    assert.notEqual(dev.temporal.taskQueues.io, staging.temporal.taskQueues.io);
    // Unset in both: the schedule ids come from the PARCELWATCH_ENV presets.
    assert.equal(dev.pipeline.scheduleId, 'parcelwatch-weekly');
    assert.equal(staging.pipeline.scheduleId, 'parcelwatch-staging-weekly');
    assert.equal(staging.retention.scheduleId, 'parcelwatch-staging-purge');
    assert.deepEqual(
      envs.map((e) => e.fixture.config.datalake.kind === 's3' && e.fixture.config.datalake.bucket),
      [BUCKET, BUCKET],
    );
  });

  it('run the same week at once, each in its own namespace, and neither sees the other’s data or runs', async () => {
    const [dev, staging] = envs;
    // One `parcelwatch worker` per environment, as operators run them (each with its own S3 keys
    // in the standard AWS variables), while both CLIs start the same week at the same time.
    const workers = envs.map((e) => spawnWorker(e.fixture));
    try {
      const results = await Promise.all(
        envs.map((e) => runCli(['run', '--week', WEEK, '--wait', '--json'], e.fixture.env)),
      );
      for (const [i, result] of results.entries()) {
        const label = envs[i].label;
        assert.equal(result.code, 0, `${label}: ${result.stderr}\n${workers[i].output()}`);
        const run = JSON.parse(result.stdout);
        assert.equal(run.status, 'completed', `${label}: ${result.stdout}`);
        assert.equal(run.result.scenesFailed, 0, `${label}: ${result.stdout}`);
        assert.ok(run.result.observations > 0, `${label}: ${result.stdout}`);
      }
    } finally {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.exitCode !== null) return resolve();
              worker.once('exit', () => resolve());
              worker.kill('SIGTERM');
            }),
        ),
      );
    }

    for (const env of envs) {
      const { fixture } = env;
      const other = env === dev ? staging : dev;

      // Database: this schema holds this environment's parcels and exactly the observations its
      // own data gives; the run recorded here is the run of this namespace.
      const parcels = await fixture.db.pool.query<{ external_id: string }>(
        'SELECT external_id FROM parcels',
      );
      assert.ok(parcels.rows.length > 0);
      for (const { external_id } of parcels.rows) {
        assert.ok(external_id.startsWith(env.idPrefix), `${env.label} holds parcel ${external_id}`);
      }
      const weekScenes = fixture.dataset.scenes
        .filter((scene) => scene.date >= WEEK_START && scene.date <= WEEK_END)
        .map((scene) => scene.id);
      assertSameObservations(
        await storedObservations(fixture),
        await directComputation(fixture, weekScenes),
      );
      const run = await fixture.client.workflow.getHandle(`weekly-${WEEK}`).describe();
      const otherRun = await other.fixture.client.workflow.getHandle(`weekly-${WEEK}`).describe();
      assert.notEqual(run.runId, otherRun.runId);
      const recorded = await fixture.db.pool.query<{ run_id: string }>(
        'SELECT run_id FROM pipeline_runs',
      );
      assert.deepEqual(
        recorded.rows.map((r) => r.run_id),
        [run.runId],
      );

      // Temporal: the namespace lists this run and its children only, all on this task queue.
      const listed = await workflowsOf(fixture.client);
      const groups = await fixture.db.pool.query<{ tile: string; group_number: number }>(
        'SELECT tile, group_number FROM parcel_groups WHERE watched_count > 0',
      );
      assert.deepEqual(
        listed.map((w) => w.workflowId).sort(),
        [
          `weekly-${WEEK}`,
          ...groups.rows.map((g) => `group-${g.tile}-${g.group_number}-${WEEK}`),
        ].sort(),
      );
      for (const w of listed) {
        assert.equal(w.taskQueue, fixture.config.temporal.taskQueues.io, w.workflowId);
        assert.ok(w.runId !== otherRun.runId);
      }

      // Datalake: every object under this prefix is a raster this environment recorded, and
      // all it recorded is there.
      const keys = await objectKeys(gw, `${env.lakePrefix}/`);
      const written = await fixture.db.pool.query<{
        raw_keys: Record<string, string>;
        clean_keys: Record<string, string>;
      }>('SELECT raw_keys, clean_keys FROM scene_groups');
      const expected = new Set(
        written.rows.flatMap((r) => [...Object.values(r.raw_keys), ...Object.values(r.clean_keys)]),
      );
      assert.ok(expected.size > 0);
      assert.deepEqual(keys.sort(), [...expected].sort());

      // The CLI, with this environment's settings, shows its own runs and parcels only.
      const runsListed = await runCli(['runs', 'list', '--json'], fixture.env);
      assert.equal(runsListed.code, 0, runsListed.stderr);
      assert.deepEqual(
        (JSON.parse(runsListed.stdout) as Array<{ runId: string }>).map((r) => r.runId),
        [run.runId],
      );
      const parcelsListed = await runCli(
        ['parcels', 'list', '--limit', '0', '--json'],
        fixture.env,
      );
      assert.equal(parcelsListed.code, 0, parcelsListed.stderr);
      const ids = (JSON.parse(parcelsListed.stdout) as Array<{ externalId: string }>).map(
        (p) => p.externalId,
      );
      assert.equal(ids.length, parcels.rows.length);
      assert.ok(
        ids.every((id) => id.startsWith(env.idPrefix)),
        ids.join(', '),
      );
      const status = await runCli(['status', '--json'], fixture.env);
      const report = JSON.parse(status.stdout);
      assert.equal(report.environment, env.label);
      assert.equal(report.database.schema, fixture.config.database.schema);
      assert.equal(report.database.parcels, parcels.rows.length);
      assert.equal(report.temporal.namespace, env.namespace);
    }
    // Nothing was written outside the two prefixes.
    const all = await objectKeys(gw, '');
    assert.ok(all.every((key) => envs.some((e) => key.startsWith(`${e.lakePrefix}/`))));
  });

  it('keeps the schedules apart: each namespace holds its environment’s schedule id only', async () => {
    for (const env of envs) {
      const created = await runCli(['schedule', 'create', '--paused', '--json'], env.fixture.env);
      assert.equal(created.code, 0, created.stderr);
    }
    for (const env of envs) {
      const ids: string[] = [];
      for await (const s of env.fixture.client.schedule.list()) ids.push(s.scheduleId);
      assert.deepEqual(ids, [env.fixture.config.pipeline.scheduleId], env.label);
      const described = await runCli(['schedule', 'describe', '--json'], env.fixture.env);
      assert.equal(described.code, 0, described.stderr);
      assert.equal(
        JSON.parse(described.stdout).taskQueue,
        env.fixture.config.temporal.taskQueues.io,
      );
    }
  });

  it('gives each environment its own database roles, with no access to the other schema', async () => {
    const { pool } = envs[0].fixture.db;
    for (const env of envs) {
      const other = envs.find((e) => e !== env)!;
      const roles = roleNames(env.fixture.config.database.schema);
      for (const role of [roles.reader, roles.writer]) {
        const access = await pool.query<{ own: boolean; other: boolean }>(
          `SELECT has_schema_privilege($1, $2, 'USAGE') AS own,
                  has_schema_privilege($1, $3, 'USAGE') AS other`,
          [role, env.fixture.config.database.schema, other.fixture.config.database.schema],
        );
        assert.deepEqual(access.rows[0], { own: true, other: false }, role);
      }
    }
  });
});

/** Rewrites the dataset copy's parcel ids with `prefix`, so each environment's parcels are recognisable. */
function prefixParcelIds(dir: string, prefix: string): void {
  const file = path.join(dir, 'parcels.geojson');
  const collection = JSON.parse(readFileSync(file, 'utf8')) as {
    features: Array<{ properties: { id: string } }>;
  };
  for (const feature of collection.features)
    feature.properties.id = `${prefix}${feature.properties.id}`;
  writeFileSync(file, JSON.stringify(collection));
}

/** Every workflow execution of the client's namespace. */
async function workflowsOf(
  client: Client,
): Promise<Array<{ workflowId: string; runId: string; taskQueue: string }>> {
  const out: Array<{ workflowId: string; runId: string; taskQueue: string }> = [];
  for await (const w of client.workflow.list()) {
    out.push({ workflowId: w.workflowId, runId: w.runId, taskQueue: w.taskQueue });
  }
  return out;
}

/** Keys of the bucket's objects under `prefix`, relative to it. */
async function objectKeys(gw: Versitygw, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await gw.client.send(
      new ListObjectsV2Command({
        Bucket: gw.bucket,
        Prefix: prefix || undefined,
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) keys.push(o.Key!.slice(prefix.length));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}
