/**
 * Runs real Temporal workers against the test dev server: the workflows are bundled once per run,
 * each test gets its own task queue so tests never pick up each other's tasks.
 */
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/workers/worker';
import { testTemporal } from './services';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
let runtimeInstalled = false;

/** The workflow bundle of this run (webpack once, not per test). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  ensureTestRuntime();
  bundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: new DefaultLogger('ERROR'),
  });
  return bundle;
}

/**
 * Installs the Temporal runtime with a quiet logger (no bundler or expected-failure chatter in test reports); must run
 * before the first worker connection of the process.
 */
export function ensureTestRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

let queueCounter = 0;
/** A task queue name no other test uses. */
export function uniqueTaskQueue(prefix = 'test'): string {
  queueCounter += 1;
  return `${prefix}-${process.pid}-${queueCounter}-${Date.now()}`;
}

export interface WorkerContext {
  client: Client;
  taskQueue: string;
}

/**
 * Starts one worker with the given activities on a fresh task queue, runs `fn` while it polls,
 * then shuts the worker down.
 */
export async function withWorker<T>(
  activities: object,
  fn: (context: WorkerContext) => Promise<T>,
  options: { taskQueue?: string } = {},
): Promise<T> {
  ensureTestRuntime();
  const server = await testTemporal();
  const taskQueue = options.taskQueue ?? uniqueTaskQueue();
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  try {
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: server.namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
    });
    const client = new Client({ connection, namespace: server.namespace });
    return await worker.runUntil(fn({ client, taskQueue }));
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}
