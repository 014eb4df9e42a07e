import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { geometryBBox } from '../../src/core/geo/geometry';
import type { BBox, ParcelGeometry } from '../../src/core/geo/types';
import type { Database } from '../../src/store/db/database';
import { upsertParcels } from '../../src/store/db/parcels-repo';
import { runCli } from '../helpers/cli';
import { isolatedDatabase } from '../store/db/isolated-schema';
import {
  BRP_GPKG,
  bowTie,
  brpCollection,
  scratchDir,
  square,
  writeCollection,
} from '../store/import/parcel-files';

const SCHEMA = 'cli_parcels';

describe('parcelwatch parcels import|watch|unwatch|list', function () {
  this.timeout(300_000);
  let db: Database & { url: string };
  let env: Record<string, string>;
  const dir = scratchDir();
  const brp = brpCollection();
  /** Fixture rows (ids 1..100 in the GeoPackage) with their WGS 84 bounding boxes and crops. */
  const rows = brp.features.map((f, i) => ({
    id: String(i + 1),
    crop: String(f.properties.gewas),
    code: String(f.properties.gewascode),
    bbox: geometryBBox(f.geometry as ParcelGeometry),
  }));
  const cli = (...args: string[]) => runCli(['parcels', ...args], env);
  const watchedIds = async () =>
    (
      await db.pool.query<{ external_id: string }>(
        'SELECT external_id FROM parcels WHERE watched ORDER BY external_id::int',
      )
    ).rows.map((r) => r.external_id);
  const unwatchAll = () => db.pool.query('UPDATE parcels SET watched = false');

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    env = { DATABASE_URL: db.url, PARCELWATCH_DB_SCHEMA: SCHEMA };
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.close();
  });

  it('imports the BRP GeoPackage, printing the summary as JSON, then again changing nothing', async () => {
    const first = await cli('import', BRP_GPKG, '--source', 'brp', '--json');
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assert.deepEqual(
      [
        summary.read,
        summary.inserted,
        summary.updated,
        summary.unchanged,
        summary.repaired,
        summary.rejected,
      ],
      [100, 100, 0, 0, 0, 0],
    );
    assert.equal(typeof summary.seconds, 'number');
    assert.match(first.stderr, /import: writing 100 % 100 of 100/);

    const again = await cli('import', BRP_GPKG, '--source', 'brp', '--no-progress');
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /nl-brp-2023\.gpkg \(layer brp_gewas\): geopackage, EPSG:28992 \(from the file\), source "brp"/,
    );
    assert.match(again.stdout, /crop "gewas" \(guessed\)/);
    assert.match(again.stdout, /read 100, inserted 0, updated 0, unchanged 100, repaired 0/);
    assert.equal(again.stderr, '');
  });

  it('exits 2 naming the broken row and writes nothing; --json lists the problems; --repair imports it', async () => {
    const broken = brpCollection();
    broken.features[36].geometry = bowTie(4.6, 52.1);
    const file = writeCollection(dir, 'broken.geojson', broken);
    const result = await cli('import', file, '--source', 'broken');
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /broken\.geojson: 1 of 100 parcels rejected, nothing was imported:\n {2}row 37 \(id "37"\): geometry is invalid: Self-intersection/,
    );
    const json = await cli('import', file, '--source', 'broken', '--json');
    assert.equal(json.code, 2);
    const report = JSON.parse(json.stdout);
    assert.deepEqual([report.error, report.read, report.rejected], ['IMPORT_REJECTED', 100, 1]);
    assert.deepEqual([report.problems[0].row, report.problems[0].externalId], [37, '37']);
    const count = await db.pool.query(
      "SELECT count(*)::int AS n FROM parcels WHERE source = 'broken'",
    );
    assert.equal(count.rows[0].n, 0);

    const repaired = await cli('import', file, '--source', 'broken', '--repair', '--json');
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.deepEqual(
      [JSON.parse(repaired.stdout).inserted, JSON.parse(repaired.stdout).repaired],
      [100, 1],
    );
    await db.pool.query("DELETE FROM parcels WHERE source = 'broken'");
  });

  it('exits 2 on a missing file and on an empty --source', async () => {
    const missing = await cli('import', path.join(dir, 'nope.gpkg'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.gpkg does not exist or is not a file/);
    const empty = await cli('import', BRP_GPKG, '--source', ' ');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--source must not be empty/);
  });

  it('watches by external ids and by an id file, refusing unknown ones without changing anything', async () => {
    await unwatchAll();
    // One source: --external-ids without --source are ids of that one.
    const byIds = await cli('watch', '--external-ids', '1,2,3');
    assert.equal(byIds.code, 0, byIds.stderr);
    assert.match(byIds.stdout, /3 parcels selected: 3 now watched/);
    const unknown = await cli('watch', '--external-ids', '4,999,1000');
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /2 of the 3 external ids are not parcels of source brp: "999", "1000"; nothing was changed/,
    );
    assert.deepEqual(await watchedIds(), ['1', '2', '3'], 'parcel 4 was not watched either');
    const ids = path.join(dir, 'ids.csv');
    writeFileSync(ids, 'crop,parcel\nSloot,3\nSloot,10\n');
    const byFile = await cli(
      'watch',
      '--file',
      ids,
      '--column',
      'parcel',
      '--source',
      'brp',
      '--json',
    );
    assert.equal(byFile.code, 0, byFile.stderr);
    assert.deepEqual(JSON.parse(byFile.stdout), { selected: 2, changed: 1, watched: true });
    assert.deepEqual(await watchedIds(), ['1', '2', '3', '10']);
    const unwatch = await cli('unwatch', '--external-ids', '2,10', '--source', 'brp');
    assert.match(unwatch.stdout, /2 parcels selected: 2 now unwatched/);
    assert.deepEqual(await watchedIds(), ['1', '3']);
  });

  it('watches by database ids, refusing ids of no parcel by name and changing nothing', async () => {
    await unwatchAll();
    // Database ids of the BRP parcels equal their external ids; this parcel's do not.
    const [other] = (
      await upsertParcels(db, [{ externalId: '5', geometry: square(4.5, 52.1) }], {
        source: 'other',
      })
    ).ids;
    const watched = async () =>
      (
        await db.pool.query<{ key: string }>(
          "SELECT source || ':' || external_id AS key FROM parcels WHERE watched ORDER BY key",
        )
      ).rows.map((r) => r.key);
    try {
      assert.ok(other !== undefined && other > 100);
      const unknown = await cli('watch', '--ids', `6,${other + 1},${other},${other + 7}`);
      assert.equal(unknown.code, 2);
      assert.match(
        unknown.stderr,
        new RegExp(
          `2 of the 4 --ids are no parcel's id: "${other + 1}", "${other + 7}"; nothing was changed — --ids takes database ids`,
        ),
      );
      assert.deepEqual(await watched(), [], 'parcels 6 and other:5 were not watched either');

      const known = await cli('watch', '--ids', `6,${other}`, '--json');
      assert.equal(known.code, 0, known.stderr);
      assert.deepEqual(JSON.parse(known.stdout), { selected: 2, changed: 2, watched: true });
      assert.deepEqual(await watched(), ['brp:6', 'other:5']);
    } finally {
      await db.pool.query("DELETE FROM parcels WHERE source = 'other'");
    }
  });

  it('refuses a write without a selection, and --watched or --unwatched alone, changing nothing', async () => {
    await unwatchAll();
    await db.pool.query("UPDATE parcels SET watched = true WHERE external_id IN ('7', '8')");
    const cases: Array<[string[], RegExp]> = [
      [
        ['watch'],
        /select parcels with --source, --ids, --external-ids, --file, --bbox, --within, --where or --crop \(see --help\)/,
      ],
      [['watch', '--unwatched'], /--watched and --unwatched only narrow a selection/],
      [['unwatch', '--watched', '--json'], /--watched and --unwatched only narrow a selection/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.deepEqual(await watchedIds(), ['7', '8'], args.join(' '));
    }
    // With a selection, --watched narrows it: of the parcels whose external id holds a 7
    // (7, 17, 27, …), only the watched one.
    const narrowed = await cli('unwatch', '--where', 'external_id~7', '--watched', '--json');
    assert.equal(narrowed.code, 0, narrowed.stderr);
    assert.deepEqual(JSON.parse(narrowed.stdout), { selected: 1, changed: 1, watched: false });
    assert.deepEqual(await watchedIds(), ['8']);
  });

  it('watches by bounding box: every parcel inside it, none outside', async () => {
    await unwatchAll();
    const box: BBox = [4.4, 51.9, 4.8, 52.2];
    const inside = rows.filter(
      (r) =>
        r.bbox[0] >= box[0] && r.bbox[2] <= box[2] && r.bbox[1] >= box[1] && r.bbox[3] <= box[3],
    );
    const outside = rows.filter(
      (r) => r.bbox[2] < box[0] || r.bbox[0] > box[2] || r.bbox[3] < box[1] || r.bbox[1] > box[3],
    );
    assert.ok(
      inside.length >= 5 && outside.length >= 50,
      `${inside.length} inside, ${outside.length} outside`,
    );
    const result = await cli('watch', '--bbox', box.join(','));
    assert.equal(result.code, 0, result.stderr);
    const watched = new Set(await watchedIds());
    for (const r of inside)
      assert.ok(watched.has(r.id), `parcel ${r.id} inside the box is watched`);
    for (const r of outside) assert.ok(!watched.has(r.id), `parcel ${r.id} outside the box is not`);
  });

  it('watches the parcels lying within a polygon file, not those crossing its edge', async () => {
    await unwatchAll();
    // A polygon cutting through the middle of parcel 1: it must not be selected.
    const [minLon, minLat, maxLon, maxLat] = rows[0].bbox;
    const midLon = (minLon + maxLon) / 2;
    const area = square(midLon - 0.5, minLat - 0.25, 0.5);
    const areaFile = writeCollection(dir, 'area.geojson', {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', properties: {}, geometry: area }],
    });
    const [aMinLon, aMinLat, aMaxLon, aMaxLat] = geometryBBox(area);
    const inside = rows.filter(
      (r) =>
        r.bbox[0] >= aMinLon &&
        r.bbox[2] <= aMaxLon &&
        r.bbox[1] >= aMinLat &&
        r.bbox[3] <= aMaxLat,
    );
    assert.ok(maxLat < aMaxLat && minLat > aMinLat, 'parcel 1 crosses only the east edge');
    const result = await cli('watch', '--within', areaFile, '--json');
    assert.equal(result.code, 0, result.stderr);
    const watched = new Set(await watchedIds());
    assert.ok(inside.length > 0);
    for (const r of inside)
      assert.ok(watched.has(r.id), `parcel ${r.id} within the area is watched`);
    assert.ok(!watched.has('1'), 'parcel 1, cut by the edge, is not watched');
    assert.equal(JSON.parse(result.stdout).changed, watched.size);
  });

  it('watches and unwatches by attribute conditions on columns and source attributes, combined', async () => {
    await unwatchAll();
    const sloot = rows.filter((r) => r.crop === 'Sloot');
    const gras = rows.filter((r) => r.crop.toLowerCase().includes('gras'));
    const byCrop = await cli('watch', '--where', 'crop=Sloot', '--json');
    assert.equal(JSON.parse(byCrop.stdout).changed, sloot.length);
    const byAttribute = await cli('unwatch', '--where', 'gewascode=343', '--json');
    assert.equal(
      JSON.parse(byAttribute.stdout).changed,
      rows.filter((r) => r.code === '343').length,
    );
    const contains = await cli('watch', '--where', 'crop~GRAS', '--json');
    assert.equal(JSON.parse(contains.stdout).changed, gras.length);
    const combined = await cli(
      'unwatch',
      '--where',
      'crop~gras',
      '--where',
      'crop!=Grasland, blijvend',
      '--json',
    );
    const blijvend = gras.filter((r) => r.crop === 'Grasland, blijvend');
    assert.equal(JSON.parse(combined.stdout).changed, gras.length - blijvend.length);
    assert.deepEqual(
      await watchedIds(),
      blijvend.map((r) => r.id),
    );
  });

  it('lists the watched parcels as a table, JSON and GeoJSON, with --limit', async () => {
    const expected = await watchedIds();
    const table = await cli('list', '--watched', '--limit', '2');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(
      lines[0],
      /^id\s+source\s+external_id\s+name\s+crop\s+area_ha\s+tile\s+group\s+watched\s+repaired$/,
    );
    assert.equal(lines.length, 4);
    assert.match(
      table.stderr,
      new RegExp(`showing 2 of ${expected.length} parcels; --limit 0 shows all`),
    );

    const json = await cli('list', '--watched', '--json', '--limit', '0');
    const listed = JSON.parse(json.stdout) as Array<{
      externalId: string;
      watched: boolean;
      crop: string;
    }>;
    assert.deepEqual(
      listed.map((p) => p.externalId),
      expected,
    );
    assert.ok(listed.every((p) => p.watched && p.crop === 'Grasland, blijvend'));

    const geojson = await cli(
      'list',
      '--unwatched',
      '--where',
      'crop=Sloot',
      '--geojson',
      '--limit',
      '0',
    );
    const collection = JSON.parse(geojson.stdout);
    assert.equal(collection.type, 'FeatureCollection');
    assert.equal(collection.features.length, rows.filter((r) => r.crop === 'Sloot').length);
    assert.equal(collection.features[0].geometry.type, 'MultiPolygon');
    const first = rows.find((r) => r.id === collection.features[0].id)!;
    const [lon, lat] = collection.features[0].geometry.coordinates[0][0][0];
    assert.ok(
      lon >= first.bbox[0] - 1e-6 &&
        lon <= first.bbox[2] + 1e-6 &&
        lat >= first.bbox[1] - 1e-6 &&
        lat <= first.bbox[3] + 1e-6,
    );
  });

  it('exits 2 with the fix for bad selections and options', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['watch', '--bbox', '5,52,4,53'], /--bbox \[5,52,4,53\] has a minimum above its maximum/],
      [['watch', '--where', 'crop'], /--where "crop" is not field=value/],
      [
        ['watch', '--external-ids', '1', '--source', 'nobody'],
        /1 of the 1 external ids is not parcels of source nobody: "1"; nothing was changed/,
      ],
      [['watch', '--ids', '1,x'], /--ids: "x" is not a positive integer id/],
      [['watch', '--column', 'id', '--source', 'brp'], /--column names a column of --file/],
      [['list', '--watched', '--unwatched'], /give --watched or --unwatched, not both/],
      [['list', '--limit', '-1'], /--limit "-1" is not a whole number/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});
