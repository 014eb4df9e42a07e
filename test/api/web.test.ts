import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { rampColour } from '../../src/api/web/colour-ramp.js';
import type { Database } from '../../src/store/db/database';
import { REPO_ROOT } from '../helpers/services';
import { isolatedDatabase } from '../store/db/isolated-schema';
import type { Seeded } from './seed';
import { decodePng } from './web-png';
import { chartableParcel, parcelsInDb, RUNS, seedWebPage } from './web-seed';
import { startWebServer, type WebTestServer } from './web-server';

/**
 * The web page end to end: the real API over a seeded PostgreSQL, served on a local port, driven
 * in Debian's Chromium. Every request that does not go to that server is blocked and recorded,
 * so the page is proved to work offline. Screenshots go to test-output/screenshots/.
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1280, height: 800 };
const SCREENSHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');
/** Screenshots and the map canvas may differ from the ramp's exact colour by rounding to bytes. */
const PIXEL_TOLERANCE = 3;
/** Zoom at which a 100 m parcel spans ~30 pixels: big enough to click its middle for sure. */
const CLICK_ZOOM = 15;
const NO_VALUE_GREY = [158, 158, 158];

/** What the page exposes as `window.parcelwatch` (src/api/web/app.js), as far as used here. */
interface TestHandle {
  mapLoads: number;
  mapBusy: number;
  map: { loaded(): boolean; isMoving(): boolean };
}

interface RenderedParcel {
  id: number;
  value: number | null;
  /** MapLibre's evaluated fill colour, channels 0–1. */
  colour: { r: number; g: number; b: number; a: number };
}

describe('web page in Chromium (real API, real PostgreSQL, offline)', function () {
  this.timeout(180_000);
  let db: Database;
  let seeded: Seeded;
  let server: WebTestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every URL the browser asked for, and those blocked for not being the local server. */
  const requested: string[] = [];
  const blocked: string[] = [];
  /** Uncaught errors and console errors of the page (401 answers aside, asked for in one test). */
  const problems: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}; the web page test needs it: run \`npm run provision -- up --for test\``,
      );
    }
    db = await isolatedDatabase('pw_api_web');
    seeded = await seedWebPage(db);
    server = await startWebServer(db);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${server.origin}/`)) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    context.on('request', (request) => requested.push(request.url()));
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error' || /status of 401/.test(message.text())) return;
      problems.push(`console: ${message.text()} (${message.location().url})`);
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await db?.close();
  });

  /**
   * Waits until the map has painted its latest response and nothing else is loading. (A function,
   * not a string: the page's Content-Security-Policy forbids evaluating strings, rightly.)
   */
  async function mapSettled(minLoads = 1): Promise<void> {
    await page.waitForFunction((min) => {
      const pw = (globalThis as unknown as { parcelwatch?: TestHandle }).parcelwatch;
      return (
        !!pw && pw.mapLoads >= min && pw.mapBusy === 0 && pw.map.loaded() && !pw.map.isMoving()
      );
    }, minLoads);
  }

  async function mapLoads(): Promise<number> {
    return (await page.evaluate('window.parcelwatch.mapLoads')) as number;
  }

  /** Where a lon/lat is on the page, and whether the map canvas is what shows there. */
  async function onPage(
    lon: number,
    lat: number,
  ): Promise<{ x: number; y: number; visible: boolean }> {
    return (await page.evaluate(`(() => {
      const map = window.parcelwatch.map;
      const p = map.project([${lon}, ${lat}]);
      const box = map.getContainer().getBoundingClientRect();
      const x = box.left + p.x, y = box.top + p.y;
      return { x, y, visible: document.elementFromPoint(x, y) === map.getCanvas() };
    })()`)) as { x: number; y: number; visible: boolean };
  }

  /** The colour the page shows at a point, read from a screenshot of that one pixel. */
  async function paintedAt(x: number, y: number): Promise<number[]> {
    const png = decodePng(
      await page.screenshot({ clip: { x: Math.floor(x), y: Math.floor(y), width: 1, height: 1 } }),
    );
    return png.pixel(0, 0).slice(0, 3);
  }

  it('asks for a key when it has none, says clearly when the API refuses one, and loads once a valid one is given', async () => {
    await page.goto(`${server.origin}/`);
    await page.locator('#key-dialog').waitFor({ state: 'visible' });
    assert.match(
      (await page.locator('#key-message').textContent()) ?? '',
      /needs a parcelwatch API key/,
    );
    await page.fill('#key-input', 'pw_0000000000_this-key-was-never-created-by-anyone-at-all-x');
    await page.click('.key-form button[type=submit]');
    const refused = page.locator('#key-message', { hasText: 'refused' });
    await refused.waitFor({ state: 'visible' });
    const message = (await refused.textContent()) ?? '';
    assert.match(message, /The API refused the key: the API key is not valid/);
    assert.match(message, /Enter a valid key/);
    assert.equal(
      await page.evaluate("sessionStorage.getItem('parcelwatch.apiKey')"),
      null,
      'a refused key is not kept',
    );

    await page.fill('#key-input', server.readKey);
    await page.click('.key-form button[type=submit]');
    await mapSettled();
    await page.locator('#runs-list[data-state="ready"]').waitFor();
    assert.equal(await page.locator('#key-dialog').isVisible(), false);
    assert.ok((await page.locator('#runs-list li.run').count()) > 0);
    await page.evaluate('sessionStorage.clear()');
  });

  it('takes the key from the address fragment, removes it from the address bar and keeps it for the tab', async () => {
    await page.goto('about:blank');
    await page.goto(`${server.origin}/#key=${server.readKey}`);
    await mapSettled();
    assert.equal(page.url(), `${server.origin}/`);
    assert.equal(
      await page.evaluate("sessionStorage.getItem('parcelwatch.apiKey')"),
      server.readKey,
    );
    assert.equal(await page.locator('#key-dialog').isVisible(), false);
    assert.ok(
      requested.every((url) => !url.includes(server.readKey)),
      'the key never travels in a URL',
    );
  });

  it('colours every parcel by its latest NDVI through the ramp, grey without a value, and paints it so', async () => {
    const truth = await parcelsInDb(db);
    assert.ok(truth.some((p) => p.value === null) && truth.some((p) => p.value !== null));
    const rendered = (await page.evaluate(`(() => {
      const features = window.parcelwatch.map.queryRenderedFeatures({ layers: ['parcels-fill'] });
      return features.map((f) => ({
        id: f.id,
        value: f.properties.value ?? null,
        colour: f.layer.paint['fill-color'],
      }));
    })()`)) as RenderedParcel[];
    const byId = new Map(rendered.map((f) => [f.id, f]));
    assert.deepEqual(
      [...byId.keys()].sort((a, b) => a - b),
      truth.map((p) => p.id),
      'the first view fits every parcel',
    );
    for (const parcel of truth) {
      const feature = byId.get(parcel.id)!;
      assert.equal(feature.value, parcel.value, `parcel ${parcel.id} latest NDVI`);
      const expected = rampColour(parcel.value);
      const got = feature.colour;
      for (const [channel, want] of [
        [got.r, expected.r],
        [got.g, expected.g],
        [got.b, expected.b],
      ]) {
        assert.ok(
          Math.abs(channel! * 255 - want!) < 1e-6,
          `parcel ${parcel.id} (NDVI ${parcel.value}) fill ${JSON.stringify(got)} is not the ramp's ${JSON.stringify(expected)}`,
        );
      }
      assert.equal(got.a, 1);
    }

    let sampled = 0;
    let greySampled = 0;
    for (const parcel of truth) {
      const at = await onPage(parcel.lon, parcel.lat);
      if (!at.visible) continue; // under the legend or a control
      const painted = await paintedAt(at.x, at.y);
      const want = rampColour(parcel.value);
      const expected = [want.r, want.g, want.b].map(Math.round);
      assert.ok(
        painted.every((c, i) => Math.abs(c - expected[i]!) <= PIXEL_TOLERANCE),
        `parcel ${parcel.id} (NDVI ${parcel.value}) is painted rgb(${painted}) at its centre, not rgb(${expected})`,
      );
      sampled += 1;
      if (parcel.value === null) {
        assert.deepEqual(expected, NO_VALUE_GREY);
        greySampled += 1;
      }
    }
    assert.ok(
      sampled >= truth.length - 2,
      `only ${sampled} of ${truth.length} parcels were in sight`,
    );
    assert.equal(greySampled, 1, 'the parcel without a value is painted grey');
    const file = path.join(SCREENSHOTS, 'web-map.png');
    await page.screenshot({ path: file });
    console.log(`      screenshot: ${file}`);
  });

  it("opens a clicked parcel's chart: its weekly NDVI and NDMI from the database, observed and interpolated apart, unusable dates marked", async () => {
    const parcel = await chartableParcel(db, seeded);
    const weeks = await db.pool.query(
      `SELECT index_name, week_start::text AS week_start, value, status FROM parcel_weekly
        WHERE parcel_id = $1 AND index_name IN ('ndvi', 'ndmi') ORDER BY index_name, week_start`,
      [parcel.id],
    );
    const unusable = await db.pool.query(
      `SELECT acquired_at, bool_or(status = 'cloudy') AS cloudy FROM parcel_observations
        WHERE parcel_id = $1 AND index_name IN ('ndvi', 'ndmi') AND status <> 'ok'
        GROUP BY acquired_at ORDER BY acquired_at`,
      [parcel.id],
    );

    // Zoom in on the parcel (the map loads that view), then click its middle like a user.
    const before = await mapLoads();
    await page.evaluate(
      `window.parcelwatch.map.jumpTo({ center: [${parcel.lon}, ${parcel.lat}], zoom: ${CLICK_ZOOM} })`,
    );
    await mapSettled(before + 1);
    const at = await onPage(parcel.lon, parcel.lat);
    assert.ok(at.visible, 'the parcel is in sight');
    await page.mouse.click(at.x, at.y);
    await page.locator(`#parcel[data-parcel-id="${parcel.id}"][data-state="ready"]`).waitFor();

    const points =
      (await page.evaluate(`[...document.querySelectorAll('#parcel circle.point')].map((c) => ({
      index: c.dataset.index, weekStart: c.dataset.weekStart, status: c.dataset.status,
      value: Number(c.dataset.value), cx: Number(c.getAttribute('cx')), cy: Number(c.getAttribute('cy')),
      filled: c.getAttribute('fill') !== '#ffffff',
    }))`)) as Array<{
        index: string;
        weekStart: string;
        status: string;
        value: number;
        cx: number;
        cy: number;
        filled: boolean;
      }>;
    for (const index of ['ndvi', 'ndmi']) {
      for (const status of ['observed', 'interpolated']) {
        const expected = weeks.rows
          .filter((r) => r.index_name === index && r.status === status)
          .map((r) => [r.week_start, Number(r.value)]);
        const plotted = points
          .filter((p) => p.index === index && p.status === status)
          .map((p) => [p.weekStart, p.value]);
        assert.deepEqual(plotted, expected, `${index} ${status} points`);
        assert.ok(
          points
            .filter((p) => p.index === index && p.status === status)
            .every((p) => p.filled === (status === 'observed')),
          `${index} ${status} points are ${status === 'observed' ? 'filled' : 'hollow'}`,
        );
      }
    }
    assert.ok(
      points.some((p) => p.status === 'interpolated'),
      'the parcel has interpolated weeks',
    );
    // Points sit where their values say: y is one linear function of the value, x of the week.
    const line = (xs: number[], ys: number[]) => {
      const i = xs.indexOf(Math.min(...xs));
      const j = xs.indexOf(Math.max(...xs));
      const slope = (ys[j]! - ys[i]!) / (xs[j]! - xs[i]!);
      return xs.every((x, k) => Math.abs(ys[i]! + slope * (x - xs[i]!) - ys[k]!) < 0.01);
    };
    assert.ok(
      line(
        points.map((p) => p.value),
        points.map((p) => p.cy),
      ),
      'y is linear in the value',
    );
    assert.ok(
      line(
        points.map((p) => Date.parse(p.weekStart)),
        points.map((p) => p.cx),
      ),
      'x is linear in time',
    );
    assert.ok(
      points.every((p, _, all) =>
        all.every((q) => q.value > p.value === q.cy < p.cy || q.value === p.value),
      ),
      'higher values are drawn higher',
    );

    const marks =
      (await page.evaluate(`[...document.querySelectorAll('#parcel line.acquisition')].map((l) => ({
      time: l.dataset.time, status: l.dataset.status }))`)) as Array<{
        time: string;
        status: string;
      }>;
    assert.deepEqual(
      marks.map((m) => [Date.parse(m.time), m.status]),
      unusable.rows.map((r) => [(r.acquired_at as Date).getTime(), r.cloudy ? 'cloudy' : 'nodata']),
    );
    assert.ok(
      marks.some((m) => m.status === 'cloudy'),
      'the parcel has cloudy dates',
    );

    const file = path.join(SCREENSHOTS, 'web-chart.png');
    await page.screenshot({ path: file });
    console.log(`      screenshot: ${file}`);
  });

  it('lists the latest runs, newest first, with their status, window, duration and KPIs', async () => {
    const items = page.locator('#runs-list li.run');
    assert.deepEqual(
      await items.evaluateAll((list) => list.map((li) => li.getAttribute('data-workflow-id'))),
      RUNS.map((r) => r.start.workflowId),
    );
    for (const [i, run] of RUNS.entries()) {
      const text = (await items.nth(i).textContent()) ?? '';
      for (const shown of run.shows) {
        assert.ok(text.includes(shown), `run ${run.start.workflowId} shows "${shown}" in: ${text}`);
      }
    }
  });

  it('asked nothing of any other server: MapLibre, its worker and the data all came from the API', () => {
    assert.deepEqual(blocked, [], 'requests to other servers');
    const paths = requested.map((url) => new URL(url)).map((url) => url.pathname);
    assert.ok(paths.includes('/vendor/maplibre-gl.mjs'));
    assert.ok(paths.includes('/vendor/maplibre-gl-worker.mjs'), 'the worker was loaded');
    const moved = requested
      .map((url) => new URL(url))
      .filter((url) => url.pathname === '/v1/map/latest' && url.searchParams.has('bbox'));
    assert.ok(moved.length >= 2, 'the map loaded each view by bbox');
    assert.ok(
      moved.every(
        (url) => url.searchParams.get('index') === 'ndvi' && url.searchParams.has('zoom'),
      ),
    );
    assert.deepEqual(problems, [], 'errors in the page');
  });
});
