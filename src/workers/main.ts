import { IllegalStateError } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { createActivities } from '../activities';
import { activityDeps } from '../activities/deps';
import { type Config, loadConfig } from '../config';
import { openCheckedDatalake } from '../store/datalake/open-datalake';
import { openDatabase } from '../store/db/database';
import { createLogger, type JsonLogger } from '../telemetry/logger';
import { setupTelemetry, type Telemetry } from '../telemetry/setup';
import { temporalRuntimeOptions, withoutNoneCompression } from '../telemetry/temporal';
import { connectWorker } from '../temporal/connection';
import { createWorkers } from './worker';

/** `service.name` of worker processes when OTEL_SERVICE_NAME does not say. */
export const WORKER_SERVICE_NAME = 'parcelwatch-worker';

/**
 * Worker process entry point: connects with the validated configuration, serves the I/O and CPU
 * task queues, and on SIGINT/SIGTERM lets in-flight work finish before closing the database.
 */
export async function runWorkerProcess(queues: Array<'io' | 'cpu'> = ['io', 'cpu']): Promise<void> {
  const config = loadConfig();
  const log = createLogger({
    service: process.env.OTEL_SERVICE_NAME?.trim() || WORKER_SERVICE_NAME,
  });
  const telemetry = setupTelemetry(process.env, {
    defaultServiceName: WORKER_SERVICE_NAME,
    logger: log,
  });
  try {
    installRuntime(log, telemetry);
    await serve(queues, config, log);
  } finally {
    // Spans and metrics of the last moments still reach the collector.
    await telemetry.shutdown();
  }
}

async function serve(queues: Array<'io' | 'cpu'>, config: Config, log: JsonLogger): Promise<void> {
  const db = await openDatabase(config.database, 'parcelwatch-worker');
  try {
    const connection = await connectWorker(config.temporal);
    try {
      // Bad S3 credentials or a missing bucket stop the worker here, not in the first run.
      const datalake = await openCheckedDatalake(config.datalake);
      const activities = createActivities(activityDeps(config, db, datalake));
      const workers = await createWorkers({ config, connection, activities, queues });
      log.info(
        `parcelwatch worker: ${queues.map((q) => config.temporal.taskQueues[q]).join(' + ')} on ${config.temporal.address} (${config.temporal.namespace}), schema ${config.database.schema}, environment ${config.environment}`,
      );
      await Promise.all(workers.map((worker) => worker.run()));
    } finally {
      // After a failed start a half-built worker may still hold the connection; the first error matters.
      await connection.close().catch(() => undefined);
    }
  } finally {
    await db.close();
  }
}

/**
 * The Temporal runtime with our JSON logs (worker, activity, workflow and core lines) and, when a
 * metrics endpoint is configured, its own metrics over OTLP. It can be installed once per process.
 */
function installRuntime(log: JsonLogger, telemetry: Telemetry): void {
  try {
    withoutNoneCompression();
    Runtime.install(temporalRuntimeOptions(log, telemetry));
  } catch (error) {
    if (!(error instanceof IllegalStateError)) throw error;
    log.warn(
      'the Temporal runtime was already installed: its logger and metrics stay as they were',
    );
  }
  const { traces, metrics } = telemetry.settings;
  log.info(
    telemetry.enabled
      ? `OpenTelemetry on: traces ${traces ? `to ${traces.url}` : 'off'}, metrics ${metrics ? `(ours and Temporal's) to ${metrics.url} every ${metrics.intervalMs} ms` : 'off'}`
      : 'OpenTelemetry off (no OTEL_EXPORTER_OTLP_ENDPOINT, or OTEL_SDK_DISABLED=true)',
  );
}
