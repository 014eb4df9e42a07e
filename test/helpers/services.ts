/**
 * Real services for the test suite, started lazily on first use and once per run: a Temporal dev
 * server (in-memory, headless), a PostgreSQL database of this run (created on the local server,
 * migrated, dropped at the end). All of it goes through the provisioning code the README uses.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { ensureBinary, TEMPORAL_CLI } from '../../scripts/provision/binaries';
import { freePort } from '../../scripts/provision/ports';
import { isAlive, stopDaemon } from '../../scripts/provision/process';
import { testAdminUrl } from '../../scripts/provision/stack';
import { startTemporalDevServer } from '../../scripts/provision/temporal-server';
import { migrate } from '../../src/store/db/migrate';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Scratch space of this run: logs, pid files, temporary data. */
export const RUN_DIR = path.join(REPO_ROOT, '.parcelwatch', 'test-runs', String(process.pid));

export interface TestTemporal {
  address: string;
  namespace: string;
}

export interface TestDatabase {
  /** Connection string of this run's database (superuser on the local server). */
  url: string;
  /** The default schema, migrated. */
  schema: string;
  name: string;
}

const cleanups: Array<() => Promise<void>> = [];
let temporal: Promise<TestTemporal> | undefined;
let database: Promise<TestDatabase> | undefined;

/** The Temporal dev server of this test run. */
export function testTemporal(): Promise<TestTemporal> {
  temporal ??= (async () => {
    const binary = await ensureBinary(TEMPORAL_CLI);
    const pidFile = path.join(RUN_DIR, 'temporal.pid');
    const server = await startTemporalDevServer({
      binary: binary.path,
      port: await freePort(),
      logFile: path.join(RUN_DIR, 'temporal.log'),
      pidFile,
    });
    cleanups.push(async () => {
      await stopDaemon(pidFile);
    });
    return { address: server.address, namespace: 'default' };
  })();
  return temporal;
}

/** Replaces the database name of a connection string. */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** A database of this run, created on the test server and migrated into the default schema. */
export function testDatabase(): Promise<TestDatabase> {
  database ??= (async () => {
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    const name = `parcelwatch_test_${process.pid}`;
    try {
      await dropStaleDatabases(admin);
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    cleanups.push(async () => {
      const client = new Client({ connectionString: testAdminUrl() });
      await client.connect();
      await client
        .query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        .finally(() => client.end());
    });
    const url = withDatabase(testAdminUrl(), name);
    await migrate({ url, schema: 'parcelwatch' });
    return { url, schema: 'parcelwatch', name };
  })();
  return database;
}

/** Databases of earlier runs whose process is gone (killed before its teardown). */
async function dropStaleDatabases(admin: Client): Promise<void> {
  const rows = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'parcelwatch\\_test\\_%'",
  );
  for (const { datname } of rows.rows) {
    const pid = Number(datname.split('_').pop());
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) {
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
  }
}

/** Registers a cleanup to run when the whole suite ends (servers of other helpers). */
export function onSuiteEnd(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

/** Stops everything this run started, last started first. */
export async function stopServices(): Promise<void> {
  mkdirSync(RUN_DIR, { recursive: true });
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error(error));
  cleanups.length = 0;
}
