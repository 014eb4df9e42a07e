import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { ApiKeyRecord, ApiScope } from '../store/db/api-keys';
import { checkApiKey, touchApiKey } from '../store/db/api-keys';
import type { Database } from '../store/db/database';
import type { AttributeFilter } from '../store/db/parcel-selector';
import { teamRole } from '../store/db/team-access';
import { ApiError } from './errors';
import type { RateLimiter } from './rate-limit';

/**
 * Who may call what. Every route states a scope: `public` (health, the OpenAPI document, the web
 * page's files), `read` or `write`. Anything under /v1 without one counts as `read`, so a route
 * added without thought is closed, not open. The key comes as `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`; it is never logged (only its public prefix is).
 *
 * A key belongs to a team. Its reads run as the team's database role, so row-level security shows
 * them the team's parcels, observations and weekly rows only (plus those of teams granted to it);
 * its writes touch its team's parcels only. There is no key that sees every team: operators use
 * the CLI, and a team that needs another's data is granted it (`parcelwatch teams grant`).
 */

export type RouteScope = 'public' | ApiScope;

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
  interface FastifyRequest {
    /** The key the request was made with (routes other than public ones). */
    apiKey?: ApiKeyRecord;
    /** The database role of the key's team, which the request's reads run as. */
    teamRole?: string;
  }
}

/** How often a key's `last_used_at` is written at most: a write per request would be a waste. */
const TOUCH_INTERVAL_MS = 60_000;
const CHALLENGE = { 'www-authenticate': 'Bearer realm="parcelwatch"' };

export function authenticate(db: Database, limiter: RateLimiter): onRequestAsyncHookHandler {
  const touched = new Map<number, number>();
  return async function authenticateRequest(request: FastifyRequest, reply) {
    const scope = routeScope(request);
    if (scope === 'public') return;
    const presented = presentedKey(request);
    if (!presented) {
      throw new ApiError(
        401,
        'unauthorized',
        'this route needs an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>" (create one with `parcelwatch api keys create`)',
        undefined,
        CHALLENGE,
      );
    }
    const check = await checkApiKey(db, presented);
    if (check.status === 'unknown') {
      throw new ApiError(401, 'unauthorized', 'the API key is not valid', undefined, CHALLENGE);
    }
    if (check.status === 'revoked') {
      request.log.info({ key: check.key.prefix }, 'revoked API key presented');
      throw new ApiError(
        401,
        'unauthorized',
        `the API key ${check.key.prefix} was revoked on ${check.key.revokedAt}; ask for a new one`,
        undefined,
        CHALLENGE,
      );
    }
    const key = check.key;
    if (scope !== 'any' && !key.scopes.includes(scope)) {
      throw new ApiError(
        403,
        'forbidden',
        `this route needs the "${scope}" scope; the key ${key.prefix} has ${key.scopes.join(', ')}`,
        { required: scope, granted: key.scopes },
      );
    }
    const decision = limiter.take(String(key.id));
    if (!decision.allowed) {
      throw new ApiError(
        429,
        'rate_limited',
        `too many requests with the key ${key.prefix}; retry in ${decision.retryAfterSeconds} s`,
        { retryAfterSeconds: decision.retryAfterSeconds },
        { 'retry-after': String(decision.retryAfterSeconds) },
      );
    }
    void reply.header('ratelimit-remaining', String(decision.remaining));
    const role = await teamRole(db, key.team);
    if (!role) {
      throw new ApiError(
        403,
        'forbidden',
        `the team "${key.team}" of the key ${key.prefix} has no database role, so the key can read nothing; an administrator runs \`parcelwatch teams add ${key.team}\``,
        { team: key.team },
      );
    }
    request.apiKey = key;
    request.teamRole = role;
    const now = Date.now();
    if (now - (touched.get(key.id) ?? 0) >= TOUCH_INTERVAL_MS) {
      touched.set(key.id, now);
      await touchApiKey(db, key.id);
    }
  };
}

/** The key of a request to a non-public route (authenticate set it, or refused the request). */
export function keyOf(request: FastifyRequest): ApiKeyRecord {
  if (!request.apiKey) throw new Error(`${request.url} was reached without an API key`);
  return request.apiKey;
}

/** How the audit log names a key: `key:<name>@<team>` (its prefix goes in the details). */
export function apiActor(key: ApiKeyRecord): string {
  return `key:${key.name}@${key.team}`;
}

/** The condition keeping a key's writes to its own team's parcels. */
export function ownTeamOnly(key: ApiKeyRecord): AttributeFilter {
  return { field: 'owner_team', op: '=', value: key.team };
}

/**
 * The scope a request needs. A URL no route serves under /v1 needs a key (route names are not
 * shown to strangers) but no scope: any valid key gets its 404, whatever it may do.
 */
function routeScope(request: FastifyRequest): RouteScope | 'any' {
  const declared = request.routeOptions.config?.scope;
  if (declared) return declared;
  return request.url.startsWith('/v1/') || request.url === '/v1' ? 'any' : 'public';
}

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() ? header.trim() : undefined;
}
