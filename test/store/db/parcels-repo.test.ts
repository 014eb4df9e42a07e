import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import { reprojectGeometry } from '../../../src/core/geo/crs';
import { geometryArea } from '../../../src/core/geo/geometry';
import { primaryTile } from '../../../src/core/geo/primary-tile';
import type { Polygon } from '../../../src/core/geo/types';
import type { Database } from '../../../src/store/db/database';
import { assignGroups } from '../../../src/store/db/groups';
import {
  deleteParcels,
  groupParcelCount,
  type ParcelInput,
  parcelsOfGroup,
  upsertParcels,
  watchParcels,
} from '../../../src/store/db/parcels-repo';
import { isolatedDatabase } from './isolated-schema';
import { dutchParcels, randomParcels, utmSquare } from './test-parcels';

/** A ring crossing itself in the middle (a bow tie), near 15.5° E 45.5° N. */
const BOW_TIE: Polygon = {
  type: 'Polygon',
  coordinates: [
    [
      [15.5, 45.5],
      [15.501, 45.501],
      [15.501, 45.5],
      [15.5, 45.501],
      [15.5, 45.5],
    ],
  ],
};

async function parcelCount(db: Database): Promise<number> {
  return (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM parcels')).rows[0].n;
}

describe('parcels repository (real PostGIS)', function () {
  this.timeout(120_000);
  let db: Database;
  const nl = dutchParcels();

  before(async () => {
    db = await isolatedDatabase('pw_parcels');
  });
  after(async () => db?.close());

  it('inserts the 100 Dutch parcels, then finds nothing to change when given them again', async () => {
    const first = await upsertParcels(db, nl, { source: 'brp' });
    assert.deepEqual([first.inserted, first.updated, first.unchanged], [100, 0, 0]);
    assert.equal(new Set(first.ids).size, 100);
    const before = await db.pool.query('SELECT id, updated_at FROM parcels ORDER BY id');
    const second = await upsertParcels(db, nl, { source: 'brp' });
    assert.deepEqual([second.inserted, second.updated, second.unchanged], [0, 0, 100]);
    assert.deepEqual(second.ids, first.ids);
    const after = await db.pool.query('SELECT id, updated_at FROM parcels ORDER BY id');
    assert.deepEqual(after.rows, before.rows);
  });

  it('stores MultiPolygons in EPSG:4326 with the geodesic area PostGIS computes on the spheroid', async () => {
    const rows = await db.pool.query<{
      external_id: string;
      type: string;
      srid: number;
      area_m2: number;
      primary_tile: string;
      crop: string;
    }>(
      `SELECT external_id, ST_GeometryType(geom) AS type, ST_SRID(geom) AS srid, area_m2, primary_tile, crop
         FROM parcels WHERE source = 'brp'`,
    );
    assert.equal(rows.rows.length, 100);
    const byId = new Map(nl.map((p) => [p.externalId, p]));
    for (const row of rows.rows) {
      const input = byId.get(row.external_id)!;
      assert.equal(row.type, 'ST_MultiPolygon');
      assert.equal(row.srid, 4326);
      assert.equal(row.crop, input.crop);
      assert.equal(row.primary_tile, primaryTile(input.geometry).tile);
      // The area of the geometry as given, computed apart by PostGIS on the spheroid.
      const geodesic = await db.pool.query<{ a: number }>(
        'SELECT ST_Area(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)::geography) AS a',
        [JSON.stringify(input.geometry)],
      );
      assert.ok(Math.abs(row.area_m2 - geodesic.rows[0].a) <= 1e-9 * geodesic.rows[0].a);
      // And close to the planar area in UTM 31N, whose scale error there is below 0.1 %.
      const planar = geometryArea(reprojectGeometry(input.geometry, 4326, 32631));
      assert.ok(
        Math.abs(row.area_m2 / planar - 1) < 2e-3,
        `${row.external_id}: ${row.area_m2} vs ${planar}`,
      );
    }
  });

  it('keeps the source attributes as given', async () => {
    const row = await db.pool.query<{ attributes: Record<string, unknown> }>(
      "SELECT attributes FROM parcels WHERE source = 'brp' AND external_id = 'brp-0'",
    );
    assert.deepEqual(row.rows[0].attributes, nl[0].attributes);
  });

  it('rewrites only the parcel that changed, keeping its group while its geometry is the same', async () => {
    await assignGroups(db, { maxParcels: 5_000 });
    const before = await db.pool.query<{ id: string; group_id: string; updated_at: Date }>(
      "SELECT id, group_id, updated_at FROM parcels WHERE source = 'brp' ORDER BY id",
    );
    const renamed = nl.map((p, i) => (i === 3 ? { ...p, name: 'Noordakker' } : p));
    const result = await upsertParcels(db, renamed, { source: 'brp' });
    assert.deepEqual(
      [result.inserted, result.updated, result.unchanged, result.regroup],
      [0, 1, 99, 0],
    );
    const after = await db.pool.query<{
      id: string;
      group_id: string;
      updated_at: Date;
      name: string | null;
    }>("SELECT id, group_id, updated_at, name FROM parcels WHERE source = 'brp' ORDER BY id");
    after.rows.forEach((row, i) => {
      assert.equal(row.group_id, before.rows[i].group_id);
      const changed = row.id === String(result.ids[3]);
      assert.equal(row.updated_at.getTime() !== before.rows[i].updated_at.getTime(), changed);
      assert.equal(row.name, changed ? 'Noordakker' : null);
    });
  });

  it('takes a parcel whose geometry changed out of its group, refreshing the group it left', async () => {
    // 1 m further east: same tile, same group once placed again.
    const shifted: Polygon = {
      type: 'Polygon',
      coordinates: (nl[5].geometry as Polygon).coordinates.map((ring) =>
        ring.map(([x, y]): [number, number] => [x + 1.5e-5, y]),
      ),
    };
    const moved: ParcelInput = { ...nl[5], geometry: shifted };
    const groupOf = async (externalId: string) =>
      (
        await db.pool.query<{ group_id: string | null; n: number }>(
          `SELECT p.group_id, g.parcel_count AS n FROM parcels p LEFT JOIN parcel_groups g ON g.id = p.group_id
            WHERE p.source = 'brp' AND p.external_id = $1`,
          [externalId],
        )
      ).rows[0];
    const before = await groupOf('brp-5');
    assert.ok(before.group_id !== null);
    const result = await upsertParcels(db, [moved], { source: 'brp' });
    assert.deepEqual([result.updated, result.regroup], [1, 1]);
    assert.equal((await groupOf('brp-5')).group_id, null);
    const left = await db.pool.query<{ parcel_count: number }>(
      'SELECT parcel_count FROM parcel_groups WHERE id = $1',
      [before.group_id],
    );
    assert.equal(left.rows[0].parcel_count, before.n - 1);
    const assigned = await assignGroups(db, { maxParcels: 5_000 });
    assert.equal(assigned.parcelsAssigned, 1);
    assert.equal((await groupOf('brp-5')).n, before.n);
    await upsertParcels(db, [nl[5]], { source: 'brp' });
    await assignGroups(db, { maxParcels: 5_000 });
  });

  it("refuses a self-intersecting parcel, naming it and PostGIS's reason, and writes nothing of the call", async () => {
    const count = await parcelCount(db);
    const batch: ParcelInput[] = [
      { externalId: 'ok-1', geometry: utmSquare(550_000, 5_050_000) },
      { externalId: 'bow-tie-7', geometry: BOW_TIE },
      { externalId: 'ok-2', geometry: utmSquare(551_000, 5_050_000) },
    ];
    await assert.rejects(upsertParcels(db, batch), (error: unknown) => {
      assert.ok(error instanceof BadInputError);
      assert.match(
        error.message,
        /parcel "bow-tie-7" \(source default\): Self-intersection\[15\.5005 45\.5005\]/,
      );
      assert.doesNotMatch(error.message, /ok-1|ok-2/);
      return true;
    });
    assert.equal(await parcelCount(db), count);
  });

  it('refuses unclosed rings, repeated ids and coordinates that are not lon/lat before touching the database', async () => {
    const open: Polygon = { type: 'Polygon', coordinates: [BOW_TIE.coordinates[0].slice(0, 4)] };
    await assert.rejects(
      upsertParcels(db, [{ externalId: 'open-1', geometry: open }]),
      /"open-1".*not closed/,
    );
    const square = utmSquare(550_000, 5_050_000);
    await assert.rejects(
      upsertParcels(db, [
        { externalId: 'twice', geometry: square },
        { externalId: 'twice', geometry: square },
      ]),
      /"twice" \(source default\) is given twice/,
    );
    const projected = reprojectGeometry(square, 4326, 32633);
    await assert.rejects(
      upsertParcels(db, [{ externalId: 'utm', geometry: projected }]),
      /"utm".*outside \[-180, 180\]/,
    );
    assert.equal(await parcelCount(db), 100);
  });

  it('watches parcels by external id or database id, counting only those that changed, and keeps group counts', async () => {
    assert.equal(
      await watchParcels(db, { source: 'brp', externalIds: ['brp-1', 'brp-2', 'brp-3'] }, true),
      3,
    );
    assert.equal(
      await watchParcels(db, { source: 'brp', externalIds: ['brp-1', 'brp-2'] }, true),
      0,
    );
    const id = (
      await db.pool.query<{ id: string }>("SELECT id FROM parcels WHERE external_id = 'brp-2'")
    ).rows[0].id;
    assert.equal(await watchParcels(db, { ids: [Number(id)] }, false), 1);
    const groups = await db.pool.query<{ watched_count: number; actual: number }>(
      `SELECT g.watched_count, (SELECT count(*)::int FROM parcels p WHERE p.group_id = g.id AND p.watched) AS actual
         FROM parcel_groups g`,
    );
    assert.ok(groups.rows.length > 0);
    for (const g of groups.rows) assert.equal(g.watched_count, g.actual);
    assert.equal(
      groups.rows.reduce((s, g) => s + g.watched_count, 0),
      2,
    );
    await assert.rejects(watchParcels(db, {}, true), /no parcels selected/);
  });

  it('pages through a group by id, all or watched only, with GeoJSON MultiPolygons', async () => {
    const group = await db.pool.query<{ group_id: string }>(
      "SELECT group_id FROM parcels WHERE external_id = 'brp-1' AND source = 'brp'",
    );
    const groupId = Number(group.rows[0].group_id);
    const all = await groupParcelCount(db, groupId, { watchedOnly: false });
    const pages: number[] = [];
    let afterId: number | undefined;
    for (;;) {
      const page = await parcelsOfGroup(db, groupId, { watchedOnly: false, afterId, limit: 7 });
      if (page.length === 0) break;
      assert.ok(page.length <= 7);
      pages.push(...page.map((p) => p.id));
      afterId = page[page.length - 1].id;
    }
    assert.equal(pages.length, all);
    assert.deepEqual(
      pages,
      [...pages].sort((a, b) => a - b),
    );
    // Groups hold at most 5 000 parcels, so here a group is a whole tile: the watched parcels
    // (brp-1, brp-3) of brp-1's tile.
    const tile = primaryTile(nl[1].geometry).tile;
    const expected = [nl[1], nl[3]].filter((p) => primaryTile(p.geometry).tile === tile);
    const watched = await parcelsOfGroup(db, groupId, { watchedOnly: true });
    assert.deepEqual(
      watched.map((p) => p.externalId).sort(),
      expected.map((p) => p.externalId),
    );
    assert.equal(await groupParcelCount(db, groupId, { watchedOnly: true }), watched.length);
    const brp1 = watched.find((p) => p.externalId === 'brp-1')!;
    assert.equal(brp1.geometry.type, 'MultiPolygon');
    assert.deepEqual(brp1.geometry.coordinates, [nl[1].geometry.coordinates]);
  });

  it('deletes parcels and the groups they leave empty', async () => {
    const extra = randomParcels(3, 11, [550_000, 5_050_000, 551_000, 5_051_000], 'gone');
    await upsertParcels(db, extra, { source: 'tmp' });
    await assignGroups(db, { maxParcels: 5_000, tiles: ['33TWL'] });
    const groups = async () =>
      (
        await db.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM parcel_groups WHERE tile = '33TWL'",
        )
      ).rows[0].n;
    assert.equal(await groups(), 1);
    assert.equal(await deleteParcels(db, { source: 'tmp', externalIds: ['gone-0'] }), 1);
    assert.equal(await groups(), 1);
    assert.equal(await deleteParcels(db, { source: 'tmp' }), 2);
    assert.equal(await groups(), 0);
  });
});
