import assert from 'node:assert/strict';
import { loadConfig } from '../src/config';
import { ConfigError } from '../src/core/errors';
import { createLogger } from '../src/telemetry/logger';
import { readOtelSettings } from '../src/telemetry/otel-env';

const cwd = '/srv/app';

describe('PARCELWATCH_ENV', () => {
  it('is dev when unset, with the historical names (an existing stack is unchanged)', () => {
    const config = loadConfig({}, cwd);
    assert.equal(config.environment, 'dev');
    assert.equal(config.database.schema, 'parcelwatch');
    assert.equal(config.temporal.namespace, 'default');
    assert.deepEqual(config.temporal.taskQueues, { io: 'parcelwatch-io', cpu: 'parcelwatch-cpu' });
    assert.equal(config.pipeline.scheduleId, 'parcelwatch-weekly');
    assert.equal(config.retention.scheduleId, 'parcelwatch-purge');
    assert.equal(
      config.datalake.kind === 'file' && config.datalake.root,
      '/srv/app/.parcelwatch/datalake',
    );
  });

  it('derives every separating default from staging or prod, so one variable sets an environment apart', () => {
    const staging = loadConfig({ PARCELWATCH_ENV: 'staging' }, cwd);
    const prod = loadConfig({ PARCELWATCH_ENV: 'PROD' }, cwd);
    assert.equal(staging.environment, 'staging');
    assert.equal(prod.environment, 'prod');
    assert.equal(staging.database.schema, 'parcelwatch_staging');
    assert.equal(staging.temporal.namespace, 'parcelwatch-staging');
    assert.deepEqual(staging.temporal.taskQueues, {
      io: 'parcelwatch-staging-io',
      cpu: 'parcelwatch-staging-cpu',
    });
    assert.equal(staging.pipeline.scheduleId, 'parcelwatch-staging-weekly');
    assert.equal(staging.retention.scheduleId, 'parcelwatch-staging-purge');
    assert.equal(
      staging.datalake.kind === 'file' && staging.datalake.root,
      '/srv/app/.parcelwatch/datalake-staging',
    );
    const dev = loadConfig({}, cwd);
    for (const pick of [
      (c: typeof dev) => c.database.schema,
      (c: typeof dev) => c.temporal.namespace,
      (c: typeof dev) => c.temporal.taskQueues.io,
      (c: typeof dev) => c.temporal.taskQueues.cpu,
      (c: typeof dev) => c.pipeline.scheduleId,
      (c: typeof dev) => c.retention.scheduleId,
      (c: typeof dev) => JSON.stringify(c.datalake),
    ]) {
      assert.equal(new Set([dev, staging, prod].map(pick)).size, 3, 'three distinct values');
    }
  });

  it('lets every explicit variable win over the preset', () => {
    const config = loadConfig(
      {
        PARCELWATCH_ENV: 'prod',
        PARCELWATCH_DB_SCHEMA: 'pw',
        TEMPORAL_NAMESPACE: 'pw.acct42',
        PARCELWATCH_TASK_QUEUE_IO: 'q-io',
        PARCELWATCH_TASK_QUEUE_CPU: 'q-cpu',
        PARCELWATCH_SCHEDULE_ID: 'weekly',
        PARCELWATCH_PURGE_SCHEDULE_ID: 'purge',
        DATALAKE_URL: 's3://lake/prod',
      },
      cwd,
    );
    assert.equal(config.environment, 'prod');
    assert.equal(config.database.schema, 'pw');
    assert.equal(config.temporal.namespace, 'pw.acct42');
    assert.deepEqual(config.temporal.taskQueues, { io: 'q-io', cpu: 'q-cpu' });
    assert.equal(config.pipeline.scheduleId, 'weekly');
    assert.equal(config.retention.scheduleId, 'purge');
    assert.equal(config.datalake.kind === 's3' && config.datalake.prefix, 'prod');
  });

  it('refuses an unknown environment, naming the accepted ones', () => {
    assert.throws(
      () => loadConfig({ PARCELWATCH_ENV: 'qa' }, cwd),
      (error: unknown) =>
        error instanceof ConfigError &&
        /PARCELWATCH_ENV=qa is not an environment; use one of dev, staging, prod/.test(
          error.message,
        ),
    );
  });

  it('labels every log line and the telemetry resource with the environment', () => {
    const lines: string[] = [];
    createLogger({ env: { PARCELWATCH_ENV: 'staging' }, write: (l) => lines.push(l) }).info('x');
    createLogger({ env: {}, write: (l) => lines.push(l) }).info('y');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)['service.environment']),
      ['staging', 'dev'],
    );
    const otel = (env: Record<string, string>) =>
      readOtelSettings(env, { serviceName: 'parcelwatch' }).resourceAttributes;
    assert.equal(otel({ PARCELWATCH_ENV: 'prod' })['deployment.environment.name'], 'prod');
    // The operator's own attribute wins.
    const given = otel({
      PARCELWATCH_ENV: 'prod',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=eu-prod',
    });
    assert.equal(given['deployment.environment.name'], 'eu-prod');
  });
});
