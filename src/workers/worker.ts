import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { Config } from '../config';
import { currentTelemetry } from '../telemetry/current';
import type { Telemetry } from '../telemetry/setup';
import { workerTelemetryOptions } from '../telemetry/temporal';

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
  'planPurge',
  'archiveObservations',
  'deleteArchivedObservations',
  'purgeRasters',
] as const satisfies ReadonlyArray<keyof Activities>;

export interface WorkerSetOptions {
  config: Config;
  connection: NativeConnection;
  activities: Activities;
  /** A pre-built bundle (tests bundle once per run); default: bundle from WORKFLOWS_PATH. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Which queues this process serves. */
  queues?: Array<'io' | 'cpu'>;
  /**
   * Tracing of workflows and activities (a pre-built bundle must then include
   * WORKFLOW_INTERCEPTOR_MODULES). Default: the process's telemetry, if set up.
   */
  telemetry?: Telemetry;
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
  // Tracing on: activity interceptors and the workflow-span sink on both workers.
  const traced = workerTelemetryOptions(options.telemetry ?? currentTelemetry());
  const common = {
    connection,
    namespace: config.temporal.namespace,
    shutdownGraceTime: '30 seconds',
    ...(traced.sinks ? { sinks: traced.sinks } : {}),
    ...(traced.interceptors ? { interceptors: { activity: traced.interceptors.activity } } : {}),
  } as const;
  if (queues.includes('io')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.taskQueues.io,
        ...(options.workflowBundle
          ? { workflowBundle: options.workflowBundle }
          : {
              workflowsPath: WORKFLOWS_PATH,
              // Bundled with the workflow code: only when bundling here.
              ...(traced.interceptors ? { interceptors: traced.interceptors } : {}),
            }),
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
