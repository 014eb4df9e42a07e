import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApiServer } from '../../src/api/server';
import { createApiKey } from '../../src/store/db/api-keys';
import type { Database } from '../../src/store/db/database';

/** A server over a test database (requests through `inject`, no socket) and keys of each kind. */
export interface TestApi {
  app: FastifyInstance;
  readKey: string;
  writeKey: string;
  readWriteKey: string;
  get(
    url: string,
    key?: string | null,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  post(url: string, body: unknown, key?: string | null): Promise<LightMyRequestResponse>;
}

export async function startTestApi(
  db: Database,
  options: {
    rateLimitBurst?: number;
    rateLimitPerMinute?: number;
    now?: () => number;
    mapMaxFeatures?: number;
  } = {},
): Promise<TestApi> {
  const app = await buildApiServer({
    db,
    config: {
      bodyLimitBytes: 64 * 1024,
      rateLimitPerMinute: options.rateLimitPerMinute ?? 100_000,
      rateLimitBurst: options.rateLimitBurst ?? 100_000,
    },
    webRoot: null,
    version: 'test-version',
    now: options.now,
    mapMaxFeatures: options.mapMaxFeatures,
  });
  await app.ready();
  const team = 'team-a';
  const readKey = (await createApiKey(db, { name: 'reader', team, scopes: ['read'] })).key;
  const writeKey = (await createApiKey(db, { name: 'writer', team, scopes: ['write'] })).key;
  const readWriteKey = (await createApiKey(db, { name: 'both', team, scopes: ['read', 'write'] }))
    .key;
  const auth = (key: string | null | undefined): Record<string, string> =>
    key === null ? {} : { authorization: `Bearer ${key ?? readKey}` };
  return {
    app,
    readKey,
    writeKey,
    readWriteKey,
    get: (url, key, headers = {}) =>
      app.inject({ method: 'GET', url, headers: { ...auth(key), ...headers } }),
    post: (url, body, key) =>
      app.inject({
        method: 'POST',
        url,
        payload: body as object,
        headers: auth(key === undefined ? writeKey : key),
      }),
  };
}
