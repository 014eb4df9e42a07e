/**
 * The main job on embedded defaults: brings up the local stack (embedded PostgreSQL with PostGIS,
 * Temporal dev server with its Web UI), starts a worker, runs the pipeline's readiness workflow,
 * and prints where to look next. Everything stays up for exploring; `npm run stack:down` stops it.
 * Options: --down (stop the stack at the end, for CI smoke tests).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import type { SchemaStatus } from '../src/store/db/status';
import { connectClient } from '../src/temporal/connection';
import { runDir } from './provision/paths';
import { isAlive, startDaemon, stopDaemon, waitUntil } from './provision/process';
import { provisionDemo, stopProfile } from './provision/stack';

const log = (message: string) => console.log(`[demo] ${message}`);
const REPO = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { down: { type: 'boolean', default: false } } });
  const config = loadConfig();
  const stack = await provisionDemo(config, process.env, log);
  const dir = runDir(config.home, 'demo');

  // Restart the worker on every demo run so it always runs the code of this checkout.
  await stopDaemon(path.join(dir, 'worker.pid'));
  const env = {
    ...process.env,
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
  };
  const workerLog = path.join(dir, 'worker.log');
  const workerPid = startDaemon({
    name: 'worker',
    command: process.execPath,
    args: ['--require', 'tsx/cjs', path.join(REPO, 'src/cli/main.ts'), 'worker'],
    cwd: REPO,
    env,
    logFile: workerLog,
    pidFile: path.join(dir, 'worker.pid'),
  });
  log(`worker started (pid ${workerPid}), log ${workerLog}`);

  const client = await connectClient({ ...config.temporal, address: stack.temporalAddress });
  let status: SchemaStatus | undefined;
  try {
    await waitUntil(
      'worker',
      async () => {
        status = await client.workflow.execute('checkDatabase', {
          taskQueue: config.temporal.taskQueues.io,
          workflowId: `demo-check-database-${Date.now()}`,
          workflowRunTimeout: '20 seconds',
          args: [],
        });
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 1000, alive: () => isAlive(workerPid), logFile: workerLog },
    );
  } finally {
    await client.connection.close();
  }
  if (!status) throw new Error('the readiness workflow returned nothing');
  log(
    `checkDatabase workflow completed: schema ${status.schema}, ${status.applied.length} migrations, PostGIS ${status.postgisVersion}, observations ${status.partitioning}`,
  );

  console.log(`
parcelwatch demo is up.
  Temporal Web UI   ${stack.temporalUiUrl ?? '(external server)'}   (workflow "checkDatabase" is there)
  Temporal address  ${stack.temporalAddress}
  Database          ${stack.databaseUrl}   (schema ${config.database.schema}; psql "${stack.databaseUrl}")
  Logs              ${dir}
Next:
  npx parcelwatch db status
  npx parcelwatch check
  npm run stack:down      # stop the demo services
`);
  if (values.down) await stopProfile(config.home, 'demo', log);
}

main().catch((error) => {
  console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
