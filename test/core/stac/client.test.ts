import assert from 'node:assert/strict';
import { BadDataError, BadInputError, TransientError } from '../../../src/core/errors';
import {
  STAC_SEARCH_CONCURRENCY,
  StacClient,
  type StacClientOptions,
} from '../../../src/core/stac/client';
import {
  CONFORMS_CORE,
  CONFORMS_CQL2,
  CONFORMS_QUERY,
  type FakeReply,
  FakeStacApi,
  featureCollection,
  idsOf,
  type SearchHandler,
  syntheticItem,
} from './fake-stac-api';

describe('StacClient against a local STAC API', () => {
  let api: FakeStacApi | undefined;
  let sleeps: number[];

  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  async function serve(conformsTo: string[], search: SearchHandler): Promise<FakeStacApi> {
    api = await FakeStacApi.start({ conformsTo, search });
    return api;
  }

  function client(options: StacClientOptions = {}): StacClient {
    sleeps = [];
    return new StacClient({
      apiUrl: api!.url,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });
  }

  const window = { start: '2023-08-01T00:00:00Z', end: '2023-08-31T23:59:59Z' };
  const pages = [
    [syntheticItem('33TWL', 10), syntheticItem('33TWL', 13), syntheticItem('33TWL', 15)],
    [syntheticItem('33TWL', 18), syntheticItem('33TWL', 20)],
    [syntheticItem('33TWL', 23)],
  ];
  const allIds = pages.flat().map((item) => String(item.id));

  describe('pagination', () => {
    it('follows POST next links with merge: true, keeping the original search in every body', async () => {
      await serve(CONFORMS_CQL2, (request) => {
        const body = request.body as Record<string, unknown>;
        const page = typeof body.next === 'number' ? body.next : 0;
        const links =
          page < pages.length - 1
            ? [
                {
                  rel: 'next',
                  href: `${api!.url}/search`,
                  method: 'POST',
                  body: { next: page + 1 },
                  merge: true,
                },
              ]
            : [];
        return { json: featureCollection(pages[page]!, links) };
      });
      const result = await client().search({ tile: '33TWL', datetime: window, maxCloudCover: 20 });

      assert.deepEqual(idsOf(result.items), allIds);
      assert.equal(result.pages, 3);
      const [first, second, third] = api!.searches.map((r) => r.body as Record<string, unknown>);
      assert.equal(first!.next, undefined);
      for (const [body, token] of [
        [second, 1],
        [third, 2],
      ] as const) {
        assert.equal(body!.next, token);
        assert.deepEqual(body!.collections, ['sentinel-2-l2a']);
        assert.deepEqual(
          body!.filter,
          first!.filter,
          'merge keeps the filter of the first request',
        );
        assert.equal(body!.datetime, first!.datetime);
      }
    });

    it('sends exactly the link body when a POST next link says merge: false', async () => {
      const linkBody = { collections: ['sentinel-2-l2a'], token: 'page-2' };
      await serve(CONFORMS_CQL2, (_request, index) =>
        index === 0
          ? {
              json: featureCollection(pages[0]!, [
                {
                  rel: 'next',
                  href: `${api!.url}/search`,
                  method: 'POST',
                  body: linkBody,
                  merge: false,
                },
              ]),
            }
          : { json: featureCollection(pages[1]!) },
      );
      const result = await client().search({ tile: '33TWL', datetime: window });

      assert.deepEqual(idsOf(result.items), idsOf([...pages[0]!, ...pages[1]!]));
      assert.deepEqual(api!.searches[1]!.body, linkBody);
    });

    it('follows GET next links (href with query) when searching with GET', async () => {
      await serve(CONFORMS_CQL2, (request) => {
        assert.equal(request.method, 'GET');
        const page = Number(request.url.searchParams.get('page') ?? 0);
        const links =
          page < pages.length - 1
            ? [{ rel: 'next', href: `${api!.url}/search?page=${page + 1}` }]
            : [];
        return { json: featureCollection(pages[page]!, links) };
      });
      const result = await client({ method: 'GET' }).search({
        tile: '33TWL',
        datetime: window,
        maxCloudCover: 20,
        limit: 3,
      });

      assert.deepEqual(idsOf(result.items), allIds);
      assert.equal(result.pages, 3);
      const query = api!.searches[0]!.url.searchParams;
      assert.equal(query.get('collections'), 'sentinel-2-l2a');
      assert.equal(query.get('datetime'), '2023-08-01T00:00:00Z/2023-08-31T23:59:59Z');
      assert.equal(query.get('limit'), '3');
      assert.equal(query.get('filter-lang'), 'cql2-json');
      assert.ok(JSON.parse(query.get('filter')!), 'filter is CQL2-JSON text');
    });

    it('reports a next link back to a page already read as a BadDataError naming the URL', async () => {
      await serve(CONFORMS_CQL2, (_request, index) => {
        // The second page points back to the first request: an endless loop without the check.
        const next = index === 0 ? `${api!.url}/search?page=1` : api!.searches[0]!.url.href;
        return { json: featureCollection(pages[index]!, [{ rel: 'next', href: next }]) };
      });
      await assert.rejects(client({ method: 'GET' }).search({ tile: '33TWL' }), (error) => {
        assert.ok(error instanceof BadDataError);
        assert.equal(error.code, 'STAC_PAGE_LOOP');
        assert.ok(error.message.includes(api!.searches[0]!.url.href));
        return true;
      });
      assert.equal(api!.searches.length, 2);
    });

    it('reports a POST next link that repeats the same body as a page loop', async () => {
      await serve(CONFORMS_CQL2, () => ({
        json: featureCollection(pages[0]!, [
          {
            rel: 'next',
            href: `${api!.url}/search`,
            method: 'POST',
            body: { token: 'same' },
            merge: true,
          },
        ]),
      }));
      await assert.rejects(client().search({ tile: '33TWL' }), (error) => {
        assert.ok(error instanceof BadDataError);
        assert.equal(error.code, 'STAC_PAGE_LOOP');
        assert.ok(error.message.includes(`${api!.url}/search`));
        return true;
      });
    });

    it('stops with a BadDataError naming the URL after the maximum page count', async () => {
      await serve(CONFORMS_CQL2, (request) => {
        const page = Number(request.url.searchParams.get('page') ?? 0);
        return {
          json: featureCollection(
            [syntheticItem('33TWL', (page % 28) + 1)],
            [{ rel: 'next', href: `${api!.url}/search?page=${page + 1}` }],
          ),
        };
      });
      await assert.rejects(
        client({ method: 'GET', maxPages: 5 }).search({ tile: '33TWL' }),
        (error) => {
          assert.ok(error instanceof BadDataError);
          assert.equal(error.code, 'STAC_TOO_MANY_PAGES');
          assert.ok(error.message.includes(`${api!.url}/search?page=5`));
          return true;
        },
      );
      assert.equal(api!.searches.length, 5);
    });
  });

  describe('filters chosen from conformance', () => {
    const echo: SearchHandler = () => ({ json: featureCollection(pages[0]!) });

    it('sends a CQL2-JSON filter when the server declares filter and cql2-json', async () => {
      await serve(CONFORMS_CQL2, echo);
      const result = await client().search({ tile: '33TWL', maxCloudCover: 20, datetime: window });
      const body = api!.searches[0]!.body as Record<string, unknown>;

      assert.equal(result.filterMode, 'cql2-json');
      assert.equal(body['filter-lang'], 'cql2-json');
      assert.deepEqual(body.filter, {
        op: 'and',
        args: [
          { op: '<=', args: [{ property: 'eo:cloud_cover' }, 20] },
          { op: '=', args: [{ property: 'grid:code' }, 'MGRS-33TWL'] },
        ],
      });
      assert.equal(body.query, undefined);
    });

    it('falls back to the query extension when only query is declared', async () => {
      await serve(CONFORMS_QUERY, echo);
      const result = await client().search({ tile: 'T33TWL', maxCloudCover: 20 });
      const body = api!.searches[0]!.body as Record<string, unknown>;

      assert.equal(result.filterMode, 'query');
      assert.deepEqual(body.query, {
        'eo:cloud_cover': { lte: 20 },
        'grid:code': { eq: 'MGRS-33TWL' },
      });
      assert.equal(body.filter, undefined);
    });

    it('filters on the client when the server declares neither, excluding with reasons', async () => {
      const served = [
        syntheticItem('33TWL', 10),
        syntheticItem('33TWM', 10),
        syntheticItem('33TWL', 13, { cloudCover: 69.3 }),
        syntheticItem('33TWL', 15, { collection: 'sentinel-2-l1c' }),
      ];
      await serve(CONFORMS_CORE, () => ({ json: featureCollection(served) }));
      const result = await client().search({ tile: '33TWL', maxCloudCover: 20 });
      const body = api!.searches[0]!.body as Record<string, unknown>;

      assert.equal(result.filterMode, 'client');
      assert.equal(body.filter, undefined);
      assert.equal(body.query, undefined);
      assert.deepEqual(idsOf(result.items), [String(served[0]!.id)]);
      assert.deepEqual(
        result.excluded.map((e) => e.id),
        served.slice(1).map((item) => String(item.id)),
      );
      assert.match(result.excluded[0]!.reason, /tile 33TWM/);
      assert.match(result.excluded[1]!.reason, /cloud cover 69.3 > 20/);
      assert.match(result.excluded[2]!.reason, /collection sentinel-2-l1c/);
    });

    it('re-checks items on the client even when the server was sent a filter', async () => {
      // A server that declares CQL2 but ignores it: the cloudy item must still be left out.
      await serve(CONFORMS_CQL2, () => ({
        json: featureCollection([
          syntheticItem('33TWL', 10),
          syntheticItem('33TWL', 13, { cloudCover: 90 }),
        ]),
      }));
      const result = await client().search({ tile: '33TWL', maxCloudCover: 20 });
      assert.equal(result.items.length, 1);
      assert.equal(result.excluded.length, 1);
    });

    it('reads the landing page once per client', async () => {
      await serve(CONFORMS_CQL2, echo);
      const stac = client();
      await stac.search({ tile: '33TWL' });
      await stac.search({ tile: '33TWM' });
      assert.equal(api!.landingRequests.length, 1);
      assert.equal(api!.searches.length, 2);
    });
  });

  describe('retries', () => {
    function failThenServe(failures: FakeReply[]): SearchHandler {
      return (_request, index) => failures[index] ?? { json: featureCollection(pages[0]!) };
    }

    it('waits the Retry-After seconds of a 429, then succeeds', async () => {
      await serve(CONFORMS_CQL2, failThenServe([{ status: 429, headers: { 'retry-after': '2' } }]));
      const result = await client().search({ tile: '33TWL' });
      assert.equal(result.items.length, pages[0]!.length);
      assert.deepEqual(sleeps, [2000]);
    });

    it('reads a Retry-After given as an HTTP date against the injected clock', async () => {
      const now = Date.parse('2023-08-20T10:00:00Z');
      await serve(
        CONFORMS_CQL2,
        failThenServe([
          { status: 429, headers: { 'retry-after': 'Sun, 20 Aug 2023 10:00:05 GMT' } },
        ]),
      );
      await client({ now: () => now }).search({ tile: '33TWL' });
      assert.deepEqual(sleeps, [5000]);
    });

    it('retries 503 twice with growing backoff, then succeeds', async () => {
      await serve(CONFORMS_CQL2, failThenServe([{ status: 503 }, { status: 503 }]));
      const result = await client({ baseDelayMs: 100 }).search({ tile: '33TWL' });

      assert.equal(result.items.length, pages[0]!.length);
      assert.equal(api!.searches.length, 3);
      assert.equal(sleeps.length, 2);
      // Equal jitter: attempt n waits between half and all of base × 2^(n-1).
      assert.ok(sleeps[0]! >= 50 && sleeps[0]! <= 100, `first wait ${sleeps[0]}`);
      assert.ok(sleeps[1]! >= 100 && sleeps[1]! <= 200, `second wait ${sleeps[1]}`);
    });

    it('gives up on a persistent 500 with a retryable TransientError after the attempts', async () => {
      await serve(CONFORMS_CQL2, () => ({
        status: 500,
        json: { description: 'database unavailable' },
      }));
      await assert.rejects(client({ maxAttempts: 3 }).search({ tile: '33TWL' }), (error) => {
        assert.ok(error instanceof TransientError);
        assert.equal(error.retryable, true);
        assert.equal(error.code, 'STAC_HTTP_500');
        assert.match(error.message, /database unavailable/);
        assert.ok(error.message.includes(`${api!.url}/search`));
        return true;
      });
      assert.equal(api!.searches.length, 3);
    });

    it('retries 403 like 429 (Earth Search answers 403 under load), then succeeds', async () => {
      await serve(CONFORMS_CQL2, failThenServe([{ status: 403 }]));
      const result = await client().search({ tile: '33TWL' });
      assert.equal(result.items.length, pages[0]!.length);
      assert.equal(api!.searches.length, 2);
    });

    it('ends a persistent 403 as a TransientError saying access may be refused', async () => {
      await serve(CONFORMS_CQL2, () => ({ status: 403 }));
      await assert.rejects(client({ maxAttempts: 2 }).search({ tile: '33TWL' }), (error) => {
        assert.ok(error instanceof TransientError);
        assert.equal(error.code, 'STAC_HTTP_403');
        assert.match(
          error.message,
          /a 403 that persists means access is refused; check STAC_API_URL/,
        );
        return true;
      });
    });

    it('hands a Retry-After longer than it waits itself to the caller at once', async () => {
      await serve(CONFORMS_CQL2, () => ({ status: 429, headers: { 'retry-after': '600' } }));
      await assert.rejects(client().search({ tile: '33TWL' }), (error) => {
        assert.ok(error instanceof TransientError);
        assert.equal(error.retryAfterMs, 600_000);
        return true;
      });
      assert.equal(api!.searches.length, 1);
      assert.deepEqual(sleeps, []);
    });

    it('fails at once on 400 with a non-retryable error carrying URL, status and server message', async () => {
      await serve(CONFORMS_CQL2, () => ({
        status: 400,
        json: { code: 'BadRequest', description: 'Invalid datetime parameter' },
      }));
      await assert.rejects(client().search({ tile: '33TWL' }), (error) => {
        assert.ok(error instanceof BadInputError);
        assert.equal(error.retryable, false);
        assert.equal(error.code, 'STAC_HTTP_400');
        assert.ok(error.message.includes(`${api!.url}/search`));
        assert.match(error.message, /HTTP 400/);
        assert.match(error.message, /Invalid datetime parameter/);
        return true;
      });
      assert.equal(api!.searches.length, 1);
    });

    it('reports malformed JSON as BadDataError without retrying', async () => {
      await serve(CONFORMS_CQL2, () => ({ text: '{"type":"FeatureCollection","features":[' }));
      await assert.rejects(client().search({ tile: '33TWL' }), (error) => {
        assert.ok(error instanceof BadDataError);
        assert.equal(error.code, 'STAC_BAD_JSON');
        return true;
      });
      assert.equal(api!.searches.length, 1);
    });

    it('reports a FeatureCollection without features as BadDataError', async () => {
      await serve(CONFORMS_CQL2, () => ({ json: { type: 'FeatureCollection', links: [] } }));
      await assert.rejects(client().search({ tile: '33TWL' }), (error) => {
        assert.ok(error instanceof BadDataError);
        assert.equal(error.code, 'STAC_BAD_PAGE');
        assert.match(error.message, /features/);
        return true;
      });
    });

    it('times out a request that never answers and reports it as transient', async () => {
      await serve(CONFORMS_CQL2, () => new Promise<FakeReply>(() => {}));
      await assert.rejects(
        client({ timeoutMs: 50, maxAttempts: 2 }).search({ tile: '33TWL' }),
        (error) => {
          assert.ok(error instanceof TransientError);
          assert.equal(error.code, 'STAC_TIMEOUT');
          return true;
        },
      );
      assert.equal(api!.searches.length, 2);
    });

    it('reports a refused connection as a transient network error', async () => {
      await serve(CONFORMS_CQL2, () => ({ json: featureCollection([]) }));
      const url = api!.url;
      await api!.close();
      api = undefined;
      const stac = new StacClient({ apiUrl: url, maxAttempts: 2, sleep: async () => {} });
      await assert.rejects(stac.search({ tile: '33TWL' }), (error) => {
        assert.ok(error instanceof TransientError);
        assert.equal(error.code, 'STAC_NETWORK');
        return true;
      });
    });
  });

  describe('searchTiles', () => {
    it('searches many tiles with at most STAC_SEARCH_CONCURRENCY requests in flight', async () => {
      const tiles = [
        '33TWL',
        '33TWM',
        '33TXL',
        '33TXM',
        '33TVL',
        '33TVM',
        '33UWP',
        '33UXP',
        '34TCR',
        '34TDR',
      ];
      // Searches are held until as many as the limit wait, then 50 ms more so that any extra
      // search a client sends beyond the limit arrives and is counted; a lone straggler is freed
      // after 300 ms. A client running fewer at once never reaches the limit, one running more
      // exceeds it.
      const held: Array<() => void> = [];
      let releasing = false;
      await serve(CONFORMS_CQL2, async (request) => {
        await new Promise<void>((resolve) => {
          held.push(resolve);
          if (held.length >= STAC_SEARCH_CONCURRENCY && !releasing) {
            releasing = true;
            setTimeout(() => {
              releasing = false;
              for (const release of held.splice(0)) release();
            }, 50);
          }
          setTimeout(resolve, 300);
        });
        const filter = JSON.stringify((request.body as Record<string, unknown>).filter);
        const tile = /MGRS-(\w{5})/.exec(filter)![1]!;
        return { json: featureCollection([syntheticItem(tile, 12)]) };
      });
      const results = await client().searchTiles(tiles, window);

      assert.equal(api!.maxSearchesInFlight, STAC_SEARCH_CONCURRENCY);
      assert.deepEqual(
        results.map((r) => r.tile),
        tiles,
      );
      for (const result of results) {
        assert.deepEqual(idsOf(result.items), [`S2B_${result.tile}_20230812_0_L2A`]);
      }
    });
  });
});
