import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalConfig } from '../config';
import { ConfigError } from '../core/errors';
import type { EnvRecord } from '../env';
import { currentTelemetry } from '../telemetry/current';
import { clientTelemetryInterceptors } from '../telemetry/temporal';

/**
 * Connection options following `@temporalio/envconfig` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_TLS*, TEMPORAL_API_KEY, TEMPORAL_GRPC_META_*, or a TOML profile), with our validated
 * address as the default so the local dev server works with no settings at all.
 */
export function connectOptions(
  config: TemporalConfig,
  env: EnvRecord = process.env,
): NativeConnectionOptions {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars });
  } catch (error) {
    // envconfig reads the certificate files and says only "ENOENT …, open '<file>'".
    throw new ConfigError(
      `Temporal connection settings cannot be loaded (${(error as Error).message}); check TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH and TEMPORAL_TLS_SERVER_CA_CERT_PATH name readable PEM files (or use the *_DATA variables), and TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE`,
      { code: 'TEMPORAL_TLS_INVALID', cause: error },
    );
  }
  return {
    ...loaded.connectionOptions,
    address: loaded.connectionOptions.address ?? config.address,
  };
}

function unreachable(config: TemporalConfig, error: unknown): Error {
  return new ConfigError(
    `TEMPORAL_ADDRESS=${config.address} does not answer (${(error as Error).message}); start the dev server with \`npm run demo\` or \`temporal server start-dev\`, or set TEMPORAL_ADDRESS (and TEMPORAL_TLS*/TEMPORAL_API_KEY for Temporal Cloud)`,
    { code: 'TEMPORAL_UNREACHABLE', cause: error },
  );
}

/** A worker-side connection, with a clear error when the server does not answer. */
export async function connectWorker(
  config: TemporalConfig,
  env?: EnvRecord,
): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(connectOptions(config, env));
  } catch (error) {
    throw unreachable(config, error);
  }
}

/**
 * A client for starting workflows and schedules, with a clear error when the server does not
 * answer. With tracing on (OTEL_*), each workflow it starts continues the caller's trace.
 */
export async function connectClient(config: TemporalConfig, env?: EnvRecord): Promise<Client> {
  const options = connectOptions(config, env) as ConnectionOptions;
  try {
    const connection = await Connection.connect({ ...options, connectTimeout: 5000 });
    const interceptors = clientTelemetryInterceptors(currentTelemetry());
    return new Client({
      connection,
      namespace: config.namespace,
      ...(interceptors && { interceptors }),
    });
  } catch (error) {
    throw unreachable(config, error);
  }
}
