import { existsSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ApiConfig } from '../config';
import type { Database } from '../store/db/database';
import { codeVersion } from '../version';
import { authenticate } from './auth';
import { ApiError, handleError } from './errors';
import { openApiDocument } from './openapi';
import { RateLimiter } from './rate-limit';
import type { ApiRoute } from './route';
import { exportRoutes } from './routes/exports';
import { healthRoutes } from './routes/health';
import { MAP_MAX_FEATURES, mapRoutes } from './routes/map';
import { parcelRoutes } from './routes/parcels';
import { runRoutes } from './routes/runs';
import { seriesRoutes } from './routes/series';
import { registerWebAssets } from './web-assets';

/**
 * The HTTP API: Fastify with JSON-schema validation of every parameter and body (unknown ones
 * refused), response serialisation through the declared schemas (so nothing undeclared leaks out),
 * API keys with scopes, a per-key rate limit, and the OpenAPI document at /openapi.json. Static
 * files of the web page, when `src/api/web/` holds them, are served at `/`.
 */

/** Folder of the web page's static files (built by the web-page work; absent until then). */
export const WEB_ROOT = path.join(__dirname, 'web');

export interface ApiServerOptions {
  db: Database;
  config: Pick<ApiConfig, 'bodyLimitBytes' | 'rateLimitPerMinute' | 'rateLimitBurst'>;
  /** Fastify's logger: true for JSON request logs, false for none. @default false */
  logger?: FastifyServerOptions['logger'];
  /** Static files served at `/` when the folder exists; null for none. @default WEB_ROOT */
  webRoot?: string | null;
  /** @default codeVersion() */
  version?: string;
  /** Clock of the rate limiter (tests). */
  now?: () => number;
  /** Most features of one map response. @default MAP_MAX_FEATURES */
  mapMaxFeatures?: number;
}

/** Every route of the API, in documentation order. */
export function apiRoutes(
  db: Database,
  version: string,
  mapMaxFeatures: number = MAP_MAX_FEATURES,
): ApiRoute[] {
  return [
    ...parcelRoutes(db),
    ...seriesRoutes(db),
    ...mapRoutes(db, mapMaxFeatures),
    ...exportRoutes(db),
    ...runRoutes(db),
    ...healthRoutes(db, version),
  ];
}

/** Builds the server (not listening yet: call `listen`, or `inject` in tests). */
export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const version = options.version ?? codeVersion();
  const app = Fastify({
    logger: loggerOptions(options.logger ?? false),
    bodyLimit: options.config.bodyLimitBytes,
    // Only the documented methods: a HEAD of an export would run the whole export to discard it.
    exposeHeadRoutes: false,
    // Unknown parameters are errors, not silently dropped; every problem is reported at once.
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: true } },
  });
  const limiter = new RateLimiter({
    perMinute: options.config.rateLimitPerMinute,
    burst: options.config.rateLimitBurst,
    now: options.now,
  });
  app.setErrorHandler(handleError);
  // Bodies are JSON; anything else is refused (415) rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler((request) => {
    throw new ApiError(
      404,
      'not_found',
      `no route ${request.method} ${request.url.split('?')[0]}; the routes are listed at /openapi.json`,
    );
  });
  app.addHook('onRequest', authenticate(options.db, limiter));

  const routes = apiRoutes(options.db, version, options.mapMaxFeatures);
  const document = openApiDocument(routes, version);
  for (const route of routes) {
    const json = Object.entries(route.responses).filter(([, r]) => r.content['application/json']);
    app.route({
      method: route.method,
      url: route.url,
      config: { scope: route.scope },
      schema: {
        ...(route.params ? { params: route.params } : {}),
        ...(route.querystring ? { querystring: route.querystring } : {}),
        ...(route.body ? { body: route.body } : {}),
        response: Object.fromEntries(
          json.map(([status, r]) => [status, r.content['application/json']!.schema]),
        ),
      },
      handler: route.handler,
    });
  }
  app.get('/openapi.json', { config: { scope: 'public' } }, async () => document);

  const webRoot = options.webRoot === undefined ? WEB_ROOT : options.webRoot;
  if (webRoot && existsSync(webRoot)) {
    const { default: fastifyStatic } = await import('@fastify/static');
    await app.register(fastifyStatic, { root: webRoot, prefix: '/' });
    await registerWebAssets(app);
  }
  return app;
}

function loggerOptions(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  // Keys never reach the logs, even if someone turns on header logging.
  const redact = ['req.headers.authorization', 'req.headers["x-api-key"]'];
  return logger === true ? { redact } : { ...logger, redact };
}
