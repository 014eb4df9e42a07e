/**
 * The demo's HTTP API and web page: a read/write API key kept in `<home>/api-key` (created again
 * only when the saved one no longer opens the database, e.g. after a reset), and `parcelwatch api
 * serve` started as a daemon of the demo profile so `npm run stack:down` stops it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../src/config';
import { checkApiKey, createApiKey } from '../src/store/db/api-keys';
import type { Database } from '../src/store/db/database';
import { DEFAULT_OWNER_TEAM } from '../src/store/db/parcels-repo';
import { assertPortFree } from './provision/ports';
import { isAlive, startDaemon, stopDaemon, waitUntil } from './provision/process';

const REPO = path.resolve(__dirname, '..');

export interface DemoApi {
  url: string;
  key: string;
  keyFile: string;
  pid: number;
}

/** Who the demo's imports, watch changes, keys, teams and backfills are recorded as in the audit log. */
export const DEMO_ACTOR = 'demo';

/**
 * The saved demo key if it still works, else a new one (read and write). It belongs to the team
 * owning the demo's parcels (the default owner), since a key reads its own team's parcels only.
 */
export async function demoApiKey(
  db: Database,
  home: string,
): Promise<{ key: string; file: string }> {
  const file = path.join(home, 'api-key');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    const check = await checkApiKey(db, saved);
    if (check.status === 'valid' && check.key.team === DEFAULT_OWNER_TEAM)
      return { key: saved, file };
  }
  const { key } = await createApiKey(
    db,
    { name: 'demo', team: DEFAULT_OWNER_TEAM, scopes: ['read', 'write'] },
    { actor: DEMO_ACTOR },
  );
  // The key opens the data: readable by its owner only.
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return { key, file };
}

/** (Re)starts the API on the configured port with the demo's environment; waits for health. */
export async function startDemoApi(
  config: Config,
  env: NodeJS.ProcessEnv,
  dir: string,
  key: { key: string; file: string },
): Promise<DemoApi> {
  const pidFile = path.join(dir, 'api.pid');
  // Restarted on every run, like the worker, so it serves the code of this checkout.
  await stopDaemon(pidFile);
  await assertPortFree(config.api.port, 'PARCELWATCH_API_PORT', 'parcelwatch API');
  const logFile = path.join(dir, 'api.log');
  const pid = startDaemon({
    name: 'api',
    command: process.execPath,
    args: ['--require', 'tsx/cjs', path.join(REPO, 'src/cli/main.ts'), 'api', 'serve'],
    cwd: REPO,
    env,
    logFile,
    pidFile,
  });
  const url = `http://${config.api.host}:${config.api.port}`;
  await waitUntil('parcelwatch API', () => healthy(url), {
    timeoutMs: 30_000,
    alive: () => isAlive(pid),
    logFile,
  });
  return { url, key: key.key, keyFile: key.file, pid };
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/v1/health`)).ok;
  } catch {
    return false;
  }
}
