import assert from 'node:assert/strict';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { freePort } from '../../scripts/provision/ports';
import { createActivities } from '../../src/activities';
import { activityDeps } from '../../src/activities/deps';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/store/db/database';
import { readMigrations } from '../../src/store/db/migrate';
import { createWorkers } from '../../src/workers/worker';
import { runCli } from '../helpers/cli';
import { testDatabase, testTemporal } from '../helpers/services';
import { ensureTestRuntime, uniqueTaskQueue, workflowBundle } from '../helpers/workers';

describe('parcelwatch CLI: configuration, database and readiness', function () {
  this.timeout(180_000);
  let SHIPPED: string[] = [];
  before(async () => {
    SHIPPED = (await readMigrations()).map((m) => m.tag);
  });

  it('fails fast with exit code 2 on an unknown URL scheme, naming the variable', async () => {
    const result = await runCli(['db', 'status'], { DATALAKE_URL: 'ftp://files/lake' });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /DATALAKE_URL=ftp:\/\/files\/lake has an unsupported scheme "ftp:"; use file:\/\/ or s3:\/\//,
    );
  });

  it('fails with exit code 3 when the database is unreachable, naming DATABASE_URL and the fix', async () => {
    const port = await freePort();
    const result = await runCli(['db', 'status'], {
      DATABASE_URL: `postgres://app:secret@127.0.0.1:${port}/agri`,
    });
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      new RegExp(
        `DATABASE_URL=postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/agri is unreachable \\(ECONNREFUSED\\); start PostgreSQL`,
      ),
    );
    assert.doesNotMatch(result.stderr, /secret/);
  });

  it('says the embedded database is not running when DATABASE_URL is unset', async () => {
    const port = await freePort();
    const result = await runCli(['db', 'status'], { PARCELWATCH_PG_PORT: String(port) });
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /DATABASE_URL is not set, so the embedded demo database .* does not answer; start it with `npm run demo`/,
    );
  });

  it('migrates a new schema, then reports it up to date and its status', async () => {
    const db = await testDatabase();
    const env = { DATABASE_URL: db.url, PARCELWATCH_DB_SCHEMA: 'cli_env' };
    const first = await runCli(['db', 'migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`schema cli_env: applied ${SHIPPED.join(', ')}`));
    const second = await runCli(['db', 'migrate'], env);
    assert.match(
      second.stdout,
      new RegExp(`schema cli_env: up to date \\(${SHIPPED.length} migrations\\), nothing to do`),
    );
    const status = await runCli(['db', 'status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout);
    assert.deepEqual(parsed.pending, []);
    assert.equal(parsed.partitioning, 'native');
  });

  it('runs the checkDatabase workflow through the project worker factory and the `check` command', async () => {
    ensureTestRuntime();
    const temporal = await testTemporal();
    const db = await testDatabase();
    const env = {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporal.address,
      PARCELWATCH_TASK_QUEUE_IO: uniqueTaskQueue('io'),
      PARCELWATCH_TASK_QUEUE_CPU: uniqueTaskQueue('cpu'),
    };
    const config = loadConfig(env);
    const database = await openDatabase(config.database);
    const connection = await NativeConnection.connect({ address: temporal.address });
    try {
      const workers = await createWorkers({
        config,
        connection,
        activities: createActivities(activityDeps(config, database)),
        workflowBundle: await workflowBundle(),
      });
      assert.deepEqual(
        workers.map((w: Worker) => w.options.taskQueue),
        [env.PARCELWATCH_TASK_QUEUE_IO, env.PARCELWATCH_TASK_QUEUE_CPU],
      );
      const check = runCli(['check'], env);
      await Promise.all(workers.map((worker) => worker.runUntil(check)));
      const result = await check;
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(
          `ready: schema parcelwatch, ${SHIPPED.length} migrations, PostGIS 3\\.\\d+\\.\\d+, observations native`,
        ),
      );
    } finally {
      await connection.close();
      await database.close();
    }
  });
});
