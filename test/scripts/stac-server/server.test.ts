import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proj4 from 'proj4';
import { type StacServer, startStacServer } from '../../../scripts/stac-server/server';
import { generateSynthetic, type SyntheticDataset } from '../../../scripts/synthetic/generate';

interface Item {
  id: string;
  bbox: number[];
  properties: Record<string, unknown> & { datetime: string };
  assets: Record<string, { href: string }>;
  links: Array<{ rel: string; href: string }>;
}

interface ItemCollection {
  features: Item[];
  links: Array<{
    rel: string;
    href: string;
    method?: string;
    body?: Record<string, unknown>;
    merge?: boolean;
  }>;
  numberMatched: number;
  numberReturned: number;
}

/** The JSON error body every non-2xx answer carries. */
async function errorOf(response: Response): Promise<{ code: string; description: string }> {
  return (await response.json()) as { code: string; description: string };
}

const toLonLat = proj4('+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs', 'WGS84');
/** A small lon/lat box around a UTM 33N point. */
function boxAround(x: number, y: number): number[] {
  const [lon0, lat0] = toLonLat.forward([x - 100, y - 100]);
  const [lon1, lat1] = toLonLat.forward([x + 100, y + 100]);
  return [lon0, lat0, lon1, lat1];
}

/** Y only 33TWM covers (above 33TWL's top edge) and only 33TWL covers (below 33TWM's bottom). */
const NORTH_ONLY: [number, number] = [541000, 5101500];
const SOUTH_ONLY: [number, number] = [541000, 5089500];
const DATES = ['2024-06-03', '2024-06-06', '2024-06-10'];

describe('local STAC API server', function () {
  this.timeout(60_000);
  let root: string;
  let data: SyntheticDataset;
  let extra: SyntheticDataset;
  let server: StacServer;
  let onDisk: Item[];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'stac-server-'));
    data = await generateSynthetic({
      out: join(root, 'main'),
      seed: 5,
      region: [540000, 5089000, 542000, 5102000],
      parcels: 20,
      dates: DATES,
      scenes: {
        '2024-06-03': { cloudFraction: 0 },
        '2024-06-06': { cloudFraction: 0.4 },
        '2024-06-10': { cloudFraction: 0.15 },
      },
      bands: ['B04', 'SCL'],
      tileSize: 128,
    });
    extra = await generateSynthetic({
      out: join(root, 'extra'),
      seed: 6,
      tiles: ['33TWL'],
      region: [560000, 5040000, 562000, 5042000],
      parcels: 5,
      dates: ['2024-06-20'],
      bands: ['SCL'],
      tileSize: 128,
    });
    server = await startStacServer({ dataDirs: [data.dir, extra.dir] });
    onDisk = [...data.scenes, ...extra.scenes].map((s) =>
      JSON.parse(readFileSync(s.itemPath, 'utf8')),
    );
  });
  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.faults.clear();
    server.requests.length = 0;
  });

  const get = async (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
  const getJson = async <T>(path: string): Promise<T> => {
    const response = await get(path);
    assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const post = async (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const postJson = async <T>(body: unknown): Promise<T> => {
    const response = await post('/search', body);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as T;
  };
  const ids = (collection: ItemCollection) => collection.features.map((f) => f.id).sort();
  /** Ids on disk whose items satisfy `test`, computed from the files, not the server. */
  const expected = (test: (item: Item) => boolean) =>
    onDisk
      .filter(test)
      .map((i) => i.id)
      .sort();

  it('declares core, item search, filter with CQL2-JSON, query and features on the landing page', async () => {
    const landing = await getJson<{
      conformsTo: string[];
      links: Array<{ rel: string; href: string; method?: string }>;
    }>('/');
    const declares = (pattern: RegExp) => landing.conformsTo.some((uri) => pattern.test(uri));
    for (const pattern of [
      /\/core$/,
      /\/item-search$/,
      /\/item-search#filter$/,
      /\/cql2\/1\.0\/conf\/cql2-json$/,
      /\/item-search#query$/,
      /ogcapi-features/,
    ]) {
      assert.ok(declares(pattern), `conformsTo declares ${pattern}`);
    }
    const rels = landing.links.map((l) => `${l.rel}${l.method ? `:${l.method}` : ''}`);
    for (const rel of [
      'self',
      'root',
      'conformance',
      'data',
      'search:GET',
      'search:POST',
      'child',
    ]) {
      assert.ok(rels.includes(rel), `landing links ${rel}`);
    }
    const conformance = await getJson<{ conformsTo: string[] }>('/conformance');
    assert.deepEqual(conformance.conformsTo, landing.conformsTo);
  });

  it('lists the collection with the extent of its items and answers 404 for others', async () => {
    const { collections } = await getJson<{
      collections: Array<{ id: string; extent: { temporal: { interval: string[][] } } }>;
    }>('/collections');
    assert.deepEqual(
      collections.map((c) => c.id),
      ['sentinel-2-l2a'],
    );
    const collection = await getJson<{
      id: string;
      extent: { temporal: { interval: string[][] } };
    }>('/collections/sentinel-2-l2a');
    const [[first, last]] = collection.extent.temporal.interval;
    const times = onDisk.map((i) => Date.parse(i.properties.datetime));
    assert.equal(Date.parse(first), Math.min(...times));
    assert.equal(Date.parse(last), Math.max(...times));
    const missing = await get('/collections/landsat');
    assert.equal(missing.status, 404);
    assert.match((await errorOf(missing)).description, /landsat/);
  });

  it('serves an item with absolute asset hrefs that return the COG on disk', async () => {
    const scene = data.scenes[0];
    const item = await getJson<Item>(`/collections/sentinel-2-l2a/items/${scene.id}`);
    assert.equal(item.assets.red.href, `${server.url}/cogs/${scene.id}/B04.tif`);
    assert.equal(
      item.links.find((l) => l.rel === 'self')?.href,
      `${server.url}/collections/sentinel-2-l2a/items/${scene.id}`,
    );
    const body = Buffer.from(await (await fetch(item.assets.red.href)).arrayBuffer());
    assert.ok(body.equals(readFileSync(scene.cogs.B04!)), 'served COG equals the file');
    assert.equal(
      (await get('/collections/sentinel-2-l2a/items/S2A_00XXX_20240101_0_L2A')).status,
      404,
    );
  });

  it('finds items by bbox and by intersects geometry, with GET and POST alike', async () => {
    const north = boxAround(...NORTH_ONLY);
    const viaGet = await getJson<ItemCollection>(`/search?bbox=${north.join(',')}&limit=100`);
    assert.deepEqual(
      ids(viaGet),
      expected((i) => i.id.includes('33TWM')),
    );
    assert.equal(viaGet.features.length, 3);
    const viaPost = await postJson<ItemCollection>({ bbox: north, limit: 100 });
    assert.deepEqual(ids(viaPost), ids(viaGet));
    const [x, y] = SOUTH_ONLY;
    const ring = [
      [x - 50, y - 50],
      [x + 50, y - 50],
      [x + 50, y + 50],
      [x - 50, y + 50],
      [x - 50, y - 50],
    ].map((p) => toLonLat.forward(p));
    const polygon = { type: 'Polygon', coordinates: [ring] };
    const south = await postJson<ItemCollection>({ intersects: polygon, limit: 100 });
    assert.deepEqual(
      ids(south),
      expected((i) => i.id.includes('33TWL') && i.id.includes('202406') && !i.id.includes('0620')),
    );
    const point = { type: 'Point', coordinates: toLonLat.forward([x, y]) };
    const viaGetPoint = await getJson<ItemCollection>(
      `/search?limit=100&intersects=${encodeURIComponent(JSON.stringify(point))}`,
    );
    assert.deepEqual(ids(viaGetPoint), ids(south));
    const nowhere = await postJson<ItemCollection>({ bbox: [0, 0, 1, 1] });
    assert.equal(nowhere.numberMatched, 0);
  });

  it('filters by datetime instants, closed and open intervals', async () => {
    const first = onDisk.find((i) => i.properties.datetime.startsWith('2024-06-03'))!;
    const instant = await getJson<ItemCollection>(`/search?datetime=${first.properties.datetime}`);
    assert.deepEqual(ids(instant), [first.id]);
    const day = await postJson<ItemCollection>({
      datetime: '2024-06-03T00:00:00Z/2024-06-03T23:59:59Z',
    });
    assert.deepEqual(
      ids(day),
      expected((i) => i.properties.datetime.startsWith('2024-06-03')),
    );
    const before = await getJson<ItemCollection>(
      '/search?datetime=../2024-06-07T00:00:00Z&limit=100',
    );
    assert.deepEqual(
      ids(before),
      expected((i) => i.properties.datetime < '2024-06-07'),
    );
    const after = await postJson<ItemCollection>({ datetime: '2024-06-07T00:00:00Z/', limit: 100 });
    assert.deepEqual(
      ids(after),
      expected((i) => i.properties.datetime > '2024-06-07'),
    );
    const bad = await get('/search?datetime=yesterday');
    assert.equal(bad.status, 400);
    assert.match((await errorOf(bad)).description, /yesterday/);
  });

  it('filters by eo:cloud_cover and grid:code with the query extension and CQL2-JSON', async () => {
    const cloud = (i: Item) => i.properties['eo:cloud_cover'] as number;
    const grid = (i: Item) => i.properties['grid:code'] as string;
    const threshold = 20;
    const query = await postJson<ItemCollection>({
      query: { 'eo:cloud_cover': { lt: threshold } },
      limit: 100,
    });
    assert.deepEqual(
      ids(query),
      expected((i) => cloud(i) < threshold),
    );
    assert.ok(
      query.numberMatched > 0 && query.numberMatched < onDisk.length,
      'the threshold splits the items',
    );
    const queryGet = await getJson<ItemCollection>(
      `/search?limit=100&query=${encodeURIComponent(JSON.stringify({ 'eo:cloud_cover': { gte: threshold }, 'grid:code': { eq: 'MGRS-33TWL' } }))}`,
    );
    assert.deepEqual(
      ids(queryGet),
      expected((i) => cloud(i) >= threshold && grid(i) === 'MGRS-33TWL'),
    );
    const cql = await postJson<ItemCollection>({
      'filter-lang': 'cql2-json',
      filter: {
        op: 'and',
        args: [
          { op: '<=', args: [{ property: 'eo:cloud_cover' }, threshold] },
          { op: 'in', args: [{ property: 'grid:code' }, ['MGRS-33TWM']] },
        ],
      },
      limit: 100,
    });
    assert.deepEqual(
      ids(cql),
      expected((i) => cloud(i) <= threshold && grid(i) === 'MGRS-33TWM'),
    );
    const equal = await getJson<ItemCollection>(
      `/search?limit=100&filter-lang=cql2-json&filter=${encodeURIComponent(JSON.stringify({ op: '=', args: [{ property: 'grid:code' }, 'MGRS-33TWL'] }))}`,
    );
    assert.deepEqual(
      ids(equal),
      expected((i) => grid(i) === 'MGRS-33TWL'),
    );
    const unsupported = await post('/search', {
      filter: { op: 'like', args: [{ property: 'grid:code' }, 'MGRS%'] },
    });
    assert.equal(unsupported.status, 400);
  });

  it('pages through every item exactly once, in datetime then id order, by GET and by POST', async () => {
    const order = [...onDisk]
      .sort(
        (a, b) =>
          Date.parse(a.properties.datetime) - Date.parse(b.properties.datetime) ||
          (a.id < b.id ? -1 : 1),
      )
      .map((i) => i.id);
    const viaGet: string[] = [];
    let next: string | undefined = `${server.url}/search?limit=2`;
    while (next) {
      const page = (await (await fetch(next)).json()) as ItemCollection;
      viaGet.push(...page.features.map((f) => f.id));
      assert.ok(page.numberReturned <= 2, 'pages hold at most the limit');
      next = page.links.find((l) => l.rel === 'next')?.href;
    }
    assert.deepEqual(viaGet, order);
    const viaPost: string[] = [];
    let body: Record<string, unknown> | undefined = { limit: 3, collections: ['sentinel-2-l2a'] };
    const original = body;
    while (body) {
      const page: ItemCollection = await postJson<ItemCollection>(body);
      viaPost.push(...page.features.map((f) => f.id));
      const link = page.links.find((l) => l.rel === 'next');
      assert.ok(
        !link || (link.method === 'POST' && link.merge === true),
        'POST next links merge a body',
      );
      body = link ? { ...original, ...link.body } : undefined;
    }
    assert.deepEqual(viaPost, order);
  });

  it('answers byte ranges exactly: 206 with Content-Range, suffix and open ranges, 416 past the end, HEAD', async () => {
    const scene = data.scenes[1];
    const file = readFileSync(scene.cogs.SCL!);
    const path = `/cogs/${scene.id}/SCL.tif`;
    const part = await get(path, { headers: { Range: 'bytes=100-299' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-299/${file.length}`);
    assert.ok(
      Buffer.from(await part.arrayBuffer()).equals(file.subarray(100, 300)),
      'bytes 100-299',
    );
    const suffix = await get(path, { headers: { Range: 'bytes=-64' } });
    assert.ok(
      Buffer.from(await suffix.arrayBuffer()).equals(file.subarray(file.length - 64)),
      'last 64 bytes',
    );
    const open = await get(path, { headers: { Range: `bytes=${file.length - 10}-` } });
    assert.equal(
      open.headers.get('content-range'),
      `bytes ${file.length - 10}-${file.length - 1}/${file.length}`,
    );
    const past = await get(path, {
      headers: { Range: `bytes=${file.length}-${file.length + 10}` },
    });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${file.length}`);
    const head = await get(path, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('content-length')), file.length);
    assert.equal(head.headers.get('accept-ranges'), 'bytes');
    const whole = await get(path);
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(file), 'whole file');
    const served = server.requests.filter((r) => r.path === path);
    assert.deepEqual(
      served.map((r) => [r.method, r.range, r.status, r.bytes]),
      [
        ['GET', 'bytes=100-299', 206, 200],
        ['GET', 'bytes=-64', 206, 64],
        ['GET', `bytes=${file.length - 10}-`, 206, 10],
        ['GET', `bytes=${file.length}-${file.length + 10}`, 416, 0],
        ['HEAD', undefined, 200, 0],
        ['GET', undefined, 200, file.length],
      ],
    );
    assert.equal((await get('/cogs/../items/x.json')).status, 404);
  });

  it('fails the next N matching requests with 429 and Retry-After, then serves again', async () => {
    server.faults.set({
      failNext: { count: 3, status: 429, pathPattern: '^/search$' },
      retryAfterSeconds: 7,
    });
    const cog = await get(`/cogs/${data.scenes[0].id}/B04.tif`, {
      headers: { Range: 'bytes=0-15' },
    });
    assert.equal(cog.status, 206, 'other paths are not failed');
    for (let i = 0; i < 3; i++) {
      const response = await get('/search');
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), '7');
    }
    assert.equal((await get('/search')).status, 200);
    assert.deepEqual(
      server.requests.map((r) => [r.path, r.status, r.fault]),
      [
        [`/cogs/${data.scenes[0].id}/B04.tif`, 206, undefined],
        ['/search', 429, '429'],
        ['/search', 429, '429'],
        ['/search', 429, '429'],
        ['/search', 200, undefined],
      ],
    );
  });

  it('injects 5xx at a seeded rate, the same sequence each time it is set', async () => {
    const statuses = async () => {
      server.faults.set({ status5xxRate: 0.5, status5xx: 502, seed: 3 });
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) seen.push((await get('/conformance')).status);
      return seen;
    };
    const first = await statuses();
    assert.deepEqual(await statuses(), first);
    assert.ok(first.includes(502) && first.includes(200), `both outcomes occur: ${first}`);
    assert.equal(server.faults.injected, first.filter((s) => s === 502).length);
  });

  it('switches faults over HTTP through /_admin/faults, which is itself never faulted or logged', async () => {
    const set = await post('/_admin/faults', { status429Rate: 1, retryAfterSeconds: 2 });
    assert.equal(set.status, 200);
    const faulted = await get('/');
    assert.equal(faulted.status, 429);
    assert.equal(faulted.headers.get('retry-after'), '2');
    const current = (await (await get('/_admin/faults')).json()) as { status429Rate?: number };
    assert.equal(current.status429Rate, 1);
    const log = (await (await get('/_admin/requests')).json()) as Array<{
      path: string;
      status: number;
    }>;
    assert.deepEqual(
      log.map((r) => [r.path, r.status]),
      [['/', 429]],
    );
    assert.equal((await post('/_admin/faults', { status429Rate: 2 })).status, 400);
    assert.equal((await fetch(`${server.url}/_admin/faults`, { method: 'DELETE' })).status, 200);
    assert.equal((await get('/')).status, 200);
  });

  it('rejects malformed searches with 400 and a message naming the problem', async () => {
    for (const [path, message] of [
      ['/search?bbox=1,2,3', /bbox/],
      ['/search?limit=0', /limit/],
      ['/search?colour=red', /colour/],
      ['/search?token=forged', /token/],
    ] as const) {
      const response = await get(path);
      assert.equal(response.status, 400, path);
      assert.match((await errorOf(response)).description, message);
    }
    const badIntersects = await post('/search', {
      intersects: { type: 'Polygon', coordinates: [[[0, 0]]] },
    });
    assert.equal(badIntersects.status, 400);
  });

  it('serves items of every data directory', async () => {
    const all = await getJson<ItemCollection>('/search?limit=1000');
    assert.deepEqual(
      ids(all),
      expected(() => true),
    );
    const fromExtra = await getJson<ItemCollection>(`/search?ids=${extra.scenes[0].id}`);
    const href = fromExtra.features[0].assets.scl.href;
    assert.ok(
      Buffer.from(await (await fetch(href)).arrayBuffer()).equals(
        readFileSync(extra.scenes[0].cogs.SCL!),
      ),
      'second directory COG',
    );
  });
});
