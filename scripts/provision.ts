/**
 * Provisioning of the local services, idempotent:
 *   tsx scripts/provision.ts up --for test   binaries, PostgreSQL + PostGIS and GDAL for the test suite
 *   tsx scripts/provision.ts up --for demo   the demo stack: embedded PostgreSQL, Temporal dev server + UI
 *   tsx scripts/provision.ts down --for demo stops what `up --for demo` (and the demo) left running
 *   tsx scripts/provision.ts status          what runs
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { profileStatus, provisionDemo, provisionForTests, stopProfile } from './provision/stack';

const log = (message: string) => console.log(`[provision] ${message}`);

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { for: { type: 'string', default: 'demo' } },
  });
  const [command = 'status'] = positionals;
  const profile = values.for;
  if (profile !== 'demo' && profile !== 'test')
    throw new Error(`--for ${profile}: use demo or test`);
  const config = loadConfig();

  if (command === 'up' && profile === 'test') {
    const changed = await provisionForTests(log);
    log(
      changed.length
        ? `installed: ${changed.join(', ')}`
        : 'everything was already in place — nothing to do',
    );
  } else if (command === 'up') {
    const stack = await provisionDemo(config, process.env, log);
    log(
      stack.started.length
        ? `started: ${stack.started.join(', ')}`
        : 'everything was already up — nothing to do',
    );
  } else if (command === 'down') {
    await stopProfile(config.home, profile, log);
  } else if (command === 'status') {
    for (const p of ['demo', 'test']) {
      for (const { name, pid } of profileStatus(config.home, p)) {
        if (pid !== undefined) log(`${p}/${name}: running (pid ${pid})`);
      }
    }
  } else {
    throw new Error(`unknown command ${command}; use up, down or status`);
  }
}

main().catch((error) => {
  console.error(`[provision] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
