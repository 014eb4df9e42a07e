import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../../core/errors';
import type { EnvRecord } from '../../env';

/**
 * TLS to PostgreSQL, set the way DBAs already know from libpq: `PGSSLMODE`, `PGSSLROOTCERT`,
 * `PGSSLCERT`, `PGSSLKEY` (node-postgres itself reads only a coarse PGSSLMODE, and no certificate
 * file). When DATABASE_URL carries its own `sslmode`/`sslrootcert`/`sslcert`/`sslkey` parameters,
 * node-postgres applies those and these variables are ignored.
 *
 * Modes, as in libpq: `disable` (plain TCP), `require` (encrypted; the server certificate is
 * checked only when PGSSLROOTCERT is given, like libpq), `verify-ca` (chain checked against
 * PGSSLROOTCERT, any host name), `verify-full` (chain and host name checked; the system CAs when
 * no PGSSLROOTCERT). `prefer` and `allow` would fall back to plain TCP, which node-postgres cannot
 * do: they are refused rather than silently made stricter or weaker.
 */

export type DatabaseTls = false | ConnectionOptions | undefined;

const MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
type Mode = (typeof MODES)[number];

/** URL parameters with which node-postgres configures TLS itself. */
const URL_TLS_PARAMETERS = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey'];

/**
 * The `ssl` option of a pg pool or client for `url`: undefined when the URL configures TLS itself
 * or nothing asks for TLS (then node-postgres's own defaults apply), false for `disable`, the
 * options of a TLS connection otherwise. Certificate files are read here, so a missing one fails
 * at start-up naming its variable.
 */
export function databaseTls(url: string, env: EnvRecord = process.env): DatabaseTls {
  if (urlConfiguresTls(url)) return undefined;
  const get = (name: string) => env[name]?.trim() || undefined;
  const rootCert = get('PGSSLROOTCERT');
  const cert = get('PGSSLCERT');
  const key = get('PGSSLKEY');
  const given = get('PGSSLMODE');
  if (given === undefined && !rootCert && !cert && !key) return undefined;
  const mode = parseMode(given ?? (rootCert ? 'verify-full' : 'require'));
  if (mode === 'disable') return false;
  if (mode === 'verify-ca' && !rootCert) {
    throw new ConfigError(
      'PGSSLMODE=verify-ca needs PGSSLROOTCERT, the CA certificate (PEM) that signed the server certificate; or use verify-full to check against the system CAs',
      { code: 'DB_TLS_INVALID' },
    );
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      'PGSSLCERT and PGSSLKEY go together: a client certificate needs its private key (PEM files)',
      { code: 'DB_TLS_INVALID' },
    );
  }
  const options: ConnectionOptions = {
    // libpq's require checks nothing without a root certificate, and the chain with one.
    rejectUnauthorized: mode !== 'require' || rootCert !== undefined,
  };
  if (rootCert) options.ca = pem('PGSSLROOTCERT', rootCert);
  if (cert && key) {
    options.cert = pem('PGSSLCERT', cert);
    options.key = pem('PGSSLKEY', key);
  }
  // Any host name: the chain alone is checked (verify-ca; require with a root certificate).
  if (mode !== 'verify-full') options.checkServerIdentity = () => undefined;
  return options;
}

/** Whether DATABASE_URL holds TLS parameters of its own. */
function urlConfiguresTls(url: string): boolean {
  try {
    const params = new URL(url).searchParams;
    return URL_TLS_PARAMETERS.some((name) => params.has(name));
  } catch {
    return false;
  }
}

function parseMode(value: string): Mode {
  const mode = value.toLowerCase() as Mode;
  if (MODES.includes(mode)) return mode;
  const why =
    value === 'prefer' || value === 'allow'
      ? ` (it falls back to an unencrypted connection, which node-postgres does not do; choose require to encrypt, or disable)`
      : '';
  throw new ConfigError(
    `PGSSLMODE=${value} is not supported${why}; use one of ${MODES.join(', ')}`,
    {
      code: 'DB_TLS_INVALID',
    },
  );
}

function pem(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${variable}=${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); point it at a PEM file this process may read`,
      { code: 'DB_TLS_INVALID', cause: error },
    );
  }
}
