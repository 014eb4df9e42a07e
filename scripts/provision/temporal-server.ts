import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { assertPortFree, isListening } from './ports';
import { isAlive, runningPid, startDaemon, stopDaemon, waitUntil } from './process';

export interface TemporalDevServerOptions {
  binary: string;
  port: number;
  /** Web UI port; omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; omit for in-memory (tests). */
  dbFile?: string;
  namespaces?: string[];
  /** Custom search attributes to register, name → type (Keyword, Text, Int, …). */
  searchAttributes?: Record<string, string>;
  logFile: string;
  pidFile: string;
  /** Names the variables that set the ports, for the port-taken message. */
  portVariables?: { port: string; uiPort: string };
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string | undefined;
  pid: number;
  /** False when an already running server of ours was found and reused. */
  started: boolean;
}

/** True when a Temporal frontend at `address` answers its health check with SERVING. */
export async function temporalServing(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  if (!(await isListening(Number(port), host))) return false;
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    const response = await connection.healthService.check({});
    return response.status === 1; // SERVING
  } finally {
    await connection.close();
  }
}

/**
 * Starts `temporal server start-dev` as a background process (or finds the one this profile
 * started before) and waits until it serves. Idempotent: a running server is reused as is.
 */
export async function startTemporalDevServer(
  options: TemporalDevServerOptions,
): Promise<TemporalDevServer> {
  const address = `127.0.0.1:${options.port}`;
  const uiUrl = options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined;
  const existing = runningPid(options.pidFile);
  if (existing !== undefined && (await temporalServing(address).catch(() => false))) {
    return { address, uiUrl, pid: existing, started: false };
  }
  if (existing !== undefined) await stopDaemon(options.pidFile);

  const vars = options.portVariables ?? {
    port: 'PARCELWATCH_TEMPORAL_PORT',
    uiPort: 'PARCELWATCH_TEMPORAL_UI_PORT',
  };
  await assertPortFree(options.port, vars.port, 'Temporal dev server');
  if (options.uiPort) await assertPortFree(options.uiPort, vars.uiPort, 'Temporal Web UI');

  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--log-level',
    'warn',
  ];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const namespace of options.namespaces ?? []) args.push('--namespace', namespace);
  for (const [name, type] of Object.entries(options.searchAttributes ?? {})) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  const pid = startDaemon({
    name: 'temporal',
    command: options.binary,
    args,
    logFile: options.logFile,
    pidFile: options.pidFile,
  });
  await waitUntil('Temporal dev server', () => temporalServing(address), {
    timeoutMs: 90_000,
    alive: () => isAlive(pid),
    logFile: options.logFile,
  });
  if (uiUrl) {
    await waitUntil('Temporal Web UI', async () => (await fetch(uiUrl)).ok, {
      timeoutMs: 30_000,
      logFile: options.logFile,
    });
  }
  return { address, uiUrl, pid, started: true };
}

/** How long a namespace registered here keeps closed workflows (the dev server's own default). */
const NAMESPACE_RETENTION_MS = 24 * 3600 * 1000;
/** gRPC status codes the namespace calls answer with. */
const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

/**
 * Registers `namespace` on the Temporal server at `address` unless it exists (an environment of its
 * own: PARCELWATCH_ENV / TEMPORAL_NAMESPACE), then waits until the frontend serves it — a new
 * namespace reaches the frontend's cache a few seconds after registration. Returns whether it was
 * created. For servers we run (dev server); a real cluster's namespaces are an operator's call.
 */
export async function ensureNamespace(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const service = connection.workflowService;
    let created = false;
    try {
      await service.describeNamespace({ namespace });
    } catch (error) {
      if ((error as { code?: number }).code !== GRPC_NOT_FOUND) throw error;
      try {
        await service.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION_MS),
        });
        created = true;
      } catch (registerError) {
        if ((registerError as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw registerError;
      }
    }
    await waitUntil(
      `Temporal namespace ${namespace}`,
      async () => {
        await service.countWorkflowExecutions({ namespace, query: '' });
        return true;
      },
      { timeoutMs: 60_000 },
    );
    return created;
  } finally {
    await connection.close();
  }
}
