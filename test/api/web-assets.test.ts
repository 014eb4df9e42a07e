import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApiServer, WEB_ROOT } from '../../src/api/server';
import { maplibreDist, VENDOR_FILES } from '../../src/api/web-assets';
import type { Database } from '../../src/store/db/database';
import { REPO_ROOT } from '../helpers/services';
import { isolatedDatabase } from '../store/db/isolated-schema';

describe('API web page files and their vendor files from node_modules (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: Database;
  let app: FastifyInstance;
  const config = { bodyLimitBytes: 1024, rateLimitPerMinute: 600, rateLimitBurst: 60 };

  before(async () => {
    db = await isolatedDatabase('pw_api_web_assets');
    app = await buildApiServer({ db, config, webRoot: WEB_ROOT });
  });
  after(async () => {
    await app?.close();
    await db?.close();
  });

  it("serves MapLibre's module, worker and stylesheet byte for byte from node_modules, without a key", async () => {
    const dist = path.join(REPO_ROOT, 'node_modules', 'maplibre-gl', 'dist');
    assert.equal(maplibreDist(), dist);
    const types: Record<string, RegExp> = {
      'maplibre-gl.mjs': /^(application|text)\/javascript/,
      'maplibre-gl-worker.mjs': /^(application|text)\/javascript/,
      'maplibre-gl.css': /^text\/css/,
    };
    assert.deepEqual([...VENDOR_FILES].sort(), Object.keys(types).sort());
    for (const file of VENDOR_FILES) {
      // The worker is asked for with MapLibre's version as a query, as MapLibre does.
      const response = await app.inject({ method: 'GET', url: `/vendor/${file}?v=6.17.0` });
      assert.equal(response.statusCode, 200, file);
      assert.match(String(response.headers['content-type']), types[file]!, file);
      assert.ok(response.rawPayload.equals(readFileSync(path.join(dist, file))), `${file} bytes`);
    }
  });

  it('serves nothing else of the package, nor anything outside it', async () => {
    for (const url of [
      '/vendor/maplibre-gl.mjs.map',
      '/vendor/maplibre-gl-dev.mjs',
      '/vendor/maplibre-gl.d.ts',
      '/vendor/',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      assert.ok([403, 404].includes(response.statusCode), `${url}: ${response.statusCode}`);
    }
    // Climbing out of /vendor/ lands in the page's own folder at best, never in the package.
    for (const url of ['/vendor/../package.json', '/vendor/%2e%2e/package.json']) {
      const response = await app.inject({ method: 'GET', url });
      assert.ok(!response.body.includes('"maplibre-gl"'), `${url} gave maplibre-gl's package.json`);
    }
  });

  it('serves the page itself at / without a key, while /v1 still needs one', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.body, readFileSync(path.join(WEB_ROOT, 'index.html'), 'utf8'));
    const script = await app.inject({ method: 'GET', url: '/app.js' });
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /javascript/);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/runs' })).statusCode, 401);
  });

  it('has no vendor routes when the server serves no page', async () => {
    const bare = await buildApiServer({ db, config, webRoot: null });
    try {
      const response = await bare.inject({ method: 'GET', url: '/vendor/maplibre-gl.mjs' });
      assert.equal(response.statusCode, 404);
    } finally {
      await bare.close();
    }
  });
});
