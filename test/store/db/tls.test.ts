import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { testAdminUrl } from '../../../scripts/provision/stack';
import { ConfigError } from '../../../src/core/errors';
import { connectClient } from '../../../src/store/db/connection';
import { databaseTls } from '../../../src/store/db/tls';

const DB_URL = 'postgres://pipeline@db.internal:5432/parcelwatch';

describe('PostgreSQL TLS settings (PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-db-tls-'));
  const ca = path.join(dir, 'ca.pem');
  const key = path.join(dir, 'client.key');
  before(() => {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
        ...['-keyout', key, '-out', ca, '-subj', '/CN=parcelwatch-test-ca'],
      ],
      { stdio: 'ignore' },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves TLS to node-postgres when nothing is set, or when DATABASE_URL sets it itself', () => {
    assert.equal(databaseTls(DB_URL, {}), undefined);
    assert.equal(
      databaseTls(`${DB_URL}?sslmode=verify-full&sslrootcert=/etc/ca.pem`, {
        PGSSLMODE: 'disable',
      }),
      undefined,
    );
  });

  it('reads the modes as libpq does: disable, require (unverified), verify-ca, verify-full', () => {
    assert.equal(databaseTls(DB_URL, { PGSSLMODE: 'disable' }), false);
    const required = databaseTls(DB_URL, { PGSSLMODE: 'require' });
    assert.ok(required);
    assert.equal(required.rejectUnauthorized, false);

    const pem = readFileSync(ca, 'utf8');
    const verifyCa = databaseTls(DB_URL, { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: ca });
    assert.ok(verifyCa);
    assert.equal(verifyCa.rejectUnauthorized, true);
    assert.equal(verifyCa.ca, pem);
    assert.equal(verifyCa.checkServerIdentity?.('db.internal', {} as never), undefined);

    const full = databaseTls(DB_URL, { PGSSLMODE: 'verify-full' });
    assert.ok(full);
    assert.equal(full.rejectUnauthorized, true);
    assert.equal(full.checkServerIdentity, undefined, 'the host name is checked');
    // A root certificate alone means verify-full against it.
    const byRoot = databaseTls(DB_URL, { PGSSLROOTCERT: ca });
    assert.ok(byRoot);
    assert.deepEqual(
      [byRoot.rejectUnauthorized, byRoot.ca, byRoot.checkServerIdentity],
      [true, pem, undefined],
    );
  });

  it('presents a client certificate with its key', () => {
    const tls = databaseTls(DB_URL, { PGSSLMODE: 'verify-full', PGSSLCERT: ca, PGSSLKEY: key });
    assert.ok(tls);
    assert.equal(tls.cert, readFileSync(ca, 'utf8'));
    assert.equal(tls.key, readFileSync(key, 'utf8'));
  });

  it('refuses modes it cannot honour and files it cannot read, naming the variable', () => {
    const refused = (env: Record<string, string>, message: RegExp) =>
      assert.throws(
        () => databaseTls(DB_URL, env),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
    refused(
      { PGSSLMODE: 'prefer' },
      /PGSSLMODE=prefer is not supported \(it falls back to an unencrypted connection/,
    );
    refused(
      { PGSSLMODE: 'yes' },
      /PGSSLMODE=yes is not supported; use one of disable, require, verify-ca, verify-full/,
    );
    refused({ PGSSLMODE: 'verify-ca' }, /PGSSLMODE=verify-ca needs PGSSLROOTCERT/);
    refused(
      { PGSSLROOTCERT: path.join(dir, 'missing.pem') },
      /PGSSLROOTCERT=.*missing\.pem cannot be read \(ENOENT\)/,
    );
    refused({ PGSSLCERT: ca }, /PGSSLCERT and PGSSLKEY go together/);
  });

  describe('against the test PostgreSQL server', () => {
    let certFile: string | undefined;
    const saved = { ...process.env };

    before(async function () {
      const admin = new Client({ connectionString: testAdminUrl() });
      await admin.connect();
      try {
        const ssl = await admin.query<{ ssl: string; file: string }>(
          "SELECT current_setting('ssl') AS ssl, current_setting('ssl_cert_file') AS file",
        );
        const { ssl: on, file } = ssl.rows[0]!;
        certFile = on === 'on' ? path.resolve('/var/lib/postgresql', file) : undefined;
        if (certFile) readFileSync(certFile);
      } catch {
        certFile = undefined;
      } finally {
        await admin.end();
      }
      // A server without TLS (or whose certificate this process cannot read) has nothing to prove.
      if (!certFile) this.skip();
    });
    afterEach(() => {
      for (const name of ['PGSSLMODE', 'PGSSLROOTCERT']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    });

    async function encrypted(url: string): Promise<boolean> {
      const client = await connectClient(url);
      try {
        const result = await client.query<{ ssl: boolean }>(
          'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        );
        return result.rows[0]!.ssl;
      } finally {
        await client.end();
      }
    }

    it('encrypts with require, and not with disable', async () => {
      process.env.PGSSLMODE = 'require';
      assert.equal(await encrypted(testAdminUrl()), true);
      process.env.PGSSLMODE = 'disable';
      assert.equal(await encrypted(testAdminUrl()), false);
    });

    it("checks the server's certificate against PGSSLROOTCERT, and its name with verify-full", async () => {
      process.env.PGSSLROOTCERT = certFile!;
      process.env.PGSSLMODE = 'verify-ca';
      assert.equal(await encrypted(testAdminUrl()), true);
      process.env.PGSSLMODE = 'verify-full';
      const byName = new URL(testAdminUrl());
      byName.hostname = 'localhost';
      assert.equal(await encrypted(byName.toString()), true);
    });

    it('refuses a certificate it cannot trust with an error that says what to set', async () => {
      process.env.PGSSLMODE = 'verify-full';
      delete process.env.PGSSLROOTCERT;
      await assert.rejects(
        connectClient(testAdminUrl()),
        (e: unknown) =>
          e instanceof ConfigError &&
          /the server's TLS certificate is not trusted \(.*\); give its CA with PGSSLROOTCERT/.test(
            e.message,
          ),
      );
    });
  });
});
