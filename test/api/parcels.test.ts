import assert from 'node:assert/strict';
import type { Database } from '../../src/store/db/database';
import { upsertParcels } from '../../src/store/db/parcels-repo';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { randomParcels } from '../store/db/test-parcels';
import { startTestApi, type TestApi } from './harness';
import { type Seeded, seedSeries } from './seed';

describe('API parcels (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let api: TestApi;
  let seeded: Seeded;

  before(async () => {
    db = await isolatedDatabase('pw_api_parcels');
    seeded = await seedSeries(db, { parcelsPerSource: 6, acquisitions: 2, seed: 21 });
    api = await startTestApi(db);
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  async function ids(query: string): Promise<number[]> {
    const response = await api.get(`/v1/parcels?limit=1000&${query}`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json().items.map((p: { id: number }) => p.id);
  }

  async function idsWhere(where: string, values: unknown[] = []): Promise<number[]> {
    const rows = await db.pool.query(`SELECT id FROM parcels WHERE ${where} ORDER BY id`, values);
    return rows.rows.map((r) => Number(r.id));
  }

  it('pages through every parcel once, in id order, following nextCursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await api.get(`/v1/parcels?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      const body = response.json();
      seen.push(...body.items.map((p: { id: number }) => p.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    assert.deepEqual(
      seen,
      [...seeded.parcelIds].sort((a, b) => a - b),
    );
    assert.equal(pages, 3);
  });

  it('describes each parcel as stored: source, external id, crop, watched, area, bbox, attributes', async () => {
    const response = await api.get(`/v1/parcels?ids=${seeded.parcelIds[0]}`);
    const [parcel] = response.json().items;
    const [row] = (
      await db.pool.query(
        `SELECT source, external_id, crop, watched, area_m2, attributes, owner_team, primary_tile,
                ST_XMin(geom) AS x0, ST_YMin(geom) AS y0, ST_XMax(geom) AS x1, ST_YMax(geom) AS y1
           FROM parcels WHERE id = $1`,
        [seeded.parcelIds[0]],
      )
    ).rows;
    assert.equal(parcel.source, row.source);
    assert.equal(parcel.externalId, row.external_id);
    assert.equal(parcel.crop, row.crop);
    assert.equal(parcel.watched, row.watched);
    assert.equal(parcel.areaM2, row.area_m2);
    assert.equal(parcel.ownerTeam, 'team-a');
    assert.equal(parcel.primaryTile, row.primary_tile);
    assert.deepEqual(parcel.attributes, row.attributes);
    assert.deepEqual(parcel.bbox, [row.x0, row.y0, row.x1, row.y1]);
    // A 100 m square: about 10 000 m².
    assert.ok(Math.abs(parcel.areaM2 - 10_000) < 50, String(parcel.areaM2));
  });

  it('filters by source, crop, watched, part of the external id, ids and bbox, all combined', async () => {
    assert.deepEqual(await ids('source=src-b'), await idsWhere("source = 'src-b'"));
    assert.deepEqual(await ids('crop=wheat'), await idsWhere("crop = 'wheat'"));
    assert.deepEqual(
      await ids('watched=true'),
      [...seeded.watchedIds].sort((a, b) => a - b),
    );
    assert.deepEqual(await ids('watched=false'), await idsWhere('NOT watched'));
    assert.deepEqual(await ids('q=B-P1'), await idsWhere("external_id ILIKE '%b-p1%'"));
    assert.deepEqual(await ids('q=%25'), []); // a literal %, not a wildcard
    assert.deepEqual(
      await ids(`ids=${seeded.parcelIds[3]},${seeded.parcelIds[1]}`),
      [seeded.parcelIds[1], seeded.parcelIds[3]].sort((a, b) => a! - b!),
    );
    assert.deepEqual(
      await ids('source=src-a&crop=maize&watched=true'),
      await idsWhere("source = 'src-a' AND crop = 'maize' AND watched"),
    );
    // The bbox of one parcel, shrunk inside it: that parcel and any other it touches.
    const [row] = (
      await db.pool.query(
        'SELECT ST_XMin(geom) x0, ST_YMin(geom) y0, ST_XMax(geom) x1, ST_YMax(geom) y1 FROM parcels WHERE id = $1',
        [seeded.parcelIds[4]],
      )
    ).rows;
    const box = [row.x0 + 1e-5, row.y0 + 1e-5, row.x1 - 1e-5, row.y1 - 1e-5];
    const inBox = await ids(`bbox=${box.join(',')}`);
    assert.ok(inBox.includes(seeded.parcelIds[4]!));
    assert.deepEqual(
      inBox,
      await idsWhere('ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))', box),
    );
    assert.deepEqual(await ids('bbox=0,0,1,1'), []);
  });

  it('gives a page as a GeoJSON FeatureCollection with the parcel geometries', async () => {
    const response = await api.get('/v1/parcels?format=geojson&source=src-a&limit=4');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/geo\+json/);
    const body = response.json();
    assert.equal(body.type, 'FeatureCollection');
    assert.equal(body.features.length, 4);
    assert.ok(body.nextCursor);
    // The seed's parcels are the squares randomParcels draws for this seed and source.
    const inputs = randomParcels(6, 21, [530_000, 5_030_000, 545_000, 5_045_000], 'src-a-p');
    for (const feature of body.features) {
      const input = inputs.find((p) => p.externalId === feature.properties.externalId);
      assert.ok(input, feature.properties.externalId);
      assert.equal(feature.id, feature.properties.id);
      assert.equal(feature.geometry.type, 'MultiPolygon');
      const expected = (input.geometry as { coordinates: number[][][] }).coordinates;
      const got = feature.geometry.coordinates[0] as number[][][];
      assert.equal(got[0]!.length, expected[0]!.length);
      got[0]!.forEach((point, i) => {
        assert.ok(Math.abs(point[0]! - expected[0]![i]![0]!) < 1e-12);
        assert.ok(Math.abs(point[1]! - expected[0]![i]![1]!) < 1e-12);
      });
    }
  });

  it('shows one parcel with its geometry, by id and by source:externalId', async () => {
    const id = seeded.parcelIds[7]!;
    const byId = await api.get(`/v1/parcels/${id}`);
    assert.equal(byId.statusCode, 200);
    const parcel = byId.json();
    assert.equal(parcel.id, id);
    assert.equal(parcel.geometry.type, 'MultiPolygon');
    const byRef = await api.get(
      `/v1/parcels/${parcel.source}:${encodeURIComponent(parcel.externalId)}`,
    );
    assert.deepEqual(byRef.json(), parcel);
    const missing = await api.get('/v1/parcels/src-a:unknown');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().message, /no parcel src-a:unknown/);
  });

  it('watches and unwatches parcels by external ids of a source, counting only real changes', async () => {
    const [row] = (
      await db.pool.query(
        'SELECT external_id FROM parcels WHERE NOT watched AND source = $1 LIMIT 1',
        ['src-b'],
      )
    ).rows;
    const watch = await api.post('/v1/parcels/watch', {
      source: 'src-b',
      externalIds: [row.external_id],
    });
    assert.deepEqual(watch.json(), { watched: true, changed: 1 });
    const again = await api.post('/v1/parcels/watch', {
      source: 'src-b',
      externalIds: [row.external_id],
    });
    assert.deepEqual(again.json(), { watched: true, changed: 0 });
    const stored = await db.pool.query(
      'SELECT watched FROM parcels WHERE source = $1 AND external_id = $2',
      ['src-b', row.external_id],
    );
    assert.equal(stored.rows[0].watched, true);
    const unwatch = await api.post('/v1/parcels/unwatch', {
      source: 'src-b',
      externalIds: [row.external_id],
    });
    assert.deepEqual(unwatch.json(), { watched: false, changed: 1 });
  });

  it('refuses external ids without their source (400 naming source), and with it changes only that source', async () => {
    // The same external ids in both sources (added last: earlier tests count the seeded parcels).
    const shared = ['shared-1', 'shared-2'];
    const keys: string[] = [];
    for (const [n, source] of ['src-a', 'src-b'].entries()) {
      const parcels = randomParcels(2, 90 + n, [530_000, 5_030_000, 545_000, 5_045_000], 'x').map(
        (p, i) => ({ ...p, externalId: shared[i]! }),
      );
      await upsertParcels(db, parcels, { source });
      keys.push(...shared.map((id) => `${source}:${id}`));
    }
    const watchedShared = async () =>
      (
        await db.pool.query<{ key: string }>(
          `SELECT source || ':' || external_id AS key FROM parcels
            WHERE external_id = ANY($1::text[]) AND watched ORDER BY key`,
          [shared],
        )
      ).rows.map((r) => r.key);
    try {
      const refused = await api.post(
        '/v1/parcels/watch',
        { externalIds: shared },
        api.readWriteKey,
      );
      assert.equal(refused.statusCode, 400, refused.body);
      const problem = refused.json();
      assert.equal(problem.error, 'invalid_request');
      assert.deepEqual(
        problem.details.map((d: { name: string; in: string }) => [d.in, d.name]),
        [['body', 'source']],
      );
      assert.match(problem.message, /source.*is required with externalIds/);
      assert.deepEqual(await watchedShared(), []);

      const watch = await api.post(
        '/v1/parcels/watch',
        { source: 'src-b', externalIds: shared },
        api.readWriteKey,
      );
      assert.equal(watch.statusCode, 200, watch.body);
      assert.deepEqual(watch.json(), { watched: true, changed: 2 });
      assert.deepEqual(await watchedShared(), ['src-b:shared-1', 'src-b:shared-2']);

      await db.pool.query('UPDATE parcels SET watched = true WHERE external_id = ANY($1::text[])', [
        shared,
      ]);
      const unwatch = await api.post(
        '/v1/parcels/unwatch',
        { source: 'src-a', externalIds: ['shared-2'] },
        api.readWriteKey,
      );
      assert.deepEqual(unwatch.json(), { watched: false, changed: 1 });
      assert.deepEqual(await watchedShared(), keys.filter((k) => k !== 'src-a:shared-2').sort());
    } finally {
      await db.pool.query('DELETE FROM parcels WHERE external_id = ANY($1::text[])', [shared]);
    }
  });
});
