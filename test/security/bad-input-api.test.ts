import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { API_CSP, PAGE_CSP } from '../../src/api/security-headers';
import { buildApiServer, WEB_ROOT } from '../../src/api/server';
import type { Database } from '../../src/store/db/database';
import { startTestApi, type TestApi } from '../api/harness';
import { type SecurityStore, securityStore } from './security-store';
import { leavesStoreUnchanged, snapshotStore } from './snapshot';

/**
 * Bad-input corpus, HTTP API: oversized and malformed bodies, other media types, injection
 * strings in query, path and body, numbers that are not numbers, path traversal into the static
 * files (over a real socket, so no client tidies the URL first), bad keys and too many requests.
 * Each gets a 4xx whose body names the problem, and the store is unchanged afterwards.
 */

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | number | undefined>;
}

const answer = (r: LightMyRequestResponse): Answer => ({
  status: r.statusCode,
  body: r.body,
  headers: r.headers,
});

/** One raw HTTP/1.1 request over a socket: the path goes out byte for byte as given. */
function rawRequest(port: number, head: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [top = '', body = ''] = text.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(top)?.[1] ?? 0);
      resolve({ status, body, headers: {} });
    });
    // Not end(): a half-closed socket makes the server drop a file it is streaming.
    socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

interface BadRequest {
  name: string;
  send: (api: TestApi) => Promise<LightMyRequestResponse>;
  status: number;
  error: string;
  message: RegExp;
}

const json = (api: TestApi, payload: string, contentType = 'application/json') =>
  api.app.inject({
    method: 'POST',
    url: '/v1/parcels/watch',
    headers: { authorization: `Bearer ${api.writeKey}`, 'content-type': contentType },
    payload,
  });

const BAD_REQUESTS: BadRequest[] = [
  {
    name: 'a body over the size limit',
    send: (api) => json(api, JSON.stringify({ source: 's', externalIds: ['x'.repeat(70_000)] })),
    status: 413,
    error: 'payload_too_large',
    message: /larger than the 65536 bytes this server accepts \(PARCELWATCH_API_BODY_LIMIT\)/,
  },
  {
    name: 'a body cut in the middle of its JSON',
    send: (api) => json(api, '{"source": "src-a", "externalIds": ["src-a-p1"'),
    status: 400,
    error: 'invalid_request',
    message: /Body is not valid JSON/,
  },
  {
    name: 'an empty JSON body',
    send: (api) => json(api, ''),
    status: 400,
    error: 'invalid_request',
    message: /Body cannot be empty when content-type is set to 'application\/json'/,
  },
  {
    name: 'a body with a __proto__ member (prototype pollution)',
    send: (api) => json(api, '{"source":"src-a","__proto__":{"scopes":["admin"]}}'),
    status: 400,
    error: 'invalid_request',
    message: /Body is not valid JSON/,
  },
  {
    name: 'an XML body',
    send: (api) => json(api, '<watch source="src-a"/>', 'application/xml'),
    status: 415,
    error: 'unsupported_media_type',
    message: /a body of type "application\/xml" is not accepted; send JSON/,
  },
  {
    name: 'a plain-text body',
    send: (api) => json(api, 'source=src-a', 'text/plain'),
    status: 415,
    error: 'unsupported_media_type',
    message: /a body of type "text\/plain" is not accepted/,
  },
  {
    name: 'a form-encoded body',
    send: (api) => json(api, 'source=src-a', 'application/x-www-form-urlencoded'),
    status: 415,
    error: 'unsupported_media_type',
    message: /a body of type "application\/x-www-form-urlencoded" is not accepted/,
  },
  {
    name: 'SQL in a body field of the wrong type',
    send: (api) => api.post('/v1/parcels/watch', { ids: ['1; DROP TABLE parcels'] }),
    status: 400,
    error: 'invalid_request',
    message: /body field "ids\.0" must be integer/,
  },
  {
    name: 'an unknown body field',
    send: (api) => api.post('/v1/parcels/watch', { source: 'src-a', where: '1=1' }),
    status: 400,
    error: 'invalid_request',
    message: /body field "where" is not a field of this request/,
  },
  {
    name: 'SQL as a path parameter',
    send: (api) => api.get('/v1/parcels/1%20OR%201=1', api.readKey),
    status: 400,
    error: 'invalid_request',
    message: /path parameter "id" "1 OR 1=1" is neither a parcel id/,
  },
  {
    name: 'a limit of 1e309 (Infinity after coercion)',
    send: (api) => api.get('/v1/parcels?limit=1e309', api.readKey),
    status: 400,
    error: 'invalid_request',
    message: /query parameter "limit" is not a finite number/,
  },
  {
    name: 'a negative limit',
    send: (api) => api.get('/v1/parcels?limit=-1', api.readKey),
    status: 400,
    error: 'invalid_request',
    message: /query parameter "limit" must be >= 1/,
  },
  {
    name: 'more ids than a request may list',
    send: (api) =>
      api.get(
        `/v1/parcels?ids=${Array.from({ length: 20_000 }, (_, i) => i + 1).join(',')}`,
        api.readKey,
      ),
    status: 400,
    error: 'invalid_request',
    message: /query parameter "ids" lists 20000 ids; give at most 10000/,
  },
  {
    name: 'a bounding box of words',
    send: (api) =>
      api.get('/v1/map/latest?index=ndvi&bbox=0,0,1,1);DROP TABLE parcels;--', api.readKey),
    status: 400,
    error: 'invalid_request',
    message: /query parameter "bbox" must match pattern/,
  },
  {
    name: 'an unknown index',
    send: (api) => api.get("/v1/map/latest?index=ndvi' OR '1'='1", api.readKey),
    status: 400,
    error: 'invalid_request',
    message: /query parameter "index"/,
  },
  {
    name: 'an unknown query parameter',
    send: (api) => api.get('/v1/parcels?order=id;DROP TABLE parcels', api.readKey),
    status: 400,
    error: 'invalid_request',
    message: /query parameter "order" is not a parameter of this route/,
  },
  {
    name: 'a request without key',
    send: (api) => api.get('/v1/parcels', null),
    status: 401,
    error: 'unauthorized',
    message: /this route needs an API key/,
  },
  {
    name: 'a key made of SQL',
    send: (api) => api.get('/v1/parcels', "pw_x' OR '1'='1"),
    status: 401,
    error: 'unauthorized',
    message: /API key/,
  },
  {
    name: 'a write with a read-only key',
    send: (api) => api.post('/v1/parcels/watch', { source: 'src-a' }, api.readKey),
    status: 403,
    error: 'forbidden',
    message: /this route needs the "write" scope/,
  },
  {
    name: 'a path climbing out of /v1',
    send: (api) => api.get('/v1/../../etc/passwd', api.readKey),
    status: 404,
    error: 'not_found',
    message: /no route GET \/etc\/passwd/,
  },
];

/** Paths that try to leave the web page's folder; none may answer with a file from outside it. */
const TRAVERSALS = [
  '/../../../../etc/passwd',
  '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
  '/..%2f..%2f..%2fpackage.json',
  '/..%5c..%5c..%5cpackage.json',
  '/vendor/../../package.json',
  '/vendor/%2e%2e/%2e%2e/package.json',
  '/vendor/..%2f..%2fpackage.json',
  '/vendor/maplibre-gl.mjs%00.json',
  '/index.html/../../../package.json',
  '//etc/passwd',
];

describe('bad-input corpus: HTTP API', function () {
  this.timeout(60_000);
  let store: SecurityStore;
  let api: TestApi;

  before(async () => {
    store = await securityStore();
    api = await startTestApi(store.db);
  });
  after(async () => {
    await api?.app.close();
  });

  for (const bad of BAD_REQUESTS) {
    it(`answers ${bad.name} with ${bad.status} naming the problem, changing nothing`, async () => {
      const response = await leavesStoreUnchanged(store, bad.name, () => bad.send(api));
      assert.equal(response.statusCode, bad.status, response.body);
      const body = response.json() as { error: string; message: string };
      assert.equal(body.error, bad.error);
      assert.match(body.message, bad.message);
      assert.doesNotMatch(response.body, /\n\s+at |node_modules|\/src\//, 'no stack or path');
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    });
  }

  it('treats SQL in query values as values: nothing selected, nothing run', async () => {
    const response = await leavesStoreUnchanged(store, 'SQL in a query value', () =>
      api.get(
        `/v1/parcels?source=${encodeURIComponent("src-a' OR '1'='1'; DROP TABLE parcels; --")}`,
      ),
    );
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { items: [], nextCursor: null });
  });

  it('treats SQL in body values as values: named as unknown ids, nothing changed', async () => {
    const source = "src-a'; UPDATE parcels SET watched = true; --";
    const externalId = "src-a-p1') OR ('1'='1";
    const before = await snapshotStore(store);
    const response = await api.post('/v1/parcels/watch', { source, externalIds: [externalId] });
    assert.equal(response.statusCode, 400, response.body);
    // The text comes back as the id it was taken for, quoted, never run.
    assert.ok(response.json().message.includes(JSON.stringify(externalId)), response.body);
    assert.match(response.json().message, /nothing was changed/);
    assert.deepEqual(await snapshotStore(store), before);
  });

  it('answers 429 with Retry-After once a key spent its burst, naming the limit', async () => {
    const limited = await startTestApi(store.db, { rateLimitBurst: 2, rateLimitPerMinute: 1 });
    try {
      const responses = await leavesStoreUnchanged(store, 'a burst of requests', async () => [
        answer(await limited.get('/v1/runs')),
        answer(await limited.get('/v1/runs')),
        answer(await limited.get('/v1/runs')),
      ]);
      assert.deepEqual(
        responses.map((r) => r.status),
        [200, 200, 429],
      );
      const refused = responses[2]!;
      assert.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After in seconds');
      assert.equal(JSON.parse(refused.body).error, 'rate_limited');
    } finally {
      await limited.app.close();
    }
  });

  it('answers an internal failure with 500 and a request id, never its text or stack', async () => {
    const secretText = 'relation "payroll_secret" does not exist';
    const broken: Database = {
      ...store.db,
      pool: {
        query: async () => {
          const error = new Error(`${secretText}\n    at Query (/work/main/src/store/db/x.ts:1:1)`);
          throw Object.assign(error, { code: '42P01' });
        },
        connect: async () => {
          throw new Error(secretText);
        },
      } as unknown as Database['pool'],
    };
    const app: FastifyInstance = await buildApiServer({
      db: broken,
      config: { bodyLimitBytes: 65536, rateLimitBurst: 100, rateLimitPerMinute: 100 },
      webRoot: null,
    });
    try {
      const response = await app.inject({
        method: 'GET',
        url: '/v1/parcels',
        headers: { authorization: `Bearer ${api.readKey}` },
      });
      assert.equal(response.statusCode, 500);
      assert.match(
        response.json().message,
        /internal error; the server log has the details under request id \S+/,
      );
      assert.doesNotMatch(response.body, /payroll_secret|\/src\/|\n\s+at /);
    } finally {
      await app.close();
    }
  });

  it('sends security headers: no sniffing, no framing, no referrer, no caching of data', async () => {
    const response = await api.get('/v1/runs');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.equal(response.headers['content-security-policy'], API_CSP);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  describe('static files over a real socket', () => {
    let app: FastifyInstance;
    let port: number;

    before(async () => {
      app = await buildApiServer({
        db: store.db,
        config: { bodyLimitBytes: 65536, rateLimitBurst: 1000, rateLimitPerMinute: 1000 },
        webRoot: WEB_ROOT,
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      port = (app.server.address() as { port: number }).port;
    });
    after(async () => {
      await app?.close();
    });

    it('serves the page with its Content-Security-Policy and framing refused', async () => {
      const response = await app.inject({ method: 'GET', url: '/' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-security-policy'], PAGE_CSP);
      assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/);
    });

    for (const traversal of TRAVERSALS) {
      it(`answers ${traversal} with no file from outside the page's folder`, async () => {
        const response = await leavesStoreUnchanged(store, traversal, () =>
          rawRequest(port, `GET ${traversal} HTTP/1.1`),
        );
        assert.ok(
          [400, 403, 404].includes(response.status),
          `${traversal}: HTTP ${response.status}`,
        );
        assert.doesNotMatch(response.body, /root:|"name": ?"(parcelwatch|maplibre-gl)"/);
      });
    }

    it('answers 431 to a request whose headers are larger than Node accepts', async () => {
      const response = await rawRequest(
        port,
        `GET /v1/runs HTTP/1.1\r\nX-Pad: ${'a'.repeat(20_000)}`,
      );
      assert.equal(response.status, 431);
    });
  });
});
