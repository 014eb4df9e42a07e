import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { Config } from '../config';

/** Where the workflow code lives; the worker bundles it for the sandbox at start-up. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Which activities run on which queue: I/O-bound ones beside the workflows, CPU-bound apart. */
export const IO_ACTIVITIES = [
  'checkSchema',
  'runSettings',
  'planGroups',
  'searchScenes',
  'planScene',
  'downloadScene',
  'recordSceneOutcome',
  'prepareTables',
  'recordRun',
  'computeRunKpis',
  'sendAlert',
] as const satisfies ReadonlyArray<keyof Activities>;

export interface WorkerSetOptions {
  config: Config;
  connection: NativeConnection;
  activities: Activities;
  /** A pre-built bundle (tests bundle once per run); default: bundle from WORKFLOWS_PATH. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Which queues this process serves. */
  queues?: Array<'io' | 'cpu'>;
}

/**
 * The workers of one process: the I/O queue runs workflows and I/O activities, the CPU queue runs
 * CPU-bound activities, each sized for its work. Both stop gracefully on SIGINT/SIGTERM (the
 * Temporal runtime's default shutdown signals): in-flight activities get the grace time to finish.
 */
export async function createWorkers(options: WorkerSetOptions): Promise<Worker[]> {
  const { config, connection, activities } = options;
  const queues = options.queues ?? ['io', 'cpu'];
  const pick = (names: readonly string[]) =>
    Object.fromEntries(Object.entries(activities).filter(([name]) => names.includes(name)));
  const workers: Worker[] = [];
  const common = {
    connection,
    namespace: config.temporal.namespace,
    shutdownGraceTime: '30 seconds',
  } as const;
  if (queues.includes('io')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.taskQueues.io,
        ...(options.workflowBundle
          ? { workflowBundle: options.workflowBundle }
          : { workflowsPath: WORKFLOWS_PATH }),
        activities: pick(IO_ACTIVITIES),
      }),
    );
  }
  const cpuActivities = pick(
    Object.keys(activities).filter((name) => !(IO_ACTIVITIES as readonly string[]).includes(name)),
  );
  // A queue without activities yet has nothing to poll.
  if (queues.includes('cpu') && Object.keys(cpuActivities).length > 0) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.taskQueues.cpu,
        activities: cpuActivities,
        // CPU work runs in worker threads; a couple of concurrent activities keep both cores busy.
        maxConcurrentActivityTaskExecutions: 2,
      }),
    );
  }
  return workers;
}
