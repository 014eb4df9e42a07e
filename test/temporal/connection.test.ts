import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/core/errors';
import { connectOptions } from '../../src/temporal/connection';

/**
 * Temporal connection settings come from @temporalio/envconfig: an API key (Temporal Cloud),
 * mutual TLS from PEM files or inline data, a server CA and name, or nothing (the local dev
 * server). These prove the variables reach the connection, and that a bad file is named.
 */
describe('Temporal connection options (TLS and API key)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-temporal-tls-'));
  const cert = path.join(dir, 'client.pem');
  const key = path.join(dir, 'client.key');
  const temporal = loadConfig({}).temporal;

  before(() => {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
        ...['-keyout', key, '-out', cert, '-subj', '/CN=worker'],
      ],
      { stdio: 'ignore' },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('connects in plain text to the configured address when nothing is set', () => {
    const options = connectOptions(temporal, {});
    assert.equal(options.address, temporal.address);
    assert.equal(options.tls, undefined);
    assert.equal(options.apiKey, undefined);
  });

  it('sends TEMPORAL_API_KEY over TLS, which an API key turns on by itself', () => {
    const options = connectOptions(temporal, {
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_API_KEY: 'tmprl-sentinel-key',
    });
    assert.equal(options.address, 'ns.acct.tmprl.cloud:7233');
    assert.equal(options.apiKey, 'tmprl-sentinel-key');
    assert.ok(options.tls, `TLS on: ${JSON.stringify(options.tls)}`);
  });

  it('presents a client certificate and trusts a server CA under a server name (mTLS)', () => {
    const options = connectOptions(temporal, {
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: cert,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const tls = options.tls as {
      clientCertPair?: { crt: Buffer; key: Buffer };
      serverRootCACertificate?: Buffer;
      serverNameOverride?: string;
    };
    assert.ok(tls.clientCertPair, 'a client certificate pair');
    assert.ok(Buffer.from(tls.clientCertPair.crt).equals(readFileSync(cert)));
    assert.ok(Buffer.from(tls.clientCertPair.key).equals(readFileSync(key)));
    assert.ok(Buffer.from(tls.serverRootCACertificate!).equals(readFileSync(cert)));
    assert.equal(tls.serverNameOverride, 'temporal.internal');
  });

  it('names the TLS variables when a certificate file cannot be read', () => {
    assert.throws(
      () =>
        connectOptions(temporal, {
          TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'missing.pem'),
          TEMPORAL_TLS_CLIENT_KEY_PATH: key,
        }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /Temporal connection settings cannot be loaded \(.*missing\.pem.*\); check TEMPORAL_TLS_CLIENT_CERT_PATH/.test(
          e.message,
        ),
    );
  });
});
