import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApiServer } from '../../src/api/server';
import type { Database } from '../../src/store/db/database';
import { isolatedDatabase } from '../store/db/isolated-schema';

describe('API server: the web page folder and a database that goes away (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: Database;
  let web: string;

  before(async () => {
    db = await isolatedDatabase('pw_api_server');
    web = await mkdtemp(path.join(tmpdir(), 'pw-web-'));
    await writeFile(path.join(web, 'index.html'), '<!doctype html><title>parcelwatch</title>');
  });
  after(async () => {
    await db?.close();
    if (web) await rm(web, { recursive: true, force: true });
  });

  const config = { bodyLimitBytes: 1024, rateLimitPerMinute: 600, rateLimitBurst: 60 };

  it('serves the web page files at / without a key, while /v1 still needs one', async () => {
    const app = await buildApiServer({ db, config, webRoot: web });
    try {
      const page = await app.inject({ method: 'GET', url: '/' });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<title>parcelwatch<\/title>/);
      assert.equal((await app.inject({ method: 'GET', url: '/v1/parcels' })).statusCode, 401);
      assert.equal((await app.inject({ method: 'GET', url: '/v1/nothing-here' })).statusCode, 401);
    } finally {
      await app.close();
    }
    const without = await buildApiServer({ db, config, webRoot: path.join(web, 'absent') });
    try {
      assert.equal((await without.inject({ method: 'GET', url: '/' })).statusCode, 404);
    } finally {
      await without.close();
    }
  });

  it('answers 503 (health says the database is unreachable) when the database does not answer', async () => {
    const { Pool } = await import('pg');
    const pool = new Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
      connectionTimeoutMillis: 1000,
    });
    const app = await buildApiServer({ db: { ...db, pool }, config, webRoot: null, version: 'v' });
    try {
      const health = await app.inject({ method: 'GET', url: '/v1/health' });
      assert.equal(health.statusCode, 503);
      assert.deepEqual(health.json(), {
        status: 'unavailable',
        version: 'v',
        database: 'unreachable',
      });
      // Any other route: 503 with Retry-After, not an internal error.
      const data = await app.inject({
        method: 'GET',
        url: '/v1/parcels',
        headers: { 'x-api-key': `pw_0123456789_${'a'.repeat(43)}` },
      });
      assert.equal(data.statusCode, 503);
      assert.equal(data.json().error, 'unavailable');
      assert.equal(data.headers['retry-after'], '5');
    } finally {
      await app.close();
      await pool.end();
    }
  });
});
