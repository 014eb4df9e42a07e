import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildApiServer } from '../../src/api/server';
import {
  checkApiKey,
  createApiKey,
  hashApiKey,
  listApiKeys,
  revokeApiKey,
} from '../../src/store/db/api-keys';
import type { Database } from '../../src/store/db/database';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { startTestApi, type TestApi } from './harness';
import { seedSeries } from './seed';

describe('API keys and access (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let api: TestApi;
  let parcelId: number;

  before(async () => {
    db = await isolatedDatabase('pw_api_auth');
    const seeded = await seedSeries(db, { parcelsPerSource: 2, acquisitions: 3, seed: 7 });
    parcelId = seeded.parcelIds[0]!;
    api = await startTestApi(db);
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  it('answers 401 with a WWW-Authenticate challenge to every data route called without a key', async () => {
    for (const url of [
      '/v1/parcels',
      `/v1/parcels/${parcelId}`,
      `/v1/parcels/${parcelId}/observations`,
      `/v1/parcels/${parcelId}/weekly`,
      '/v1/map/latest?index=ndvi',
      '/v1/runs',
      '/v1/exports/series.csv',
      '/v1/exports/latest.geojson?index=ndvi',
      '/v1/no-such-route',
    ]) {
      const response = await api.get(url, null);
      assert.equal(response.statusCode, 401, url);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="parcelwatch"');
      assert.equal(response.json().error, 'unauthorized');
      assert.doesNotMatch(response.body, /"items"|"features"|parcel_id/);
    }
    const post = await api.post('/v1/parcels/watch', { ids: [parcelId] }, null);
    assert.equal(post.statusCode, 401);
  });

  it('answers 401 to an unknown key, a malformed one, and a real key with one character changed', async () => {
    const forged = api.readKey.slice(0, -1) + (api.readKey.endsWith('A') ? 'B' : 'A');
    for (const key of [`pw_0000000000_${'x'.repeat(43)}`, 'not-a-key', forged]) {
      const response = await api.get('/v1/parcels', key);
      assert.equal(response.statusCode, 401, key);
      assert.equal(response.json().message, 'the API key is not valid');
    }
  });

  it('accepts the key as a bearer token and as X-API-Key', async () => {
    assert.equal((await api.get('/v1/parcels', api.readKey)).statusCode, 200);
    const viaHeader = await api.get('/v1/parcels', null, { 'x-api-key': api.readKey });
    assert.equal(viaHeader.statusCode, 200);
  });

  it('refuses a write with a read-only key (403, nothing changed) and a read with a write-only key', async () => {
    const before = await db.pool.query('SELECT id, watched FROM parcels ORDER BY id');
    const write = await api.post('/v1/parcels/unwatch', { ids: [parcelId] }, api.readKey);
    assert.equal(write.statusCode, 403);
    assert.equal(write.json().error, 'forbidden');
    assert.deepEqual(write.json().details, { required: 'write', granted: ['read'] });
    const after = await db.pool.query('SELECT id, watched FROM parcels ORDER BY id');
    assert.deepEqual(after.rows, before.rows);

    const read = await api.get('/v1/parcels', api.writeKey);
    assert.equal(read.statusCode, 403);
    assert.match(read.json().message, /needs the "read" scope/);
  });

  it('lets a write key change what it may change', async () => {
    const response = await api.post('/v1/parcels/unwatch', { ids: [parcelId] }, api.writeKey);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { watched: false, changed: 1 });
    const stored = await db.pool.query('SELECT watched FROM parcels WHERE id = $1', [parcelId]);
    assert.equal(stored.rows[0].watched, false);
    const again = await api.post('/v1/parcels/watch', { ids: [parcelId] }, api.readWriteKey);
    assert.deepEqual(again.json(), { watched: true, changed: 1 });
  });

  it('answers 401 to a revoked key from the moment it is revoked, saying so', async () => {
    const { key, record } = await createApiKey(db, { name: 'leaving', team: 'team-b' });
    assert.equal((await api.get('/v1/parcels', key)).statusCode, 200);
    const revoked = await revokeApiKey(db, record.prefix);
    assert.ok(revoked?.revokedAt);
    const response = await api.get('/v1/parcels', key);
    assert.equal(response.statusCode, 401);
    assert.match(response.json().message, new RegExp(`${record.prefix} was revoked`));
    // Revoking again keeps the first revocation time.
    assert.equal((await revokeApiKey(db, String(record.id)))?.revokedAt, revoked.revokedAt);
  });

  it('answers a URL no route serves with 401 to strangers and 404 to any valid key, whatever its scopes', async () => {
    assert.equal((await api.get('/v1/no-such-route', null)).statusCode, 401);
    for (const key of [api.readKey, api.writeKey]) {
      const response = await api.app.inject({
        method: 'DELETE',
        url: '/v1/parcels/1',
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(response.statusCode, 404, response.body);
      assert.match(
        response.json().message,
        /no route DELETE \/v1\/parcels\/1; the routes are listed at \/openapi.json/,
      );
    }
  });

  it('keeps the health route and the OpenAPI document public', async () => {
    const health = await api.get('/v1/health', null);
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok', version: 'test-version', database: 'ok' });
    assert.equal((await api.get('/openapi.json', null)).statusCode, 200);
  });

  it('stores only a SHA-256 of the key, never the key, and finds it by its public prefix', async () => {
    const { key, record } = await createApiKey(db, {
      name: 'stored',
      team: 'team-a',
      scopes: ['write', 'read', 'read'],
    });
    assert.match(key, /^pw_[0-9a-f]{10}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(record.scopes, ['read', 'write']);
    assert.equal(record.prefix, key.slice(0, 13));
    const row = await db.pool.query('SELECT * FROM api_keys WHERE id = $1', [record.id]);
    const stored = JSON.stringify(row.rows[0]);
    assert.ok(!stored.includes(key.slice(14)), 'the secret part is not stored');
    assert.equal(row.rows[0].key_hash, hashApiKey(key));
    assert.equal(hashApiKey(key).length, 64);
    assert.deepEqual((await checkApiKey(db, key)).status, 'valid');
    const listed = await listApiKeys(db);
    assert.ok(listed.some((k) => k.id === record.id));
    assert.ok(!JSON.stringify(listed).includes('key_hash'));
    assert.ok(!(await listApiKeys(db)).some((k) => k.revokedAt !== null));
    assert.ok((await listApiKeys(db, { includeRevoked: true })).some((k) => k.revokedAt !== null));
  });

  it('records when a key was last used', async () => {
    const { key, record } = await createApiKey(db, { name: 'fresh', team: 'team-a' });
    assert.equal(record.lastUsedAt, null);
    await api.get('/v1/runs', key);
    const [used] = (await listApiKeys(db)).filter((k) => k.id === record.id);
    assert.ok(used?.lastUsedAt);
  });

  it('refuses scopes other than read and write, and a key without scope, at creation and in the table', async () => {
    await assert.rejects(
      createApiKey(db, { name: 'x', team: 't', scopes: ['admin'] }),
      /read, write/,
    );
    await assert.rejects(createApiKey(db, { name: 'x', team: 't', scopes: [] }), /read, write/);
    await assert.rejects(
      db.pool.query(
        "INSERT INTO api_keys (name, team, scopes, prefix, key_hash) VALUES ('x', 't', '{admin}', 'aaaaaaaaaa', 'h')",
      ),
      /api_keys_scopes_check/,
    );
  });

  it('keeps API keys out of the reader role (analysts) and lets the writer role use them', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE pw_api_auth_reader');
      await assert.rejects(client.query('SELECT count(*) FROM api_keys'), /permission denied/);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE pw_api_auth_writer');
      await client.query("UPDATE api_keys SET last_used_at = now() WHERE name = 'reader'");
      const created = await client.query(
        "INSERT INTO api_keys (name, team, scopes, prefix, key_hash) VALUES ('w', 't', '{read}', 'bbbbbbbbbb', 'h') RETURNING id",
      );
      assert.equal(created.rowCount, 1);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('limits each key to its rate: 429 with Retry-After once the burst is spent, served again after the wait', async () => {
    let now = 1_000_000;
    const limited = await startTestApi(db, {
      rateLimitBurst: 3,
      rateLimitPerMinute: 60,
      now: () => now,
    });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await limited.get('/v1/runs')).statusCode, 200);
      const refused = await limited.get('/v1/runs');
      assert.equal(refused.statusCode, 429);
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal(refused.json().error, 'rate_limited');
      // Another key has a bucket of its own.
      assert.equal((await limited.get('/v1/runs', limited.readWriteKey)).statusCode, 200);
      now += 1_000; // one token back at 60 a minute
      assert.equal((await limited.get('/v1/runs')).statusCode, 200);
      assert.equal((await limited.get('/v1/runs')).statusCode, 429);
    } finally {
      await limited.app.close();
    }
  });

  it('never writes a key into the request log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await buildApiServer({
      db,
      config: { bodyLimitBytes: 1024, rateLimitPerMinute: 1000, rateLimitBurst: 1000 },
      logger: { level: 'trace', stream: sink },
      webRoot: null,
    });
    try {
      await app.inject({
        method: 'GET',
        url: '/v1/runs',
        headers: { authorization: `Bearer ${api.readKey}` },
      });
      await app.inject({
        method: 'GET',
        url: '/v1/runs',
        headers: { 'x-api-key': `${api.readKey}x` },
      });
      const log = lines.join('');
      assert.ok(log.includes('/v1/runs'), 'requests are logged');
      assert.ok(!log.includes(api.readKey.slice(14)), 'the key is not');
    } finally {
      await app.close();
    }
  });
});
