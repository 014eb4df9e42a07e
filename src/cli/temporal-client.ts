import type { Client } from '@temporalio/client';
import type { Config } from '../config';

/** The service name of the CLI's spans, unless OTEL_SERVICE_NAME says otherwise. */
export const CLI_SERVICE_NAME = 'parcelwatch-cli';

/**
 * Connects a Temporal client for one command and closes it afterwards (loaded on use: it is slow to
 * load). When an OTLP endpoint is configured, the command's client calls are traced, so a run started
 * by hand is one trace from `parcelwatch run` down to the activities.
 */
export async function withTemporal<T>(
  config: Config,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const telemetry = cliTelemetry(process.env);
  try {
    const { connectClient } =
      require('../temporal/connection') as typeof import('../temporal/connection');
    const client = await connectClient(config.temporal);
    try {
      return await fn(client);
    } finally {
      await client.connection.close();
    }
  } finally {
    // The spans of a short command are exported before it exits.
    await telemetry?.shutdown();
  }
}

/** Traces only (a command lives too briefly for metrics), when an OTLP endpoint is set. */
function cliTelemetry(env: NodeJS.ProcessEnv) {
  const configured = Object.keys(env).some(
    (name) =>
      name === 'OTEL_EXPORTER_OTLP_ENDPOINT' || name === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  );
  if (!configured) return undefined;
  const { setupTelemetry } = require('../telemetry/setup') as typeof import('../telemetry/setup');
  return setupTelemetry(
    { ...env, OTEL_METRICS_EXPORTER: 'none' },
    {
      defaultServiceName: CLI_SERVICE_NAME,
    },
  );
}
