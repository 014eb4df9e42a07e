import assert from 'node:assert/strict';
import { simplificationForZoom } from '../../src/api/routes/map';
import type { Database } from '../../src/store/db/database';
import { upsertParcels } from '../../src/store/db/parcels-repo';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { utmSquare } from '../store/db/test-parcels';
import { startTestApi, type TestApi } from './harness';
import { type Seeded, seedSeries } from './seed';

interface LatestFeature {
  type: string;
  id: number;
  geometry: { type: string; coordinates: number[][][][] };
  properties: { parcelId: number; value: number | null; acquiredAt: string | null; index: string };
}

describe('API map of latest values and the GeoJSON export (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let api: TestApi;
  let seeded: Seeded;
  let bare: number;

  before(async () => {
    db = await isolatedDatabase('pw_api_map');
    seeded = await seedSeries(db, { parcelsPerSource: 5, acquisitions: 12, seed: 5 });
    // A parcel without any observation: on the map, without a value.
    bare = (
      await upsertParcels(db, [{ externalId: 'bare', geometry: utmSquare(531_000, 5_031_000) }], {
        source: 'src-a',
      })
    ).ids[0]!;
    api = await startTestApi(db, { mapMaxFeatures: 8 });
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  /** Latest ok mean per parcel as of `before`, straight from the table. */
  async function latestInDb(index: string, before = '9999-01-01') {
    const rows = await db.pool.query(
      `SELECT DISTINCT ON (parcel_id) parcel_id, mean, acquired_at FROM parcel_observations
        WHERE index_name = $1 AND status = 'ok' AND acquired_at < $2
        ORDER BY parcel_id, acquired_at DESC`,
      [index, before],
    );
    return new Map(
      rows.rows.map((r) => [
        Number(r.parcel_id),
        { value: r.mean as number, at: (r.acquired_at as Date).toISOString() },
      ]),
    );
  }

  async function features(url: string): Promise<LatestFeature[]> {
    const response = await api.get(url);
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-type']), /^application\/geo\+json/);
    const body = response.json();
    assert.equal(body.type, 'FeatureCollection');
    return body.features;
  }

  it('colours each parcel by the mean of its latest ok observation and says when; null when it has none', async () => {
    const truth = await latestInDb('ndvi');
    const got = await features('/v1/map/latest?index=ndvi&source=src-a');
    const srcA = (
      await db.pool.query("SELECT id FROM parcels WHERE source = 'src-a' ORDER BY id")
    ).rows.map((r) => Number(r.id));
    assert.deepEqual(
      got.map((f) => f.id),
      srcA,
    );
    for (const feature of got) {
      const expected = truth.get(feature.id);
      assert.equal(feature.properties.parcelId, feature.id);
      assert.equal(feature.properties.index, 'ndvi');
      assert.equal(feature.properties.value, expected?.value ?? null);
      assert.equal(feature.properties.acquiredAt, expected?.at ?? null);
    }
    assert.equal(got.find((f) => f.id === bare)?.properties.value, null);
  });

  it('gives the latest value as of a date with `to`', async () => {
    const truth = await latestInDb('ndmi', '2024-03-21T00:00:00Z');
    const got = await features('/v1/map/latest?index=ndmi&source=src-b&to=2024-03-20');
    assert.equal(got.length, 5);
    for (const feature of got) {
      assert.equal(feature.properties.value, truth.get(feature.id)?.value ?? null);
      if (feature.properties.acquiredAt) assert.ok(feature.properties.acquiredAt < '2024-03-21');
    }
  });

  it('simplifies geometries at low zoom within half a screen pixel, and keeps them whole when zoomed in', async () => {
    const box = '14,45,16,46';
    const full = await features(`/v1/map/latest?index=ndvi&source=src-b&bbox=${box}`);
    const close = await features(`/v1/map/latest?index=ndvi&source=src-b&bbox=${box}&zoom=18`);
    const far = await features(`/v1/map/latest?index=ndvi&source=src-b&bbox=${box}&zoom=11`);
    assert.equal(full.length, 5);
    assert.deepEqual(close, full);
    const { tolerance } = simplificationForZoom(11, 45.5);
    assert.ok(tolerance && tolerance > 0);
    for (const [i, feature] of far.entries()) {
      const ring = feature.geometry.coordinates[0]![0]!;
      const fullRing = full[i]!.geometry.coordinates[0]![0]!;
      // The densified squares (16 vertices) lose their collinear vertices.
      assert.ok(ring.length < fullRing.length, `${ring.length} < ${fullRing.length}`);
      const distance = await db.pool.query(
        'SELECT ST_HausdorffDistance(ST_GeomFromGeoJSON($1), ST_GeomFromGeoJSON($2)) AS d',
        [JSON.stringify(feature.geometry), JSON.stringify(full[i]!.geometry)],
      );
      assert.ok(distance.rows[0].d <= tolerance * 1.01, `${distance.rows[0].d} <= ${tolerance}`);
    }
  });

  it('picks a tolerance of half a pixel in latitude degrees for the zoom', () => {
    // Zoom 0: a 256-pixel tile spans 360°; half a pixel is 0.703125°, times cos(latitude).
    assert.equal(simplificationForZoom(0, 0).tolerance, 0.703125);
    assert.ok(Math.abs(simplificationForZoom(0, 60).tolerance! - 0.3515625) < 1e-12);
    // Each zoom level halves it; from zoom 16 nothing is simplified.
    assert.equal(simplificationForZoom(10, 0).tolerance, 0.703125 / 1024);
    assert.equal(simplificationForZoom(16, 0).tolerance, undefined);
  });

  it('asks for a (smaller) bbox when more parcels match than one map response holds', async () => {
    const response = await api.get('/v1/map/latest?index=ndvi');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(
      response.json().details.map((d: { name: string }) => d.name),
      ['bbox'],
    );
    assert.match(response.json().message, /more than 8 parcels/);
    const narrowed = await api.get('/v1/map/latest?index=ndvi&watched=true');
    assert.equal(narrowed.statusCode, 200);
  });

  it('exports latest.geojson equal to what the map gives for the same selection, all of it', async () => {
    for (const query of [
      'index=ndvi&source=src-a',
      'index=ndmi&watched=true&to=2024-03-25',
      'index=ndvi&crop=wheat',
    ]) {
      const map = await api.get(`/v1/map/latest?${query}`);
      const exported = await api.get(`/v1/exports/latest.geojson?${query}`);
      assert.equal(exported.statusCode, 200);
      assert.match(
        String(exported.headers['content-disposition']),
        /attachment; filename="latest-nd[vm]i.geojson"/,
      );
      assert.deepEqual(exported.json(), map.json(), query);
    }
    // The export has no size limit: all 11 parcels, where the map refuses more than 8.
    const all = await api.get('/v1/exports/latest.geojson?index=ndvi');
    assert.equal(all.json().features.length, seeded.parcelIds.length + 1);
  });
});
