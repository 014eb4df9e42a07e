import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Database } from '../../src/store/db/database';
import { runCli } from '../helpers/cli';
import { REPO_ROOT } from '../helpers/services';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { seedSeries } from './seed';

describe('parcelwatch api serve | keys (CLI, real PostgreSQL)', function () {
  this.timeout(300_000);
  const schema = 'pw_cli_api';
  let db: Database & { url: string };
  let env: Record<string, string>;

  before(async () => {
    db = await isolatedDatabase(schema);
    await seedSeries(db, { parcelsPerSource: 2, acquisitions: 3, seed: 41 });
    env = { DATABASE_URL: db.url, PARCELWATCH_DB_SCHEMA: schema };
  });
  after(async () => db?.close());

  it('creates a key shown once, lists keys without secrets, and revokes by prefix', async () => {
    const created = await runCli(
      [
        'api',
        'keys',
        'create',
        '--name',
        'dashboard',
        '--team',
        'team-b',
        '--scopes',
        'read,write',
        '--json',
      ],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const { key, record } = JSON.parse(created.stdout);
    assert.match(key, /^pw_[0-9a-f]{10}_/);
    assert.deepEqual(record.scopes, ['read', 'write']);
    assert.equal(record.team, 'team-b');

    const listed = await runCli(['api', 'keys', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`${record.prefix}\\s+dashboard\\s+team-b\\s+read,write`),
    );
    assert.ok(!listed.stdout.includes(key.slice(14)));

    const revoked = await runCli(['api', 'keys', 'revoke', record.prefix], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`revoked ${record.prefix}`));
    const active = await runCli(['api', 'keys', 'list', '--json'], env);
    assert.ok(!JSON.parse(active.stdout).some((k: { id: number }) => k.id === record.id));
    const all = await runCli(['api', 'keys', 'list', '--all', '--json'], env);
    assert.ok(
      JSON.parse(all.stdout).some(
        (k: { id: number; revokedAt: string }) => k.id === record.id && k.revokedAt,
      ),
    );

    const unknown = await runCli(['api', 'keys', 'revoke', 'pw_0000000000'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no API key pw_0000000000/);
    const badScope = await runCli(
      ['api', 'keys', 'create', '--name', 'x', '--team', 't', '--scopes', 'admin'],
      env,
    );
    assert.equal(badScope.code, 2);
    assert.match(badScope.stderr, /give one or more of read, write/);
  });

  it('serves the API until SIGTERM: health without a key, data with one, then a clean exit', async () => {
    const created = await runCli(
      ['api', 'keys', 'create', '--name', 'probe', '--team', 'team-a', '--json'],
      env,
    );
    const { key } = JSON.parse(created.stdout);
    const child = spawn(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        path.join(REPO_ROOT, 'src/cli/main.ts'),
        'api',
        'serve',
        '--port',
        '0',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, ...env } },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 60_000);
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
          const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('close', () => reject(new Error(`server exited: ${stderr}`)));
      });
      const health = await fetch(`${url}/v1/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { database: string }).database, 'ok');
      assert.equal((await fetch(`${url}/v1/parcels`)).status, 401);
      const parcels = await fetch(`${url}/v1/parcels`, { headers: { 'x-api-key': key } });
      assert.equal(parcels.status, 200);
      assert.equal(((await parcels.json()) as { items: unknown[] }).items.length, 4);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      // Request logs are JSON lines on standard output, without the key.
      assert.match(stdout, /"url":"\/v1\/parcels"/);
      assert.ok(!stdout.includes(key));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses to serve a schema that was never migrated, saying what to run', async () => {
    const result = await runCli(['api', 'keys', 'list'], {
      ...env,
      PARCELWATCH_DB_SCHEMA: 'pw_cli_api_missing',
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no api_keys table; run `parcelwatch db migrate` first/);
  });
});
