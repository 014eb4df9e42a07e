/**
 * Mocha root hooks: plant sentinel secrets and capture the run's logs when mocha starts, and fail
 * the run when any captured log line holds a registered secret (see test/helpers/secrets.ts).
 *
 * Sentinels are planted only where they change nothing else: the test database's URL gets a
 * password (the local server trusts 127.0.0.1 and ignores it; a probe puts the URL back if it
 * does not), and AWS_SECRET_ACCESS_KEY is set when unset (without an access key id the SDK never
 * uses it). TEMPORAL_API_KEY and the alert webhook would change behaviour (TLS, alerts sent), so
 * test/security/secrets.test.ts plants those in the processes it runs.
 */
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { isAlive } from '../../scripts/provision/process';
import { testAdminUrl } from '../../scripts/provision/stack';
import {
  findLeaks,
  forgetSecret,
  LOG_DIR,
  LOGS_ROOT,
  registerSecret,
  SENTINELS,
} from '../helpers/secrets';
import { RUN_DIR } from '../helpers/services';

// Logs of earlier runs go; those of a run still going (another mocha process) stay.
for (const name of existing(LOGS_ROOT)) {
  const pid = Number(/^run-(\d+)$/.exec(name)?.[1]);
  if (!Number.isInteger(pid) || pid === process.pid || !isAlive(pid)) {
    rmSync(path.join(LOGS_ROOT, name), { recursive: true, force: true });
  }
}
mkdirSync(LOG_DIR, { recursive: true });

// Everything this process writes (mocha's report, in-process logs) goes to mocha.log as well.
let mochaLog: number | undefined = openSync(path.join(LOG_DIR, 'mocha.log'), 'a');
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    try {
      if (mochaLog !== undefined) {
        writeSync(mochaLog, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      }
    } catch {
      // A full disk must not stop the report itself.
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

// The test database: the configured password, or a sentinel one on a password-less URL.
const configuredUrl = process.env.PARCELWATCH_TEST_DATABASE_URL;
const adminUrl = new URL(testAdminUrl());
let planted: string | undefined;
if (adminUrl.password) {
  registerSecret('PARCELWATCH_TEST_DATABASE_URL password', decodeURIComponent(adminUrl.password));
} else {
  adminUrl.password = SENTINELS.databasePassword;
  planted = adminUrl.toString();
  process.env.PARCELWATCH_TEST_DATABASE_URL = planted;
  registerSecret('test database password (sentinel)', SENTINELS.databasePassword);
}
if (!process.env.AWS_SECRET_ACCESS_KEY) {
  process.env.AWS_SECRET_ACCESS_KEY = SENTINELS.awsSecretAccessKey;
}
for (const name of [
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'PGPASSWORD',
  'PARCELWATCH_ALERT_WEBHOOK_URL',
]) {
  registerSecret(name, process.env[name]);
}

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    if (!planted) return;
    // A server that checks passwords would refuse the sentinel: then the URL stays as configured.
    const client = new Client({ connectionString: planted, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
    } catch (error) {
      if (configuredUrl === undefined) delete process.env.PARCELWATCH_TEST_DATABASE_URL;
      else process.env.PARCELWATCH_TEST_DATABASE_URL = configuredUrl;
      forgetSecret(SENTINELS.databasePassword);
      console.warn(
        `secret leak check: the test database refused a sentinel password (${(error as Error).message}); its URL is not checked`,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  },

  afterAll(): void {
    // Closed before the scan (and no longer written: the descriptor may be reused).
    if (mochaLog !== undefined) closeSync(mochaLog);
    mochaLog = undefined;
    const leaks = findLeaks([LOG_DIR, RUN_DIR]);
    if (leaks.length === 0) return;
    const lines = leaks.slice(0, 20).map((l) => `  ${l.secret}: ${l.file}:${l.line}`);
    if (leaks.length > 20) lines.push(`  … and ${leaks.length - 20} more`);
    throw new Error(
      `${leaks.length} log line(s) of this run hold a secret value (the values are not repeated here):\n${lines.join('\n')}\nRedact them where they are logged (src/telemetry/redact.ts, redactUrl).`,
    );
  },
};

function existing(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
