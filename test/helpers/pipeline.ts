/**
 * A whole pipeline for end-to-end tests, on real services: synthetic Sentinel-2 served by the
 * local STAC API, a schema of its own in this run's PostgreSQL, a datalake folder, parcels
 * imported and watched, and the project's own workers on the test Temporal server.
 */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startStacServer } from '../../scripts/stac-server/server';
import { generateSynthetic, type SyntheticDataset } from '../../scripts/synthetic/generate';
import type { SyntheticOptions } from '../../scripts/synthetic/options';
import { createActivities } from '../../src/activities';
import { activityDeps } from '../../src/activities/deps';
import { type Config, loadConfig } from '../../src/config';
import { parcelsFromGeoJson } from '../../src/core/geo/parcel-geojson';
import { primaryTile } from '../../src/core/geo/primary-tile';
import type { ParcelGeometry } from '../../src/core/geo/types';
import { resolveIndices } from '../../src/core/indices/registry';
import { sceneFromItem } from '../../src/core/stac/items';
import { ParcelSet } from '../../src/core/zonal/parcel-set';
import { computeSceneStatistics } from '../../src/core/zonal/scene-statistics';
import { type Database, openDatabase } from '../../src/store/db/database';
import { migrate } from '../../src/store/db/migrate';
import { upsertParcels, watchParcels } from '../../src/store/db/parcels-repo';
import { openByteSource } from '../../src/store/sources/open-byte-source';
import { createWorkers } from '../../src/workers/worker';
import { keepOutput } from './secrets';
import { REPO_ROOT, RUN_DIR, testDatabase, testTemporal } from './services';
import { ensureTestRuntime, uniqueTaskQueue, workflowBundle } from './workers';

export type StacServer = Awaited<ReturnType<typeof startStacServer>>;

export interface PipelineFixture {
  name: string;
  dataset: SyntheticDataset;
  stac: StacServer;
  config: Config;
  env: Record<string, string>;
  db: Database;
  client: Client;
  datalakeRoot: string;
  close(): Promise<void>;
}

/**
 * Generates (or reuses) a synthetic dataset, serves it, migrates a schema `pw_<name>`, imports the
 * dataset's parcels and watches them all.
 */
export async function pipelineFixture(
  name: string,
  synthetic: Omit<SyntheticOptions, 'out'>,
  settings: Record<string, string> = {},
  options: { mutate?: (dataDir: string) => void } = {},
): Promise<PipelineFixture> {
  let dataset = await generateSynthetic({
    ...synthetic,
    out: path.join(REPO_ROOT, '.parcelwatch', 'test-data', name),
  });
  if (options.mutate) {
    // Alter a copy: the generated dataset stays clean for the next run's cache.
    const copy = path.join(RUN_DIR, 'data', name);
    rmSync(copy, { recursive: true, force: true });
    cpSync(dataset.dir, copy, { recursive: true });
    options.mutate(copy);
    dataset = relocate(dataset, copy);
  }
  const stac = await startStacServer({ dataDir: dataset.dir });
  const database = await testDatabase();
  const temporal = await testTemporal();
  const schema = `e2e_${name.replace(/[^a-z0-9]/g, '_')}`;
  await migrate({ url: database.url, schema });
  const datalakeRoot = path.join(RUN_DIR, 'datalake', name);
  rmSync(datalakeRoot, { recursive: true, force: true });
  mkdirSync(datalakeRoot, { recursive: true });
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    PARCELWATCH_DB_SCHEMA: schema,
    TEMPORAL_ADDRESS: temporal.address,
    STAC_API_URL: stac.url,
    DATALAKE_URL: datalakeRoot,
    PARCELWATCH_TASK_QUEUE_IO: uniqueTaskQueue(`${name}-io`),
    PARCELWATCH_TASK_QUEUE_CPU: uniqueTaskQueue(`${name}-cpu`),
    PARCELWATCH_MAX_CLOUD_COVER: '100',
    PARCELWATCH_HOME: path.join(RUN_DIR, 'home', name),
    ...settings,
  };
  const config = loadConfig(env);
  const db = await openDatabase(config.database);
  const features = JSON.parse(readFileSync(dataset.parcelsPath, 'utf8')) as {
    features: Array<{
      properties: { id: string; name?: string; crop?: string };
      geometry: ParcelGeometry;
    }>;
  };
  await upsertParcels(
    db,
    features.features.map((f) => ({
      externalId: f.properties.id,
      name: f.properties.name ?? null,
      crop: f.properties.crop ?? null,
      geometry: f.geometry,
    })),
    { source: 'synthetic' },
  );
  await watchParcels(db, { source: 'synthetic' }, true);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return {
    name,
    dataset,
    stac,
    config,
    env,
    db,
    client,
    datalakeRoot,
    async close() {
      await connection.close();
      await db.close();
      await stac.close();
    },
  };
}

/** Runs the project's workers (I/O and CPU queues) for the fixture while `fn` runs. */
export async function withPipelineWorkers<T>(
  fixture: PipelineFixture,
  fn: () => Promise<T>,
): Promise<T> {
  ensureTestRuntime();
  const connection = await NativeConnection.connect({ address: fixture.config.temporal.address });
  try {
    const workers = await createWorkers({
      config: fixture.config,
      connection,
      activities: createActivities(activityDeps(fixture.config, fixture.db)),
      workflowBundle: await workflowBundle(),
    });
    const run = fn();
    await Promise.all(workers.map((worker) => worker.runUntil(run.catch(() => undefined))));
    return await run;
  } finally {
    await connection.close();
  }
}

/** The dataset as seen from another folder (a mutated copy). */
function relocate(dataset: SyntheticDataset, dir: string): SyntheticDataset {
  const move = (file: string) => path.join(dir, path.relative(dataset.dir, file));
  return {
    ...dataset,
    dir,
    parcelsPath: move(dataset.parcelsPath),
    truthPath: move(dataset.truthPath),
    scenes: dataset.scenes.map((s) => ({
      ...s,
      itemPath: move(s.itemPath),
      cogs: Object.fromEntries(Object.entries(s.cogs).map(([band, file]) => [band, move(file!)])),
    })),
  };
}

export interface StoredObservation {
  external_id: string;
  index_name: string;
  acquired_at: Date;
  scene_id: string;
  mean: number | null;
  p90: number | null;
  valid_pixels: number;
  total_pixels: number;
  status: string;
  flags: string[];
}

/** Every stored observation, in a stable order. */
export async function storedObservations(fixture: PipelineFixture): Promise<StoredObservation[]> {
  const rows = await fixture.db.pool.query<StoredObservation>(
    `SELECT p.external_id, o.index_name, o.acquired_at, o.scene_id, o.mean, o.p90, o.valid_pixels, o.total_pixels, o.status, o.flags
       FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id
      ORDER BY p.external_id, o.index_name, o.acquired_at`,
  );
  return rows.rows;
}

export interface DirectObservation {
  mean: number | null;
  validPixels: number;
  totalPixels: number;
  status: string;
}

/**
 * What the engine gives on the provider's own COGs for the given scenes (default: all), each parcel
 * in its primary tile only; keyed `externalId|index|acquiredAt`.
 */
export async function directComputation(
  fixture: PipelineFixture,
  sceneIds?: string[],
): Promise<Map<string, DirectObservation>> {
  const features = parcelsFromGeoJson(
    JSON.parse(readFileSync(fixture.dataset.parcelsPath, 'utf8')),
    { source: 'parcels' },
  );
  const expected = new Map<string, DirectObservation>();
  for (const s of fixture.dataset.scenes) {
    if (sceneIds && !sceneIds.includes(s.id)) continue;
    const parsed = sceneFromItem(JSON.parse(readFileSync(s.itemPath, 'utf8')), {
      requiredBands: ['B04', 'B08', 'B11', 'SCL'],
      baseUrl: pathToFileURL(`${path.dirname(s.itemPath)}/`).href,
    });
    assert.ok(parsed.ok, `${s.id} parses`);
    const mine = features.ids
      .map((id, i) => [id, i] as const)
      .filter(([, i]) => primaryTile(features.geometries[i]!).tile === s.tile);
    const result = await computeSceneStatistics({
      scene: parsed.scene,
      parcels: new ParcelSet(
        mine.map(([id]) => id),
        mine.map(([, i]) => features.geometries[i]!),
      ),
      indices: resolveIndices(fixture.config.science.indices),
      bufferMetres: fixture.config.science.bufferMetres,
      okThreshold: fixture.config.science.okThreshold,
      validSclClasses: fixture.config.science.validSclClasses,
      openSource: (href) => openByteSource(href),
    });
    for (const o of result.observations)
      expected.set(
        `${o.parcelId}|${o.index}|${new Date(parsed.scene.acquiredAt).toISOString()}`,
        o,
      );
  }
  return expected;
}

/** Asserts the stored observations are exactly the direct computation (1e-6 on means). */
export function assertSameObservations(
  stored: StoredObservation[],
  expected: Map<string, DirectObservation>,
): void {
  assert.equal(stored.length, expected.size, 'one row per parcel, index and acquisition');
  for (const row of stored) {
    const key = `${row.external_id}|${row.index_name}|${row.acquired_at.toISOString()}`;
    const want = expected.get(key);
    assert.ok(want, `unexpected observation ${key}`);
    assert.equal(row.status, want.status, `${key} status`);
    assert.equal(row.valid_pixels, want.validPixels, `${key} valid pixels`);
    assert.equal(row.total_pixels, want.totalPixels, `${key} total pixels`);
    if (want.mean === null) assert.equal(row.mean, null, `${key} mean`);
    else
      assert.ok(Math.abs(row.mean! - want.mean) < 1e-6, `${key} mean ${row.mean} vs ${want.mean}`);
  }
}

/** Runs a workflow to its end with the fixture's workers. */
export function executeWithWorkers<T>(
  fixture: PipelineFixture,
  workflowType: string,
  workflowId: string,
  args: unknown[],
): Promise<T> {
  return withPipelineWorkers(fixture, () =>
    fixture.client.workflow.execute(workflowType, {
      taskQueue: fixture.config.temporal.taskQueues.io,
      workflowId,
      args,
    }),
  );
}

/** A `parcelwatch worker` process on the fixture's configuration (the way operators run it). */
export function spawnWorker(fixture: PipelineFixture): ChildProcess & { output: () => string } {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(REPO_ROOT, 'src/cli/main.ts'), 'worker'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...fixture.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  // Kept for the run's secret check (test/helpers/secrets.ts).
  child.once('close', () => keepOutput(`worker ${fixture.name}`, output));
  return Object.assign(child, { output: () => output });
}
