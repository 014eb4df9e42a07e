import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BadInputError } from '../../src/core/errors';
import { type Catalog, collectionOf, loadCatalog } from './catalog';
import { findCogFile, type Served, serveFile } from './cog-files';
import { CONFORMANCE, GEOJSON, JSON_TYPE, StacDocuments } from './documents';
import { FaultInjector, FaultSettingsError } from './faults';
import { encodeToken, parseSearch, SearchError } from './search';

/**
 * A local STAC API over directories written by the synthetic generator (`items/*.json`,
 * `cogs/**`): landing page, conformance, collections, item search (GET and POST, bbox,
 * intersects, datetime, ids, collections, query, CQL2-JSON filter, paging) and the COGs
 * themselves with byte ranges. Faults (429, 5xx, delays) can be injected from the test process
 * (`server.faults.set`) or over HTTP (`POST /_admin/faults`). Every request but /_admin is logged.
 */
export interface StacServerOptions {
  dataDir?: string;
  dataDirs?: string[];
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  /** Query string without the '?', '' when none. */
  query: string;
  /** The Range header, when sent. */
  range?: string;
  status: number;
  /** Body bytes sent (0 until the answer is complete). */
  bytes: number;
  /** `429`, `503`, ... when the answer was an injected fault. */
  fault?: string;
  /** Time the request arrived, ms since the epoch. */
  at: number;
}

export interface StacServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:43123 */
  url: string;
  faults: FaultInjector;
  /** The request log; clear it with `requests.length = 0`. */
  requests: RequestLogEntry[];
  /** Reads the data directories again (after generating more data). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** POST bodies larger than this are refused; a search body is a few KB. */
const MAX_BODY_BYTES = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ERROR_CODES: Record<number, string> = {
  400: 'BadRequest',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  500: 'InternalServerError',
};

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

export async function startStacServer(options: StacServerOptions): Promise<StacServer> {
  const dataDirs = options.dataDirs ?? (options.dataDir ? [options.dataDir] : []);
  if (dataDirs.length === 0) {
    throw new BadInputError(
      'STAC server: give dataDir or dataDirs (directories holding items/ and cogs/)',
      {
        code: 'STAC_SERVER_NO_DATA',
      },
    );
  }
  let catalog: Catalog = await loadCatalog(dataDirs);
  const cogDirs = () => dataDirs.map((dir) => join(dir, 'cogs'));
  const faults = new FaultInjector();
  const requests: RequestLogEntry[] = [];
  const host = options.host ?? '127.0.0.1';
  let base = '';

  const documents = () => new StacDocuments(base, catalog, dataDirs);

  /** A GET `next` link: the same query string with the next token. */
  const getNext = (path: string, query: URLSearchParams) => (offset: number) => {
    const params = new URLSearchParams(query);
    params.set('token', encodeToken(offset));
    return { href: `${base}${path}?${params}`, method: 'GET' };
  };

  const searchParams = (query: URLSearchParams) => Object.fromEntries(query.entries());

  type Answer = { status: number; body: unknown; type?: string } | { file: string };

  async function route(
    request: IncomingMessage,
    path: string,
    query: URLSearchParams,
  ): Promise<Answer> {
    const method = request.method ?? 'GET';
    const allow = (...methods: string[]) => {
      if (!methods.includes(method))
        throw new HttpError(
          405,
          `${method} is not allowed on ${path}; use ${methods.join(' or ')}`,
        );
    };
    const parts = path
      .split('/')
      .filter(Boolean)
      .map((part) => {
        try {
          return decodeURIComponent(part);
        } catch {
          throw new HttpError(400, `path segment "${part}" is not valid percent-encoding`);
        }
      });
    if (parts[0] === '_admin') return admin(request, parts[1], method);
    if (parts[0] === 'cogs') {
      allow('GET', 'HEAD');
      const file = await findCogFile(cogDirs(), parts.slice(1).join('/'));
      if (!file) throw new HttpError(404, `no COG at ${path}`);
      return { file };
    }
    if (parts.length === 0) {
      allow('GET');
      return { status: 200, body: documents().landing() };
    }
    if (parts[0] === 'conformance' && parts.length === 1) {
      allow('GET');
      return { status: 200, body: { conformsTo: CONFORMANCE } };
    }
    if (parts[0] === 'search' && parts.length === 1) {
      allow('GET', 'POST');
      if (method === 'GET') {
        return {
          status: 200,
          type: GEOJSON,
          body: documents().results(
            parseSearch(searchParams(query)),
            getNext('/search', query),
            `${base}${path}?${query}`,
          ),
        };
      }
      const body = await readBody(request);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new HttpError(400, 'search body must be a JSON object');
      const params = body as Record<string, unknown>;
      const results = documents().results(
        parseSearch(params),
        (offset) => ({
          href: `${base}/search`,
          method: 'POST',
          body: { token: encodeToken(offset) },
          merge: true,
        }),
        `${base}/search`,
      );
      return { status: 200, type: GEOJSON, body: results };
    }
    if (parts[0] === 'collections') {
      allow('GET');
      if (parts.length === 1) {
        return { status: 200, body: documents().collections() };
      }
      const id = parts[1];
      if (!catalog.collections.includes(id))
        throw new HttpError(404, `collection ${id} does not exist; see ${base}/collections`);
      if (parts.length === 2) return { status: 200, body: documents().collection(id) };
      if (parts[2] === 'items' && parts.length === 3) {
        const params = searchParams(query);
        const allowed = new Set(['bbox', 'datetime', 'limit', 'token']);
        const extra = Object.keys(params).filter((k) => !allowed.has(k));
        if (extra.length)
          throw new HttpError(
            400,
            `unsupported parameter(s) for items: ${extra.join(', ')}; use /search`,
          );
        const request = parseSearch({ ...params, collections: [id] });
        return {
          status: 200,
          type: GEOJSON,
          body: documents().results(request, getNext(path, query), `${base}${path}?${query}`),
        };
      }
      if (parts[2] === 'items' && parts.length === 4) {
        const entry = catalog.byId.get(parts[3]);
        if (!entry || collectionOf(entry) !== id)
          throw new HttpError(404, `item ${parts[3]} is not in collection ${id}`);
        return { status: 200, type: GEOJSON, body: documents().item(entry) };
      }
    }
    throw new HttpError(404, `nothing at ${path}`);
  }

  async function admin(
    request: IncomingMessage,
    what: string | undefined,
    method: string,
  ): Promise<Answer> {
    if (what === 'faults') {
      if (method === 'GET') return { status: 200, body: faults.settings };
      if (method === 'DELETE') {
        faults.clear();
        return { status: 200, body: faults.settings };
      }
      if (method === 'POST' || method === 'PUT') {
        const body = await readBody(request);
        try {
          faults.set(body as Record<string, never>);
        } catch (error) {
          if (error instanceof FaultSettingsError) throw new HttpError(400, error.message);
          throw error;
        }
        return { status: 200, body: faults.settings };
      }
    }
    if (what === 'requests') {
      if (method === 'GET') return { status: 200, body: requests };
      if (method === 'DELETE') {
        requests.length = 0;
        return { status: 200, body: [] };
      }
    }
    if (what === 'reload' && method === 'POST') {
      catalog = await loadCatalog(dataDirs);
      return { status: 200, body: { items: catalog.entries.length } };
    }
    throw new HttpError(404, `no admin endpoint ${method} /_admin/${what ?? ''}`);
  }

  const sendJson = (
    response: ServerResponse,
    status: number,
    body: unknown,
    type = JSON_TYPE,
    headers: Record<string, string> = {},
  ): Served => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    response.end(text);
    return { status, bytes: Buffer.byteLength(text) };
  };

  const server = createServer(async (request, response) => {
    const at = Date.now();
    const url = new URL(request.url ?? '/', 'http://local');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    response.setHeader('Access-Control-Allow-Origin', '*');
    // Logged on arrival, so the log keeps request order; the outcome is filled in when sent.
    const range = request.headers.range;
    const entry: RequestLogEntry | undefined = path.startsWith('/_admin')
      ? undefined
      : {
          method: request.method ?? 'GET',
          path,
          query: url.search.slice(1),
          ...(range ? { range } : {}),
          status: 0,
          bytes: 0,
          at,
        };
    if (entry) requests.push(entry);
    let fault: string | undefined;
    const record = (served: Served) => {
      if (!entry) return;
      entry.status = served.status;
      entry.bytes = served.bytes;
      if (fault) entry.fault = fault;
    };
    try {
      const decision = faults.decide(path);
      if (decision.delayMs > 0) await sleep(decision.delayMs);
      if (decision.status !== undefined) {
        fault = String(decision.status);
        const headers: Record<string, string> =
          decision.retryAfterSeconds !== undefined
            ? { 'Retry-After': String(decision.retryAfterSeconds) }
            : {};
        const body = {
          code: ERROR_CODES[decision.status] ?? 'ServiceUnavailable',
          description: `injected fault for ${path}`,
        };
        record(sendJson(response, decision.status, body, JSON_TYPE, headers));
      } else {
        const answer = await route(request, path, url.searchParams);
        if ('file' in answer) await serveFile(answer.file, request, response, record);
        else record(sendJson(response, answer.status, answer.body, answer.type));
      }
    } catch (error) {
      const status =
        error instanceof HttpError ? error.status : error instanceof SearchError ? 400 : 500;
      const description = error instanceof Error ? error.message : String(error);
      if (response.headersSent) {
        // The body was streaming when it failed: cut the connection so the client sees it.
        response.destroy();
      } else {
        record(sendJson(response, status, { code: ERROR_CODES[status] ?? 'Error', description }));
      }
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: base,
    faults,
    requests,
    reload: async () => {
      catalog = await loadCatalog(dataDirs);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
