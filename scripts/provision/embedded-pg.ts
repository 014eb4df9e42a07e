import path from 'node:path';
import { Client } from 'pg';
import { assertPortFree } from './ports';
import { isAlive, runningPid, startDaemon, waitUntil } from './process';

export interface EmbeddedPgOptions {
  dataDir: string;
  port: number;
  logFile: string;
  pidFile: string;
  schema: string;
}

export function embeddedPgUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

export async function pgAnswers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Starts the embedded PGlite server (or reuses the running one) and waits until it answers. */
export async function startEmbeddedPg(
  options: EmbeddedPgOptions,
): Promise<{ url: string; pid: number; started: boolean }> {
  const url = embeddedPgUrl(options.port);
  const existing = runningPid(options.pidFile);
  if (existing !== undefined && (await pgAnswers(url)))
    return { url, pid: existing, started: false };
  await assertPortFree(options.port, 'PARCELWATCH_PG_PORT', 'Embedded PostgreSQL');
  const script = path.resolve(__dirname, '..', 'embedded-postgres.ts');
  const pid = startDaemon({
    name: 'embedded-postgres',
    command: process.execPath,
    args: [
      '--require',
      'tsx/cjs',
      script,
      '--data',
      options.dataDir,
      '--port',
      String(options.port),
      '--schema',
      options.schema,
    ],
    cwd: path.resolve(__dirname, '..', '..'),
    logFile: options.logFile,
    pidFile: options.pidFile,
  });
  await waitUntil('Embedded PostgreSQL', () => pgAnswers(url), {
    timeoutMs: 120_000,
    alive: () => isAlive(pid),
    logFile: options.logFile,
  });
  return { url, pid, started: true };
}
