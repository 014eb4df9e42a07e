import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { primaryTile } from '../../../src/core/geo/primary-tile';
import type { ParcelGeometry } from '../../../src/core/geo/types';
import { listAudit } from '../../../src/store/db/audit-log';
import type { Database } from '../../../src/store/db/database';
import { upsertObservations } from '../../../src/store/db/observations-repo';
import { watchParcels } from '../../../src/store/db/parcels-repo';
import { importParcels } from '../../../src/store/import/import-parcels';
import { ImportRejectedError } from '../../../src/store/import/problems';
import { observationRow } from '../archive/fixtures';
import { isolatedDatabase } from '../db/isolated-schema';
import {
  BRP_GEOJSON,
  BRP_GPKG,
  bowTie,
  brpCollection,
  brpWktById,
  brpZippedShapefile,
  feature,
  ogr2ogr,
  scratchDir,
  square,
  writeCollection,
} from './parcel-files';

interface StoredParcel {
  external_id: string;
  crop: string | null;
  area_m2: number;
  primary_tile: string;
  group_id: string | null;
  geometry_repaired: boolean;
  updated_at: Date;
}

async function stored(db: Database, source: string): Promise<Map<string, StoredParcel>> {
  const rows = await db.pool.query<StoredParcel>(
    `SELECT external_id, crop, area_m2, primary_tile, group_id, geometry_repaired, updated_at
       FROM parcels WHERE source = $1`,
    [source],
  );
  return new Map(rows.rows.map((r) => [r.external_id, r]));
}

/** Rejects with ImportRejectedError and returns it. */
async function rejected(promise: Promise<unknown>): Promise<ImportRejectedError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImportRejectedError, String(error));
    return error;
  }
  assert.fail('the import was expected to be rejected');
}

describe('importParcels (real PostGIS)', function () {
  this.timeout(180_000);
  let db: Database;
  const dir = scratchDir();
  const brp = brpCollection();

  before(async () => {
    db = await isolatedDatabase('pw_import');
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.close();
  });

  it('imports the BRP GeoPackage (RD New): 100 parcels with the geodesic area PostGIS gives the source and tiles 31U/32U', async () => {
    const summary = await importParcels(db, BRP_GPKG, { source: 'brp-gpkg' });
    assert.equal(summary.crs, 'EPSG:28992');
    assert.equal(summary.crsOrigin, 'file');
    assert.deepEqual([summary.read, summary.inserted, summary.updated], [100, 100, 0]);
    const parcels = await stored(db, 'brp-gpkg');
    assert.equal(parcels.size, 100);

    // GDAL's reading of each source polygon, measured by PostGIS on the spheroid after its own transform.
    const wkt = brpWktById();
    assert.equal(wkt.size, 100);
    const truth = await db.pool.query<{ id: string; area: number }>(
      `SELECT t.id::text AS id, ST_Area(ST_Transform(ST_GeomFromText(t.wkt, 28992), 4326)::geography) AS area
         FROM unnest($1::int[], $2::text[]) AS t(id, wkt)`,
      [[...wkt.keys()], [...wkt.values()]],
    );
    for (const { id, area } of truth.rows) {
      const parcel = parcels.get(id);
      assert.ok(parcel, `parcel ${id} is stored`);
      assert.ok(
        Math.abs(parcel.area_m2 - area) <= 0.01 * area,
        `parcel ${id}: ${parcel.area_m2} m² vs ${area} m²`,
      );
    }
    // Tiles of the same parcels as GDAL reprojected them to WGS 84 (the GeoJSON fixture, in id order).
    brp.features.forEach((f, i) => {
      const parcel = parcels.get(String(i + 1))!;
      assert.equal(parcel.crop, f.properties.gewas);
      assert.equal(parcel.primary_tile, primaryTile(f.geometry as ParcelGeometry).tile);
      assert.match(parcel.primary_tile, /^3[12]U[A-Z]{2}$/);
      assert.notEqual(parcel.group_id, null, `parcel ${i + 1} was given a group`);
    });
  });

  it('changes nothing when the same file is imported again', async () => {
    const before = await stored(db, 'brp-gpkg');
    const summary = await importParcels(db, BRP_GPKG, { source: 'brp-gpkg' });
    assert.deepEqual(
      [summary.inserted, summary.updated, summary.unchanged, summary.regrouped],
      [0, 0, 100, 0],
    );
    assert.deepEqual(await stored(db, 'brp-gpkg'), before);
  });

  it('imports the BRP GeoJSON with the areas PostGIS gives its geometries, ids from row numbers (and says so)', async () => {
    const summary = await importParcels(db, BRP_GEOJSON, { source: 'brp-geojson' });
    assert.equal(summary.crsOrigin, 'default');
    assert.match(summary.warnings.join(), /row numbers/);
    const parcels = await stored(db, 'brp-geojson');
    assert.equal(parcels.size, 100);
    const truth = await db.pool.query<{ ord: string; area: number }>(
      `SELECT t.ord, ST_Area(ST_GeomFromGeoJSON(t.g)::geography) AS area
         FROM unnest($1::text[]) WITH ORDINALITY AS t(g, ord)`,
      [brp.features.map((f) => JSON.stringify(f.geometry))],
    );
    for (const { ord, area } of truth.rows) {
      assert.ok(Math.abs(parcels.get(ord)!.area_m2 - area) <= 0.01 * area);
    }
    const again = await importParcels(db, BRP_GEOJSON, { source: 'brp-geojson' });
    assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, 100]);
  });

  it('imports a zipped Shapefile written by GDAL from the GeoPackage as the same parcels', async () => {
    const zip = brpZippedShapefile(dir);
    const summary = await importParcels(db, zip, { source: 'brp-shp' });
    assert.equal(summary.crs, 'EPSG:28992', 'the .prj (ESRI "RD_New") is recognised');
    assert.equal(summary.inserted, 100);
    const same = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM parcels s JOIN parcels g
          ON g.source = 'brp-gpkg' AND s.source = 'brp-shp' AND g.external_id = s.external_id
       WHERE s.crop = g.crop AND s.primary_tile = g.primary_tile
         AND abs(s.area_m2 - g.area_m2) <= 1e-6 * g.area_m2 AND ST_Equals(s.geom, g.geom)`,
    );
    assert.equal(same.rows[0].n, 100);
  });

  it('reads the legacy crs member of a GeoJSON, and --srs for a file that gives none', async () => {
    const rd = path.join(dir, 'brp-rd.geojson');
    ogr2ogr(['-f', 'GeoJSON', '-lco', 'RFC7946=NO', rd, BRP_GPKG]);
    const withCrs = await importParcels(db, rd, { source: 'brp-rd' });
    assert.deepEqual([withCrs.crs, withCrs.crsOrigin], ['EPSG:28992', 'file']);

    const { crs: _dropped, ...bare } = JSON.parse(readFileSync(rd, 'utf8')) as Record<
      string,
      unknown
    >;
    const noCrs = writeCollection(dir, 'brp-rd-bare.geojson', bare);
    const error = await rejected(importParcels(db, noCrs, { source: 'brp-rd-bare' }));
    assert.equal(error.rejected, 100);
    assert.match(error.message, /row 1 .*outside \[-180, 180\].*read as EPSG:4326; pass --srs/);
    const given = await importParcels(db, noCrs, { source: 'brp-rd', srs: 'EPSG:28992' });
    assert.deepEqual([given.crsOrigin, given.unchanged], ['option', 100]);
  });

  it('imports nothing from a file with one self-intersecting parcel, naming its row and reason', async () => {
    const broken = brpCollection();
    broken.features[4].properties.gewas = 'Changed crop';
    broken.features[36].geometry = bowTie(4.6, 52.1);
    const file = writeCollection(dir, 'broken.geojson', broken);
    const before = await stored(db, 'brp-geojson');

    const error = await rejected(importParcels(db, file, { source: 'brp-geojson' }));
    assert.equal(error.rejected, 1);
    assert.deepEqual(
      error.problems.map((p) => [p.row, p.externalId]),
      [[37, '37']],
    );
    assert.match(error.message, /1 of 100 parcels rejected, nothing was imported/);
    assert.match(
      error.message,
      /row 37 \(id "37"\): geometry is invalid: Self-intersection.*--repair/,
    );
    assert.deepEqual(
      await stored(db, 'brp-geojson'),
      before,
      'the crop change of row 5 was rolled back too',
    );
  });

  it('repairs it with --repair (ST_MakeValid), flagging only that parcel', async () => {
    const broken = brpCollection();
    broken.features[36].geometry = bowTie(4.6, 52.1);
    const file = writeCollection(dir, 'repairable.geojson', broken);
    const summary = await importParcels(db, file, { source: 'brp-repaired', repair: true });
    assert.deepEqual([summary.inserted, summary.repaired], [100, 1]);
    const rows = await db.pool.query<{ external_id: string; valid: boolean; type: string }>(
      `SELECT external_id, ST_IsValid(geom) AS valid, ST_GeometryType(geom) AS type
         FROM parcels WHERE source = 'brp-repaired' AND geometry_repaired`,
    );
    assert.deepEqual(rows.rows, [{ external_id: '37', valid: true, type: 'ST_MultiPolygon' }]);
    // The bow tie's two triangles: half the square, 0.0005° × 0.001° each.
    const area = await db.pool.query<{ ratio: number }>(
      `SELECT p.area_m2 / ST_Area(ST_GeomFromGeoJSON($1)::geography) AS ratio
         FROM parcels p WHERE source = 'brp-repaired' AND external_id = '37'`,
      [JSON.stringify(square(4.6, 52.1))],
    );
    assert.ok(Math.abs(area.rows[0].ratio - 0.5) < 0.001, String(area.rows[0].ratio));

    // A ring folded onto a line has no polygon to give back: still rejected, with both reasons.
    const flat = writeCollection(dir, 'flat.geojson', {
      type: 'FeatureCollection',
      features: [
        feature('ok', square(5, 52)),
        feature('flat', {
          type: 'Polygon',
          coordinates: [
            [
              [5.1, 52],
              [5.2, 52],
              [5.3, 52],
              [5.1, 52],
            ],
          ],
        }),
      ],
    });
    const error = await rejected(importParcels(db, flat, { source: 'flat', repair: true }));
    assert.match(
      error.message,
      /row 2 \(id "flat"\): geometry is invalid \(Self-intersection\[5\.2 52\]\) and repairing it left no polygon/,
    );
  });

  it('rejects duplicate ids naming both rows, and each unusable parcel with its reason', async () => {
    const file = writeCollection(dir, 'bad.geojson', {
      type: 'FeatureCollection',
      features: [
        feature('A', square(5, 52)),
        feature('B', square(5.01, 52)),
        feature('A', square(5.02, 52)),
        feature('polar', square(10, 85)),
        feature('line', {
          type: 'LineString',
          coordinates: [
            [5, 52],
            [5.1, 52.1],
          ],
        }),
        feature('none', null),
        feature('huge', square(5, 50, 0.99)),
        feature('wide', square(5, 50, 1.5)),
        { type: 'Feature', properties: { name: 'no id' }, geometry: square(5.03, 52) },
        feature('ok', square(5.04, 52)),
      ],
    });
    const error = await rejected(importParcels(db, file, { source: 'bad' }));
    const reasons = new Map(error.problems.map((p) => [p.row, `${p.externalId}: ${p.reason}`]));
    assert.equal(error.rejected, 7);
    assert.match(reasons.get(3)!, /^A: uses the same external id as row 1/);
    assert.match(reasons.get(4)!, /^polar: is outside Sentinel-2 coverage: latitude 85/);
    assert.match(reasons.get(5)!, /^line: geometry is a LineString, not a Polygon or MultiPolygon/);
    assert.match(reasons.get(6)!, /^none: has no geometry/);
    assert.match(
      reasons.get(7)!,
      /^huge: is absurdly large for a parcel: \d+ ha \(limit 10000 ha\)/,
    );
    assert.match(
      reasons.get(8)!,
      /^wide: is absurdly large for a parcel: it spans 1\.50° × 1\.50°/,
    );
    assert.match(reasons.get(9)!, /^undefined: has no value in the id attribute "id"/);
    assert.match(error.message, /\n {2}row 9: has no value/);
    assert.equal(reasons.has(10), false);
    assert.equal((await stored(db, 'bad')).size, 0);
  });

  it('updates a parcel whose geometry changed and gives it a group again; a dry run writes nothing', async () => {
    const v1 = writeCollection(dir, 'v1.geojson', {
      type: 'FeatureCollection',
      features: [0, 1, 2].map((i) => feature(`F${i}`, square(5 + i * 0.01, 52), { crop: 'wheat' })),
    });
    await importParcels(db, v1, { source: 'moving' });
    const first = await stored(db, 'moving');

    const v2 = writeCollection(dir, 'v2.geojson', {
      type: 'FeatureCollection',
      features: [0, 1, 2].map((i) =>
        feature(`F${i}`, square(5 + i * 0.01 + (i === 1 ? 0.0002 : 0), 52), {
          crop: i === 2 ? 'maize' : 'wheat',
        }),
      ),
    });
    const dry = await importParcels(db, v2, { source: 'moving', dryRun: true });
    assert.deepEqual([dry.updated, dry.unchanged, dry.dryRun], [2, 1, true]);
    assert.deepEqual(await stored(db, 'moving'), first);

    const summary = await importParcels(db, v2, { source: 'moving' });
    assert.deepEqual([summary.updated, summary.unchanged, summary.regrouped], [2, 1, 1]);
    assert.equal(summary.groups?.parcelsAssigned, 1);
    const second = await stored(db, 'moving');
    assert.equal(second.get('F2')!.crop, 'maize');
    assert.equal(
      second.get('F2')!.group_id,
      first.get('F2')!.group_id,
      'a crop change keeps the group',
    );
    assert.notEqual(second.get('F1')!.group_id, null);
    assert.deepEqual(second.get('F0'), first.get('F0'));
  });

  it('with unwatchMissing unwatches exactly the watched parcels of the source missing from the file, keeping them and their history; a dry run only counts', async () => {
    const register = (ids: string[]) =>
      writeCollection(dir, `register-${ids.join('')}.geojson`, {
        type: 'FeatureCollection',
        features: ids.map((id) =>
          feature(id, square(6 + Number(id.slice(1)) * 0.01, 51), { crop: 'wheat', plot: id }),
        ),
      });
    await importParcels(db, register(['R1', 'R2', 'R3']), { source: 'register' });
    await importParcels(
      db,
      writeCollection(dir, 'neighbour.geojson', {
        type: 'FeatureCollection',
        features: ['N1', 'N2'].map((id, i) => feature(id, square(6.5 + i * 0.01, 51))),
      }),
      { source: 'neighbour' },
    );
    await watchParcels(db, { source: 'register' }, true);
    await watchParcels(db, { source: 'neighbour' }, true);
    const r3 = await db.pool.query<{ id: string }>(
      "SELECT id FROM parcels WHERE source = 'register' AND external_id = 'R3'",
    );
    const r3Id = Number(r3.rows[0].id);
    await upsertObservations(db, [observationRow(r3Id, 'ndvi', '2024-05-07T10:00:00Z', 0.6)], {
      algorithmVersion: 'engine-1',
    });

    interface Row {
      source: string;
      external_id: string;
      watched: boolean;
      attributes: unknown;
      group_id: string | null;
    }
    const state = async () => {
      const parcels = await db.pool.query<Row>(
        `SELECT source, external_id, watched, attributes, group_id FROM parcels
          WHERE source IN ('register', 'neighbour') ORDER BY source, external_id`,
      );
      const groups = await db.pool.query<{ id: string; watched_count: number }>(
        `SELECT g.id, g.watched_count FROM parcel_groups g
          WHERE g.id IN (SELECT group_id FROM parcels WHERE source IN ('register', 'neighbour'))
          ORDER BY g.id`,
      );
      const observations = await db.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM parcel_observations WHERE parcel_id = $1',
        [r3Id],
      );
      return { parcels: parcels.rows, groups: groups.rows, observations: observations.rows[0].n };
    };
    const watchedOf = (rows: Row[]) =>
      rows.filter((r) => r.watched).map((r) => `${r.source}/${r.external_id}`);
    const allWatched = await state();
    assert.deepEqual(watchedOf(allWatched.parcels), [
      'neighbour/N1',
      'neighbour/N2',
      'register/R1',
      'register/R2',
      'register/R3',
    ]);
    assert.equal(allWatched.observations, 1);
    const v2 = register(['R1', 'R2']);

    const without = await importParcels(db, v2, { source: 'register', actor: 'tester' });
    assert.deepEqual([without.unchanged, without.unwatched], [2, 0]);
    assert.deepEqual(await state(), allWatched, 'without the flag nothing is unwatched');

    const dry = await importParcels(db, v2, {
      source: 'register',
      unwatchMissing: true,
      dryRun: true,
      actor: 'tester',
    });
    assert.deepEqual([dry.unwatched, dry.dryRun], [1, true]);
    assert.deepEqual(await state(), allWatched, 'a dry run changes nothing');

    const real = await importParcels(db, v2, {
      source: 'register',
      unwatchMissing: true,
      actor: 'tester',
    });
    assert.deepEqual([real.unchanged, real.inserted, real.updated, real.unwatched], [2, 0, 0, 1]);
    const after = await state();
    assert.deepEqual(watchedOf(after.parcels), [
      'neighbour/N1',
      'neighbour/N2',
      'register/R1',
      'register/R2',
    ]);
    assert.deepEqual(
      after.parcels.map((r) => ({ ...r, watched: undefined })),
      allWatched.parcels.map((r) => ({ ...r, watched: undefined })),
      'every parcel stays, with its attributes and group',
    );
    assert.equal(after.observations, 1, 'the missing parcel keeps its observations');
    const r3Group = after.parcels.find((r) => r.external_id === 'R3')!.group_id;
    assert.notEqual(r3Group, null);
    const truth = await db.pool.query<{ id: string; watched_count: number }>(
      `SELECT g.id, (SELECT count(*)::int FROM parcels p WHERE p.group_id = g.id AND p.watched) AS watched_count
         FROM parcel_groups g WHERE g.id = ANY($1::bigint[]) ORDER BY g.id`,
      [after.groups.map((g) => g.id)],
    );
    assert.deepEqual(after.groups, truth.rows, 'group watched counts follow');
    assert.equal(
      after.groups.find((g) => g.id === r3Group)!.watched_count,
      allWatched.groups.find((g) => g.id === r3Group)!.watched_count - 1,
    );

    const audit = await listAudit(db, { action: 'parcels.import', target: 'source:register' });
    assert.deepEqual(
      audit.map((a) => a.details.unwatched),
      [1, 0],
      'the real imports are audited with their count, the dry run is not',
    );

    const again = await importParcels(db, v2, { source: 'register', unwatchMissing: true });
    assert.equal(again.unwatched, 0, 'an unwatched parcel is not counted again');
    assert.deepEqual(await state(), after);
  });

  it('fails clearly on an empty collection, an unknown --id-field and a file that is no parcel file', async () => {
    const empty = writeCollection(dir, 'empty.geojson', {
      type: 'FeatureCollection',
      features: [],
    });
    await assert.rejects(
      importParcels(db, empty),
      /empty\.geojson holds no feature; nothing to import/,
    );
    await assert.rejects(
      importParcels(db, BRP_GPKG, { idField: 'perceel' }),
      /has no attribute "perceel" \(--id-field\); its attributes: category, gewas, gewascode, jaar, status/,
    );
    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'not parcels');
    await assert.rejects(
      importParcels(db, text),
      /neither GeoJSON, GeoPackage nor a zipped Shapefile/,
    );
  });
});
