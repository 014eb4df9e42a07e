/**
 * A whole pipeline for end-to-end tests, on real services: synthetic Sentinel-2 served by the
 * local STAC API, a schema of its own in this run's PostgreSQL, a datalake folder, parcels
 * imported and watched, and the project's own workers on the test Temporal server.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startStacServer } from '../../scripts/stac-server/server';
import { generateSynthetic, type SyntheticDataset } from '../../scripts/synthetic/generate';
import type { SyntheticOptions } from '../../scripts/synthetic/options';
import { createActivities } from '../../src/activities';
import { activityDeps } from '../../src/activities/deps';
import { type Config, loadConfig } from '../../src/config';
import type { ParcelGeometry } from '../../src/core/geo/types';
import { type Database, openDatabase } from '../../src/store/db/database';
import { migrate } from '../../src/store/db/migrate';
import { upsertParcels, watchParcels } from '../../src/store/db/parcels-repo';
import { createWorkers } from '../../src/workers/worker';
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
): Promise<PipelineFixture> {
  const dataset = await generateSynthetic({
    ...synthetic,
    out: path.join(REPO_ROOT, '.parcelwatch', 'test-data', name),
  });
  const stac = await startStacServer({ dataDir: dataset.dir });
  const database = await testDatabase();
  const temporal = await testTemporal();
  const schema = `pw_${name.replace(/[^a-z0-9]/g, '_')}`;
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
  const client = new Client({ connection, namespace: temporal.namespace });
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
