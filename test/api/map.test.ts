import assert from 'node:assert/strict';
import { halfPixelDegrees } from '../../src/api/routes/map';
import type { Ring } from '../../src/core/geo/types';
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
    for (const [i, feature] of far.entries()) {
      const ring = feature.geometry.coordinates[0]![0]!;
      const fullRing = full[i]!.geometry.coordinates[0]![0]!;
      const farthest = Math.max(...fullRing.map(([, lat]) => Math.abs(lat!)));
      const tolerance = halfPixelDegrees(11)! * Math.cos((farthest * Math.PI) / 180);
      // The densified squares (16 vertices) lose their collinear vertices.
      assert.ok(ring.length < fullRing.length, `${ring.length} < ${fullRing.length}`);
      const distance = await db.pool.query(
        'SELECT ST_HausdorffDistance(ST_GeomFromGeoJSON($1), ST_GeomFromGeoJSON($2)) AS d',
        [JSON.stringify(feature.geometry), JSON.stringify(full[i]!.geometry)],
      );
      assert.ok(distance.rows[0].d <= tolerance * 1.01, `${distance.rows[0].d} <= ${tolerance}`);
    }
  });

  it('picks half a screen pixel in degrees of longitude for the zoom', () => {
    // Zoom 0: a 256-pixel tile spans 360°; half a pixel is 0.703125°.
    assert.equal(halfPixelDegrees(0), 0.703125);
    // Each zoom level halves it; from zoom 16 nothing is simplified.
    assert.equal(halfPixelDegrees(10), 0.703125 / 1024);
    assert.equal(halfPixelDegrees(16), undefined);
  });

  it("scales the tolerance by each parcel's own latitude, also without a bbox", async () => {
    // At 60°N half a pixel of latitude is half of one of longitude. A kink of 0.7 of a
    // longitude half-pixel is more than the latitude half-pixel there: the map must keep it.
    const kink = 0.7 * halfPixelDegrees(11)!;
    const ring: Ring = [
      [10, 60],
      [10.01, 60 - kink],
      [10.02, 60],
      [10.02, 60.01],
      [10, 60.01],
      [10, 60],
    ];
    const { ids } = await upsertParcels(
      db,
      [{ externalId: 'north', geometry: { type: 'Polygon', coordinates: [ring] } }],
      { source: 'src-north' },
    );
    try {
      const vertices = async (zoom: number) => {
        const [feature] = await features(`/v1/map/latest?index=ndvi&source=src-north&zoom=${zoom}`);
        return feature!.geometry.coordinates[0]![0]!.length;
      };
      assert.equal(await vertices(11), ring.length);
      // One zoom level out, half a pixel of latitude there (1.4 kinks) swallows it.
      assert.equal(await vertices(10), ring.length - 1);
    } finally {
      await db.pool.query('DELETE FROM parcels WHERE id = ANY($1::bigint[])', [ids]);
    }
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
