import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that plays a STAC API for the client tests: a landing page with
 * chosen `conformsTo`, and a `/search` answered by the test. It records every request and the
 * largest number of searches in flight at once.
 */

export const CONFORMS_CORE = [
  'https://api.stacspec.org/v1.0.0/core',
  'https://api.stacspec.org/v1.0.0/item-search',
];
export const CONFORMS_QUERY = [
  ...CONFORMS_CORE,
  'https://api.stacspec.org/v1.0.0/item-search#query',
];
export const CONFORMS_CQL2 = [
  ...CONFORMS_QUERY,
  'https://api.stacspec.org/v1.0.0-rc.2/item-search#filter',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2',
  'http://www.opengis.net/spec/cql2/1.0/conf/cql2-json',
];

export interface FakeRequest {
  method: string;
  url: URL;
  /** Parsed JSON body, `undefined` for GET. */
  body: unknown;
}

export interface FakeReply {
  status?: number;
  json?: unknown;
  /** Raw body, sent as is (for malformed answers). */
  text?: string;
  headers?: Record<string, string>;
}

export type SearchHandler = (request: FakeRequest, index: number) => FakeReply | Promise<FakeReply>;

export class FakeStacApi {
  readonly requests: FakeRequest[] = [];
  maxSearchesInFlight = 0;
  private searchesInFlight = 0;

  private constructor(
    private readonly server: http.Server,
    /** The API root, e.g. `http://127.0.0.1:41234/v1`. */
    readonly url: string,
  ) {}

  /** Starts a server whose landing page declares `conformsTo` and whose searches `search` answers. */
  static async start(options: {
    conformsTo: string[];
    search: SearchHandler;
  }): Promise<FakeStacApi> {
    let api: FakeStacApi | undefined;
    const server = http.createServer((req, res) => {
      void api!.handle(req, res, options.conformsTo, options.search);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    api = new FakeStacApi(server, `http://127.0.0.1:${port}/v1`);
    return api;
  }

  /** The recorded `/search` requests, in arrival order. */
  get searches(): FakeRequest[] {
    return this.requests.filter((r) => r.url.pathname === '/v1/search');
  }

  get landingRequests(): FakeRequest[] {
    return this.requests.filter((r) => r.url.pathname === '/v1/');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    conformsTo: string[],
    search: SearchHandler,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', this.url),
      body: text ? JSON.parse(text) : undefined,
    };
    this.requests.push(request);

    let reply: FakeReply;
    if (request.url.pathname === '/v1/' || request.url.pathname === '/v1') {
      reply = { json: landingPage(this.url, conformsTo) };
    } else if (request.url.pathname === '/v1/search') {
      this.searchesInFlight++;
      this.maxSearchesInFlight = Math.max(this.maxSearchesInFlight, this.searchesInFlight);
      try {
        reply = await search(request, this.searches.length - 1);
      } finally {
        this.searchesInFlight--;
      }
    } else {
      reply = { status: 404, json: { code: 'NotFound', description: 'no such path' } };
    }
    const body = reply.text ?? JSON.stringify(reply.json ?? {});
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  }
}

export function landingPage(root: string, conformsTo: string[]): Record<string, unknown> {
  return {
    type: 'Catalog',
    id: 'fake-stac-api',
    description: 'A fake STAC API for tests',
    stac_version: '1.0.0',
    conformsTo,
    links: [
      { rel: 'self', href: `${root}/` },
      { rel: 'search', href: `${root}/search`, type: 'application/geo+json', method: 'GET' },
      { rel: 'search', href: `${root}/search`, type: 'application/geo+json', method: 'POST' },
    ],
  };
}

/** A minimal Earth Search v1-like item of `tile`, acquired on `day` of August 2023. */
export function syntheticItem(
  tile: string,
  day: number,
  overrides: { cloudCover?: number; collection?: string } = {},
): Record<string, unknown> {
  const date = `2023-08-${String(day).padStart(2, '0')}`;
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    id: `S2B_${tile}_${date.replaceAll('-', '')}_0_L2A`,
    collection: overrides.collection ?? 'sentinel-2-l2a',
    bbox: [15, 45, 16, 46],
    geometry: null,
    properties: {
      datetime: `${date}T09:58:11.072000Z`,
      'eo:cloud_cover': overrides.cloudCover ?? 5,
      'grid:code': `MGRS-${tile}`,
    },
    assets: {},
    links: [],
  };
}

export function featureCollection(
  features: unknown[],
  links: Record<string, unknown>[] = [],
): Record<string, unknown> {
  return { type: 'FeatureCollection', features, links };
}

/** Item ids of a search result, for comparing with what the server served. */
export function idsOf(items: readonly Record<string, unknown>[]): string[] {
  return items.map((item) => String(item.id));
}
