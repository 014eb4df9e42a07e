import { createActivities } from '../activities';
import { activityDeps } from '../activities/deps';
import { loadConfig } from '../config';
import { openDatabase } from '../store/db/database';
import { connectWorker } from '../temporal/connection';
import { createWorkers } from './worker';

/**
 * Worker process entry point: connects with the validated configuration, serves the I/O and CPU
 * task queues, and on SIGINT/SIGTERM lets in-flight work finish before closing the database.
 */
export async function runWorkerProcess(queues: Array<'io' | 'cpu'> = ['io', 'cpu']): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config.database, 'parcelwatch-worker');
  try {
    const connection = await connectWorker(config.temporal);
    try {
      const activities = createActivities(activityDeps(config, db));
      const workers = await createWorkers({ config, connection, activities, queues });
      console.log(
        `parcelwatch worker: ${queues.map((q) => config.temporal.taskQueues[q]).join(' + ')} on ${config.temporal.address} (${config.temporal.namespace}), schema ${config.database.schema}`,
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
