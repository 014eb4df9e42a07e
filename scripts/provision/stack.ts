import path from 'node:path';
import type { Config } from '../../src/config';
import { redactUrl } from '../../src/store/db/connection';
import { migrate } from '../../src/store/db/migrate';
import { ensureBinary, TEMPORAL_CLI, VERSITYGW } from './binaries';
import { startEmbeddedPg } from './embedded-pg';
import { runDir } from './paths';
import { ensurePostgis } from './postgres';
import { runningPid, stopDaemon } from './process';
import { CHROMIUM, ensureSystemTool, GDAL } from './system-packages';
import { ensureNamespace, startTemporalDevServer, temporalServing } from './temporal-server';

export type Log = (message: string) => void;

/** The admin URL of the PostgreSQL the tests use; each test run creates its own database there. */
export function testAdminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.PARCELWATCH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/**
 * Everything the test suite needs on this machine: the Temporal CLI and versitygw binaries
 * (cached outside the repo), a PostgreSQL with PostGIS, GDAL and
 * Chromium (browser tests). Services themselves are started by
 * the test harness for the duration of a run. Returns what had to be installed.
 */
export async function provisionForTests(log: Log): Promise<string[]> {
  const changed: string[] = [];
  for (const spec of [TEMPORAL_CLI, VERSITYGW]) {
    const binary = await ensureBinary(spec, log);
    log(`${spec.name}: ${binary.path} (${binary.source})`);
    if (binary.source === 'go' || binary.source === 'download') changed.push(spec.name);
  }
  const postgis = await ensurePostgis(testAdminUrl(), log);
  log(`PostgreSQL for tests: ${redactUrl(testAdminUrl())} with PostGIS ${postgis}`);
  if (ensureSystemTool(GDAL, log) === 'installed') changed.push(GDAL.debianPackage);
  log(`GDAL: ${GDAL.command} present`);
  if (ensureSystemTool(CHROMIUM, log) === 'installed') changed.push(CHROMIUM.debianPackage);
  log(`Chromium: ${CHROMIUM.command} present`);
  return changed;
}

export interface DemoStack {
  databaseUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  /** Which pieces this call started (empty: everything was already up). */
  started: string[];
}

/**
 * The demo's services, left running in the background: the embedded PostgreSQL (unless
 * DATABASE_URL is set), the Temporal dev server with its Web UI and a persistent SQLite file
 * (unless TEMPORAL_ADDRESS is set), and the schema migrated. Idempotent.
 */
export async function provisionDemo(
  config: Config,
  env: NodeJS.ProcessEnv,
  log: Log,
): Promise<DemoStack> {
  const dir = runDir(config.home, 'demo');
  const started: string[] = [];

  let databaseUrl = config.database.url;
  if (config.database.embedded) {
    const pg = await startEmbeddedPg({
      dataDir: path.join(config.home, 'pgdata'),
      port: config.devStack.embeddedPgPort,
      schema: config.database.schema,
      logFile: path.join(dir, 'postgres.log'),
      pidFile: path.join(dir, 'postgres.pid'),
    });
    databaseUrl = pg.url;
    log(
      `embedded PostgreSQL (PGlite + PostGIS): ${pg.url} ${pg.started ? '— started' : '— already running'}`,
    );
    if (pg.started) started.push('postgres');
  } else {
    log(`PostgreSQL: DATABASE_URL is set, using it`);
  }

  let temporalAddress = config.temporal.address;
  let temporalUiUrl: string | undefined;
  if (env.TEMPORAL_ADDRESS) {
    if (!(await temporalServing(temporalAddress).catch(() => false))) {
      throw new Error(
        `TEMPORAL_ADDRESS=${temporalAddress} does not answer; unset it to let the demo start a dev server`,
      );
    }
    log(`Temporal: TEMPORAL_ADDRESS=${temporalAddress} is set and serving, using it`);
  } else {
    const binary = await ensureBinary(TEMPORAL_CLI, log);
    const server = await startTemporalDevServer({
      binary: binary.path,
      port: config.devStack.temporalPort,
      uiPort: config.devStack.temporalUiPort,
      dbFile: path.join(config.home, 'temporal.db'),
      logFile: path.join(dir, 'temporal.log'),
      pidFile: path.join(dir, 'temporal.pid'),
    });
    temporalAddress = server.address;
    temporalUiUrl = server.uiUrl;
    log(
      `Temporal dev server: ${server.address}, Web UI ${server.uiUrl} ${server.started ? '— started' : '— already running'}`,
    );
    if (server.started) started.push('temporal');
    // One dev server holds every environment of this machine, each in its own namespace.
    if (await ensureNamespace(server.address, config.temporal.namespace)) {
      log(`Temporal namespace ${config.temporal.namespace}: registered`);
    }
  }

  const migration = await migrate({ url: databaseUrl, schema: config.database.schema });
  log(
    migration.applied.length
      ? `schema ${migration.schema}: applied ${migration.applied.join(', ')}`
      : `schema ${migration.schema}: up to date`,
  );
  if (migration.applied.length) started.push('schema');
  return { databaseUrl, temporalAddress, temporalUiUrl, started };
}

/** Daemons a profile may leave running, in the order they stop (dependants first). */
const DAEMONS = ['worker', 'api', 'stac', 'temporal', 'postgres', 's3'];

export async function stopProfile(home: string, profile: string, log: Log): Promise<void> {
  const dir = runDir(home, profile);
  let stopped = 0;
  for (const name of DAEMONS) {
    const pid = await stopDaemon(path.join(dir, `${name}.pid`));
    if (pid !== undefined) {
      log(`${name}: stopped (pid ${pid})`);
      stopped++;
    }
  }
  if (stopped === 0) log(`nothing of the ${profile} stack was running`);
}

export function profileStatus(
  home: string,
  profile: string,
): Array<{ name: string; pid: number | undefined }> {
  const dir = runDir(home, profile);
  return DAEMONS.map((name) => ({ name, pid: runningPid(path.join(dir, `${name}.pid`)) }));
}
