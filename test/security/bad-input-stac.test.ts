import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { SearchScenesResult } from '../../src/activities/contracts';
import type { ActivityDeps } from '../../src/activities/deps';
import { searchActivities } from '../../src/activities/search';
import { loadConfig } from '../../src/config';
import type { ParcelwatchError } from '../../src/core/errors';
import { StacClient } from '../../src/core/stac/client';
import { MAX_RESPONSE_BYTES } from '../../src/core/stac/http';
import { JsonLogger } from '../../src/telemetry/logger';
import { fixture } from '../helpers/fixtures';
import {
  type HostileStac,
  page,
  type RawAnswer,
  type Scenario,
  startHostileStac,
} from './hostile-stac';
import { type SecurityStore, securityStore } from './security-store';
import { leavesStoreUnchanged } from './snapshot';

/**
 * Bad-input corpus, STAC responses: a local server answering the pipeline's scene search with
 * malformed JSON, HTML, endless or looping pages, huge bodies, HTTP errors, and items without
 * assets, with absurd coordinates or pointing at local files. Each search goes through the real
 * `searchScenes` activity on the shared store: a broken answer fails it with an error naming the
 * problem, a broken item is skipped with its reason, and no scene row is written for either.
 */

/** A real Earth Search v1 item of tile 33TWL (15 Aug 2023), with absolute asset hrefs. */
function realItem(): Record<string, unknown> & { assets: Record<string, { href: string }> } {
  const item = JSON.parse(
    readFileSync(fixture('earth-search-v1', 'items', 'S2A_33TWL_20230815_0_L2A.json'), 'utf8'),
  );
  for (const asset of Object.values(item.assets) as Array<{ href: string }>) {
    asset.href = `https://sentinel-cogs.example/33/T/WL/${asset.href}`;
  }
  return item;
}

/** The real item changed by `edit`. */
function itemWith(edit: (item: ReturnType<typeof realItem>) => void): unknown {
  const item = realItem();
  edit(item);
  return item;
}

/** The activity logs its failures; these are expected. */
const QUIET = new JsonLogger({ service: 'bad-input-corpus', write: () => undefined });

const items =
  (...features: unknown[]): Scenario =>
  () =>
    page(features);
const raw =
  (answer: RawAnswer): Scenario =>
  () =>
    answer;

interface FailedSearch {
  name: string;
  scenario: Scenario | { landing: RawAnswer };
  code: string;
  message: RegExp;
  /** Search requests the server saw (the bound on a runaway). */
  searches?: number;
}

const FAILED_SEARCHES: FailedSearch[] = [
  {
    name: 'malformed JSON',
    scenario: raw({ body: '{"type":"FeatureCollection","features":[{"id": "S2A_33TWL' }),
    code: 'STAC_BAD_JSON',
    message:
      /answered HTTP 200 with malformed JSON \(Unterminated string in JSON at position 57; starts with "\{\\"type\\":\\"FeatureCollection\\",/,
  },
  {
    name: 'an HTML page with status 200 (the wrong content type)',
    scenario: raw({ contentType: 'text/html', body: '<html><body>Please log in</body></html>' }),
    code: 'STAC_NOT_JSON',
    message: /answered HTTP 200 with text\/html, not JSON \(starts with "<html><body>Please log in/,
  },
  {
    name: 'an endless chain of distinct next pages',
    scenario: (url) => {
      const next = Number(url.searchParams.get('page') ?? 0) + 1;
      return page(
        [itemWith((item) => (item.id = `S2A_33TWL_20230815_${next}_L2A`))],
        [{ rel: 'next', href: `${url.origin}${url.pathname}?page=${next}`, method: 'GET' }],
      );
    },
    code: 'STAC_TOO_MANY_PAGES',
    message: /still a next page after 100 pages; narrow the search \(window, tile\)/,
    searches: 100,
  },
  {
    name: 'a next link back to the page itself',
    scenario: (url) =>
      page(
        [realItem()],
        [{ rel: 'next', href: `${url.origin}${url.pathname}?page=1`, method: 'GET' }],
      ),
    code: 'STAC_PAGE_LOOP',
    message:
      /the next link points back to a page already read \(page 3\); the server's pagination loops/,
    searches: 2,
  },
  {
    name: 'a FeatureCollection whose features are no array',
    scenario: raw({ body: '{"type":"FeatureCollection","features":{"0":{}}}' }),
    code: 'STAC_BAD_PAGE',
    message:
      /the answer is not a FeatureCollection with a "features" array \(got keys type, features\)/,
  },
  {
    name: 'a landing page that is no JSON object',
    scenario: { landing: { contentType: 'application/json', body: '["not", "a", "catalog"]' } },
    code: 'STAC_BAD_LANDING',
    message: /the landing page is not a JSON object; check STAC_API_URL points at a STAC API root/,
  },
  {
    name: `an answer larger than ${MAX_RESPONSE_BYTES / 1024 ** 2} MiB`,
    scenario: raw({ body: Buffer.alloc(MAX_RESPONSE_BYTES + 1024, 0x20) }),
    code: 'STAC_TOO_LARGE',
    message: new RegExp(
      `answered (over )?\\d+ bytes, more than the ${MAX_RESPONSE_BYTES} bytes a STAC page may take`,
    ),
  },
  {
    name: 'HTTP 404',
    scenario: raw({ status: 404, contentType: 'text/plain', body: 'collection not found' }),
    code: 'STAC_HTTP_404',
    message:
      /answered HTTP 404: "collection not found"; no such resource; check STAC_API_URL and the collection name — retrying will not help/,
  },
  {
    name: 'HTTP 503 on every attempt',
    scenario: raw({
      status: 503,
      contentType: 'application/json',
      body: '{"message":"overloaded"}',
    }),
    code: 'STAC_HTTP_503',
    message:
      /failed after 2 attempt\(s\): HTTP 503: "overloaded"; the server or network is having trouble — the run will retry later/,
    searches: 2,
  },
];

interface SkippedItem {
  name: string;
  item: () => unknown;
  reason: RegExp;
}

const SKIPPED_ITEMS: SkippedItem[] = [
  {
    name: 'an item without assets',
    item: () => itemWith((item) => Reflect.deleteProperty(item, 'assets')),
    reason: /^no assets$/,
  },
  {
    name: 'an item without its SCL asset',
    item: () => itemWith((item) => Reflect.deleteProperty(item.assets, 'scl')),
    reason: /missing asset .*scl/i,
  },
  {
    name: 'an item with absurd coordinates',
    item: () => itemWith((item) => (item.bbox = [-500, 95, 1e9, 1e9])),
    reason: /bbox \[-500,95,1000000000,1000000000\] is not WGS 84 lon\/lat/,
  },
  {
    name: 'an item whose bbox overflows to Infinity',
    item: () =>
      JSON.parse(
        JSON.stringify(realItem()).replace(/"bbox":\[[^\]]*\]/, '"bbox":[1e400,45,15,46]'),
      ),
    reason: /bbox \[null,45,15,46\] holds values that are not finite numbers/,
  },
  {
    name: 'an item pointing at a local file',
    item: () => itemWith((item) => (item.assets.red!.href = 'file:///etc/shadow')),
    reason:
      /asset red points to "file:\/\/\/etc\/shadow", a file: URL, which this catalogue's items may not use \(only https, http, s3\)/,
  },
  {
    name: 'an item with a datetime that is no date',
    item: () =>
      itemWith(
        (item) =>
          ((item.properties as Record<string, unknown>).datetime =
            "2023-08-15'; DROP TABLE scenes; --"),
      ),
    reason: /unparseable datetime "2023-08-15'; DROP TABLE scenes; --" \(RFC 3339 expected\)/,
  },
];

describe('bad-input corpus: STAC responses', function () {
  this.timeout(60_000);
  let store: SecurityStore;
  let stac: HostileStac;
  const scenarios: Record<string, Scenario | { landing: RawAnswer }> = {};
  const names = new Map<string, string>();
  [...FAILED_SEARCHES, ...SKIPPED_ITEMS].forEach((c, i) => {
    names.set(c.name, `case-${i}`);
    scenarios[`case-${i}`] = 'scenario' in c ? c.scenario : items(c.item());
  });

  before(async () => {
    store = await securityStore();
    stac = await startHostileStac(scenarios);
  });
  after(async () => {
    await stac?.close();
  });

  /** The searchScenes activity of the shared store against one scenario of the server. */
  function searchScenes(name: string): Promise<SearchScenesResult> {
    const apiUrl = stac.url(names.get(name)!);
    const config = loadConfig({ ...store.env, STAC_API_URL: apiUrl });
    const client = new StacClient({ apiUrl, maxAttempts: 2, sleep: async () => undefined });
    const deps = { db: store.db, config, stac: client } as unknown as ActivityDeps;
    assert.equal(store.group.tile, '33TWL', 'the seeded group lies in the tile of the real item');
    return new MockActivityEnvironment({}, { logger: QUIET }).run(
      searchActivities(deps).searchScenes,
      {
        groupId: store.group.id,
        tile: store.group.tile,
        window: { start: '2023-08-14T00:00:00Z', end: '2023-08-16T23:59:59Z' },
      },
    );
  }

  for (const bad of FAILED_SEARCHES) {
    it(`fails the search on ${bad.name}, naming it, and stores no scene`, async () => {
      await leavesStoreUnchanged(store, bad.name, async () => {
        const error = await searchScenes(bad.name).then(
          () => assert.fail(`the search accepted ${bad.name}`),
          (e: ParcelwatchError) => e,
        );
        assert.equal(error.code, bad.code, error.message);
        assert.match(error.message, bad.message);
      });
      if (bad.searches !== undefined) {
        assert.equal(stac.searches(names.get(bad.name)!), bad.searches);
      }
    });
  }

  for (const bad of SKIPPED_ITEMS) {
    it(`skips ${bad.name} with its reason, and stores no scene`, async () => {
      const result = await leavesStoreUnchanged(store, bad.name, () => searchScenes(bad.name));
      assert.deepEqual(result.scenes, []);
      assert.equal(result.skipped.length, 1);
      assert.equal(result.skipped[0]!.id, 'S2A_33TWL_20230815_0_L2A');
      assert.match(result.skipped[0]!.reason, bad.reason);
    });
  }
});
