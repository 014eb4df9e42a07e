import { Client, Pool, type PoolConfig } from 'pg';
import { ConfigError, TransientError } from '../../core/errors';
import { databaseTls } from './tls';

/** DATABASE_URL with its password masked, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}

/** `"schema", <postgis schema>, public`: how every parcelwatch connection resolves names. */
export function searchPath(schema: string, extensionSchema = 'public'): string {
  const names = [schema, extensionSchema, 'public'].filter((n, i, all) => all.indexOf(n) === i);
  return names.map((n) => `"${n.replace(/"/g, '""')}"`).join(', ');
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
]);

/** Certificate checks that failed: the server's certificate is not one this client trusts. */
const TLS_ERRORS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Turns a failed connection into an error naming DATABASE_URL and the fix. */
export function connectionError(url: string, error: unknown): Error {
  const code = (error as { code?: string }).code ?? '';
  const detail = error instanceof Error ? error.message : String(error);
  const where = redactUrl(url);
  if (TLS_ERRORS.has(code)) {
    return new ConfigError(
      `DATABASE_URL=${where}: the server's TLS certificate is not trusted (${code}: ${detail}); give its CA with PGSSLROOTCERT (or sslrootcert= in the URL), connect by the host name the certificate names, or lower PGSSLMODE to require (encrypted, not verified)`,
      { code: 'DB_TLS', cause: error },
    );
  }
  if (/does not support SSL/i.test(detail)) {
    return new ConfigError(
      `DATABASE_URL=${where}: TLS was asked for (PGSSLMODE or sslmode=) but the server does not support it (${detail}); enable ssl on the server or set PGSSLMODE=disable on a trusted network`,
      { code: 'DB_TLS', cause: error },
    );
  }
  if (code === '28P01' || code === '28000') {
    return new ConfigError(
      `DATABASE_URL=${where}: authentication failed (${detail}); check the user and password`,
      { code: 'DB_AUTH', cause: error },
    );
  }
  if (code === '3D000') {
    return new ConfigError(
      `DATABASE_URL=${where}: ${detail}; create the database or point DATABASE_URL at an existing one`,
      { code: 'DB_MISSING', cause: error },
    );
  }
  if (CONNECTION_ERRORS.has(code)) {
    return new TransientError(
      `DATABASE_URL=${where} is unreachable (${code}); start PostgreSQL 15+ with PostGIS 3 there, or set DATABASE_URL to one that runs (unset it to use the embedded demo database started by \`npm run demo\`)`,
      { code: 'DB_UNREACHABLE', cause: error },
    );
  }
  return error instanceof Error ? error : new Error(detail);
}

/** Opens one client, mapping connection failures to clear errors. */
export async function connectClient(
  url: string,
  connectionTimeoutMillis = 10_000,
): Promise<Client> {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis,
    ssl: databaseTls(url),
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectionError(url, error);
  }
  return client;
}

export interface PoolOptions {
  url: string;
  schema: string;
  max?: number;
  /** Schema holding PostGIS when it is not `public` (managed databases often use `extensions`). */
  extensionSchema?: string;
  applicationName?: string;
}

/**
 * A pg pool whose every connection sees the environment's schema first, through the startup
 * `options` (the embedded PGlite server ignores them and sets the path on its one session instead).
 */
export function createPool(options: PoolOptions): Pool {
  const config: PoolConfig = {
    connectionString: options.url,
    ssl: databaseTls(options.url),
    max: options.max ?? 10,
    connectionTimeoutMillis: 10_000,
    application_name: options.applicationName ?? 'parcelwatch',
    options: `-c search_path=${searchPath(options.schema, options.extensionSchema).replace(/ /g, '')}`,
  };
  const pool = new Pool(config);
  return pool;
}

/** Checks that the pool reaches the database, with a clear error otherwise. */
export async function assertReachable(pool: Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    throw connectionError(url, error);
  }
}
