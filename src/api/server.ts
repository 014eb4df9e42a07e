import { existsSync } from 'node:fs';
import path from 'node:path';
import Fastify, {
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { ApiConfig } from '../config';
import type { Database } from '../store/db/database';
import { readAsRole } from '../store/db/role-view';
import { codeVersion } from '../version';
import { authenticate } from './auth';
import { ApiError, handleError } from './errors';
import { rejectNonFiniteNumbers } from './finite-numbers';
import { redactingHooks } from './log-redaction';
import { openApiDocument } from './openapi';
import { RateLimiter } from './rate-limit';
import type { ApiRoute } from './route';
import { datasetRoutes } from './routes/datasets';
import { exportRoutes } from './routes/exports';
import { healthRoutes } from './routes/health';
import { MAP_MAX_FEATURES, mapRoutes } from './routes/map';
import { parcelRoutes } from './routes/parcels';
import { runRoutes } from './routes/runs';
import { seriesRoutes } from './routes/series';
import { securityHeaders } from './security-headers';
import { registerWebAssets } from './web-assets';

/**
 * The HTTP API: Fastify with JSON-schema validation of every parameter and body (unknown ones
 * refused), response serialisation through the declared schemas (so nothing undeclared leaks out),
 * API keys with scopes, a per-key rate limit, and the OpenAPI document at /openapi.json. Static
 * files of the web page, when `src/api/web/` holds them, are served at `/`.
 */

/** Time to receive a whole request (headers and body; answers may stream longer): 1 MiB needs far less. */
export const REQUEST_TIMEOUT_MS = 30_000;

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

/**
 * Every route of the API, in documentation order. Data routes read through `reads`: for a request,
 * the read view of its key's team role, so row-level security filters whatever they query. The
 * server's own `db` serves health checks and the writes a key may make (each route restricts its
 * writes to the key's team).
 */
export function apiRoutes(
  db: Database,
  version: string,
  mapMaxFeatures: number = MAP_MAX_FEATURES,
  reads: Database = db,
): ApiRoute[] {
  return [
    ...parcelRoutes(reads, db),
    ...seriesRoutes(reads),
    ...mapRoutes(reads, mapMaxFeatures),
    ...exportRoutes(reads),
    ...runRoutes(reads),
    ...datasetRoutes(reads),
    ...healthRoutes(db, version),
  ];
}

/** Builds the server (not listening yet: call `listen`, or `inject` in tests). */
export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const version = options.version ?? codeVersion();
  const app = Fastify({
    logger: loggerOptions(options.logger ?? false),
    bodyLimit: options.config.bodyLimitBytes,
    // Fastify waits forever for a request by default: a client trickling a body would hold a socket.
    requestTimeout: REQUEST_TIMEOUT_MS,
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
  app.addHook('preHandler', rejectNonFiniteNumbers);
  app.addHook('onSend', securityHeaders);

  const routes = apiRoutes(options.db, version, options.mapMaxFeatures);
  const document = openApiDocument(routes, version);
  // A request with a key runs the routes built over its team role's read view (once per role).
  const byRole = new Map<string, ApiRoute[]>();
  const routesOf = (request: FastifyRequest): ApiRoute[] => {
    const role = request.teamRole;
    if (!role) throw new Error(`${request.url} was reached without the role of a key's team`);
    let built = byRole.get(role);
    if (!built) {
      const reads = readAsRole(options.db, role);
      built = apiRoutes(options.db, version, options.mapMaxFeatures, reads);
      byRole.set(role, built);
    }
    return built;
  };
  for (const [i, route] of routes.entries()) {
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
      handler:
        route.scope === 'public'
          ? route.handler
          : (request, reply) => routesOf(request)[i]!.handler(request, reply),
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
  // And no secret of the environment in any message or logged error.
  const hooks = redactingHooks();
  return logger === true ? { redact, hooks } : { ...logger, redact, hooks };
}
