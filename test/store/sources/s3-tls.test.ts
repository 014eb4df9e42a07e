import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ConfigError } from '../../../src/core/errors';
import { createS3Client, s3TlsOptions } from '../../../src/store/sources/s3-source';

/**
 * An S3 endpoint over HTTPS whose certificate an in-house CA signed: trusted through AWS_CA_BUNDLE
 * (or `caBundle`), refused without it. The server is a real TLS server answering every request as
 * S3 does a refused one, which is enough to tell a finished handshake from a failed one.
 */
describe('S3 over HTTPS with a private CA (AWS_CA_BUNDLE)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-s3-tls-'));
  const caFile = path.join(dir, 'ca.pem');
  let server: Server;
  let endpoint: string;

  before(async () => {
    const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    const file = (name: string) => path.join(dir, name);
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      file('ca.key'),
      '-out',
      caFile,
      '-subj',
      '/CN=in-house CA',
    ]);
    openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file('s3.key'),
      '-out',
      file('s3.csr'),
      '-subj',
      '/CN=localhost',
    ]);
    writeFileSync(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    openssl([
      'x509',
      '-req',
      '-in',
      file('s3.csr'),
      '-CA',
      caFile,
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      file('s3.pem'),
      '-extfile',
      file('san.ext'),
    ]);
    server = createServer(
      { key: readFileSync(file('s3.key')), cert: readFileSync(file('s3.pem')) },
      (_request, response) => {
        response.writeHead(403, { 'content-type': 'application/xml' });
        response.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
        );
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const list = (caBundle?: string) =>
    createS3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test-secret' },
      caBundle,
      timeoutMs: 5_000,
    }).send(new ListObjectsV2Command({ Bucket: 'parcelwatch' }));

  it('refuses the endpoint without the CA: the TLS handshake fails', async () => {
    await assert.rejects(list(), (e: Error & { code?: string }) =>
      /self-signed|unable to verify|UNABLE_TO_VERIFY|SELF_SIGNED/i.test(`${e.code} ${e.message}`),
    );
  });

  it('reaches the endpoint with the CA bundle: S3 itself answers', async () => {
    await assert.rejects(list(caFile), (e: Error) => e.name === 'AccessDenied');
  });

  it('keeps the system CAs beside the bundle, and names a bundle it cannot use', () => {
    const options = s3TlsOptions(caFile);
    assert.ok(options.httpsAgent!.ca.length > 1, 'system roots plus the bundle');
    assert.equal(options.httpsAgent!.ca.at(-1), readFileSync(caFile, 'utf8'));
    assert.deepEqual(s3TlsOptions(undefined), {});
    assert.throws(
      () => s3TlsOptions(path.join(dir, 'missing.pem')),
      (e: unknown) =>
        e instanceof ConfigError &&
        /AWS_CA_BUNDLE=.*missing\.pem cannot be read \(ENOENT\)/.test(e.message),
    );
    assert.throws(
      () => s3TlsOptions(path.join(dir, 's3.key')),
      (e: unknown) => e instanceof ConfigError && /holds no PEM certificate/.test(e.message),
    );
  });
});
