import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApiServer, WEB_ROOT } from '../../src/api/server';
import { createApiKey } from '../../src/store/db/api-keys';
import type { Database } from '../../src/store/db/database';

/** The real API with the web page, listening on a free local port, and a read key for it. */
export interface WebTestServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  readKey: string;
  close(): Promise<void>;
}

export async function startWebServer(db: Database): Promise<WebTestServer> {
  const app = await buildApiServer({
    db,
    config: { bodyLimitBytes: 64 * 1024, rateLimitPerMinute: 100_000, rateLimitBurst: 100_000 },
    webRoot: WEB_ROOT,
    version: 'test-version',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const { key } = await createApiKey(db, { name: 'web page', team: 'team-a', scopes: ['read'] });
  return { app, origin: `http://127.0.0.1:${port}`, readKey: key, close: () => app.close() };
}
