import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ParcelwatchError } from '../../src/core/errors';
import { MAX_FEATURE_NUMBERS } from '../../src/store/import/geojson-reader';
import { importParcels } from '../../src/store/import/import-parcels';
import { MAX_PARCEL_VERTICES } from '../../src/store/import/prepare-feature';
import {
  BRP_GPKG,
  brpZippedShapefile,
  ogr2ogr,
  scratchDir,
  square,
} from '../store/import/parcel-files';
import { type SecurityStore, securityStore } from './security-store';
import { assertSameStore, leavesStoreUnchanged, snapshotStore } from './snapshot';

/**
 * Bad-input corpus, importer: hostile and broken parcel files (test/security/corpus/importer and
 * files made here), each refused by `importParcels` — what `parcelwatch parcels import` runs —
 * with an error naming the file, the row and the problem, and nothing written.
 */

const CORPUS = path.join(__dirname, 'corpus', 'importer');
const corpus = (name: string) => path.join(CORPUS, name);

interface RefusedFile {
  name: string;
  file: (scratch: string) => string;
  options?: Parameters<typeof importParcels>[2];
  code: string;
  message: RegExp;
}

/** A GeoJSON FeatureCollection of one parcel `id` with this ring, written to `dir`. */
function oneParcel(dir: string, name: string, ring: number[][]): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { id: 'big' },
          geometry: { type: 'Polygon', coordinates: [ring] },
        },
      ],
    }),
  );
  return file;
}

const REFUSED: RefusedFile[] = [
  {
    name: 'a self-intersecting ring (and a valid parcel beside it)',
    file: () => corpus('bow-tie.geojson'),
    code: 'IMPORT_REJECTED',
    message:
      /1 of 2 parcels rejected, nothing was imported:\n {2}row 2 \(id "bow"\): geometry is invalid: Self-intersection\[5\.2005 52\.2005\]; fix it or pass --repair/,
  },
  {
    name: 'an unclosed ring',
    file: () => corpus('unclosed-ring.geojson'),
    code: 'IMPORT_REJECTED',
    message: /row 1 \(id "open"\): polygon 0, ring 0 is not closed \(first \[5\.1, 52\.1\], last/,
  },
  {
    name: 'a ring of fewer than 4 positions',
    file: () => corpus('three-point-ring.geojson'),
    code: 'IMPORT_REJECTED',
    message:
      /row 1 \(id "tri"\): polygon 0, ring 0 has 3 positions; a closed ring needs at least 4/,
  },
  {
    name: 'a longitude of 540°',
    file: () => corpus('lon-out-of-range.geojson'),
    code: 'IMPORT_REJECTED',
    message: /lon 540, lat 52\.1, outside \[-180, 180\] × \[-90, 90\].*pass --srs/,
  },
  {
    name: 'coordinates of ±1e308',
    file: () => corpus('huge-coordinates.geojson'),
    code: 'IMPORT_REJECTED',
    message: /lon 1e\+308, lat 52\.1, outside \[-180, 180\]/,
  },
  {
    name: 'positions given as strings',
    file: () => corpus('string-coordinates.geojson'),
    code: 'IMPORT_REJECTED',
    message: /position 0 is \["5\.1","52\.1"\], not two finite numbers/,
  },
  {
    name: 'projected metres in a GeoJSON without crs (the wrong CRS)',
    file: () => corpus('projected-without-crs.geojson'),
    code: 'IMPORT_REJECTED',
    message:
      /lon 155000, lat 463000, outside .*\(read as EPSG:4326; pass --srs if the file is in another CRS\)/,
  },
  {
    name: 'degrees declared as RD New metres (a crs member that lies)',
    file: () => corpus('lonlat-declared-as-rd.geojson'),
    code: 'IMPORT_REJECTED',
    message:
      /row 1 \(id "tiny"\): is too small for a parcel: .* m² \(at least 1 m²\); check the geometry and its CRS \(--srs\)/,
  },
  {
    name: '--srs naming the wrong CRS for lon/lat degrees',
    file: () => corpus('bow-tie.geojson'),
    options: { srs: 'EPSG:32631' },
    code: 'IMPORT_REJECTED',
    message:
      /2 of 2 parcels rejected.*\n.*row 1 \(id "ok-1"\): (is too small for a parcel|coordinates do not transform)/,
  },
  {
    name: 'a continent-sized parcel',
    file: () => corpus('continent-sized.geojson'),
    code: 'IMPORT_REJECTED',
    message:
      /row 1 \(id "europe"\): is absurdly large for a parcel: it spans 20\.00° × 20\.00° \(limit 1°\)/,
  },
  {
    name: 'a single 10 MB polygon',
    file: (scratch) => {
      // ≈ 10 MB of GeoJSON: an ellipse of 400 000 vertices around a Dutch field.
      const n = 400_000;
      const ring: number[][] = [];
      for (let i = 0; i < n; i++) {
        const a = (2 * Math.PI * i) / n;
        ring.push([
          Number((5.1 + 0.003 * Math.cos(a)).toFixed(9)),
          Number((52.1 + 0.002 * Math.sin(a)).toFixed(9)),
        ]);
      }
      ring.push(ring[0]!);
      const file = oneParcel(scratch, 'ten-megabytes.geojson', ring);
      assert.ok(readFileSync(file).byteLength >= 10e6, 'the polygon file holds 10 MB');
      return file;
    },
    code: 'IMPORT_REJECTED',
    // Refused while it streams past, before it is assembled in memory.
    message: new RegExp(
      `row 1 \\(id "big"\\): holds more than ${MAX_FEATURE_NUMBERS.toLocaleString('en')} numbers, more than a parcel of at most ${MAX_PARCEL_VERTICES.toLocaleString('en')} vertices and its attributes can; simplify it`,
    ),
  },
  {
    name: 'a polygon of 150 000 vertices',
    file: (scratch) => {
      const n = 150_000;
      const ring: number[][] = [];
      for (let i = 0; i < n; i++) {
        const a = (2 * Math.PI * i) / n;
        ring.push([5.1 + 0.003 * Math.cos(a), 52.1 + 0.002 * Math.sin(a)]);
      }
      ring.push(ring[0]!);
      return oneParcel(scratch, 'many-vertices.geojson', ring);
    },
    code: 'IMPORT_REJECTED',
    message: new RegExp(
      `row 1 \\(id "big"\\): has 150,001 vertices, more than the ${MAX_PARCEL_VERTICES.toLocaleString('en')} a parcel may have; simplify it`,
    ),
  },
  {
    name: 'duplicate ids',
    file: () => corpus('duplicate-ids.geojson'),
    code: 'IMPORT_REJECTED',
    message:
      /row 3 \(id "A-1"\): uses the same external id as row 1; ids must be unique within a file/,
  },
  {
    name: 'an id attribute without value',
    file: () => corpus('no-id.geojson'),
    code: 'IMPORT_REJECTED',
    message: /row 1: has no value in the id attribute "id"/,
  },
  {
    name: 'a Point instead of a polygon',
    file: () => corpus('points.geojson'),
    code: 'IMPORT_REJECTED',
    message: /row 1 \(id "pt"\): geometry is a Point, not a Polygon or MultiPolygon/,
  },
  {
    name: 'a feature without geometry',
    file: () => corpus('null-geometry.geojson'),
    code: 'IMPORT_REJECTED',
    message: /row 1 \(id "none"\): has no geometry/,
  },
  {
    name: 'coordinates nested 200 000 arrays deep',
    file: (scratch) => {
      const file = path.join(scratch, 'nesting.geojson');
      const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
      writeFileSync(
        file,
        `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"n"},"geometry":{"type":"Polygon","coordinates":${deep}}}]}`,
      );
      return file;
    },
    code: 'IMPORT_REJECTED',
    message: /row 1 \(id "n"\): polygon 0, ring 0 has 1 positions; a closed ring needs at least 4/,
  },
  {
    name: 'a lone Feature instead of a FeatureCollection',
    file: () => corpus('not-a-collection.geojson'),
    code: 'PARCELS_NOT_FEATURE_COLLECTION',
    message:
      /not-a-collection\.geojson is not a GeoJSON FeatureCollection \(its type is "Feature"\)/,
  },
  {
    name: 'Windows-1252 bytes in a GeoJSON (not UTF-8)',
    file: () => corpus('not-utf8.geojson'),
    code: 'PARCELS_NOT_UTF8',
    message:
      /not-utf8\.geojson is not UTF-8 text: the bytes 0xE9 0x20 0x64 0x75 at offset \d+ are not valid UTF-8.*iconv -f WINDOWS-1252/,
  },
  {
    name: 'a DBF whose .cpg says UTF-8 but holds Latin-1',
    file: (scratch) => {
      const dir = path.join(scratch, 'latin1-shp');
      mkdirSync(dir);
      const source = path.join(dir, 'source.geojson');
      writeFileSync(
        source,
        JSON.stringify({
          type: 'FeatureCollection',
          features: [
            {
              type: 'Feature',
              properties: { id: 'c1', naam: 'Café' },
              geometry: square(5.1, 52.1),
            },
          ],
        }),
      );
      ogr2ogr([
        '-f',
        'ESRI Shapefile',
        path.join(dir, 'fields.shp'),
        source,
        '-lco',
        'ENCODING=ISO-8859-1',
      ]);
      writeFileSync(path.join(dir, 'fields.cpg'), 'UTF-8');
      const zip = path.join(scratch, 'lying-cpg.zip');
      execFileSync('zip', [
        '-j',
        '-q',
        zip,
        ...['shp', 'shx', 'dbf', 'prj', 'cpg'].map((e) => path.join(dir, `fields.${e}`)),
      ]);
      return zip;
    },
    code: 'IMPORT_REJECTED',
    message:
      /row 1 \(id "c1"\): attribute "naam" is not valid UTF-8 although the \.cpg says UTF-8; pass the DBF's real code page with --encoding/,
  },
  {
    name: 'a GeoJSON cut in the middle of a feature',
    file: () => corpus('truncated.geojson'),
    code: 'PARCELS_JSON_INVALID',
    message:
      /truncated\.geojson is not valid JSON after feature row 2 \(.*\); check the file is complete/,
  },
  {
    name: 'a GeoPackage cut in half',
    file: (scratch) => {
      const bytes = readFileSync(BRP_GPKG);
      const file = path.join(scratch, 'half.gpkg');
      writeFileSync(file, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
      return file;
    },
    code: 'GPKG_DAMAGED',
    message: /half\.gpkg is a damaged or truncated GeoPackage \(.*\); copy it again/,
  },
  {
    name: 'a zipped Shapefile cut in half',
    file: (scratch) => {
      const bytes = readFileSync(brpZippedShapefile(path.join(scratch)));
      const file = path.join(scratch, 'half.zip');
      writeFileSync(file, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
      return file;
    },
    code: 'ZIP_INVALID',
    message: /half\.zip cannot be unzipped \(.*\); check the archive/,
  },
  {
    name: 'an empty file',
    file: () => corpus('empty.geojson'),
    code: 'PARCELS_FILE_EMPTY',
    message: /empty\.geojson is empty \(0 bytes\); nothing to import/,
  },
  {
    name: 'GeoJSON named .gpkg',
    file: () => corpus('geojson-named.gpkg'),
    code: 'PARCELS_EXTENSION_MISMATCH',
    message:
      /geojson-named\.gpkg is named like a GeoPackage but holds GeoJSON; rename it \(\.geojson\)/,
  },
  {
    name: 'GeoJSON named .zip',
    file: () => corpus('geojson-named.zip'),
    code: 'PARCELS_EXTENSION_MISMATCH',
    message: /geojson-named\.zip is named like a zipped Shapefile but holds GeoJSON/,
  },
  {
    name: 'a CSV file',
    file: () => corpus('parcels.csv'),
    code: 'PARCELS_FORMAT_UNKNOWN',
    message:
      /parcels\.csv is neither GeoJSON, GeoPackage nor a zipped Shapefile; convert it with ogr2ogr/,
  },
  {
    name: 'SQL as the --id-field',
    file: () => BRP_GPKG,
    options: { idField: 'id"; DROP TABLE parcels; --' },
    code: 'IMPORT_FIELD_UNKNOWN',
    message:
      /has no attribute "id"; DROP TABLE parcels; --" \(--id-field\); its attributes: category, gewas/,
  },
];

describe('bad-input corpus: parcel import', function () {
  this.timeout(120_000);
  let store: SecurityStore;
  const scratch = scratchDir('pw-corpus-import-');

  before(async () => {
    store = await securityStore();
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const bad of REFUSED) {
    it(`refuses ${bad.name}, naming it, and writes nothing`, async () => {
      const file = bad.file(scratch);
      await leavesStoreUnchanged(store, bad.name, async () => {
        const error = await importParcels(store.db, file, {
          source: 'corpus',
          ...bad.options,
        }).then(
          () => assert.fail(`${bad.name} was imported`),
          (e: ParcelwatchError) => e,
        );
        assert.match(error.message, bad.message);
        assert.equal(error.code, bad.code, error.message);
      });
    });
  }

  it('stores SQL in ids, names, attribute names and values verbatim, running none of it', async () => {
    const before = await snapshotStore(store);
    const summary = await importParcels(store.db, corpus('sql-in-attributes.geojson'), {
      source: "corpus'; DROP TABLE parcels; --",
      assignGroups: false,
    });
    assert.equal(summary.inserted, 1);
    const stored = await store.pool.query<{
      external_id: string;
      crop: string;
      name: string;
      attributes: Record<string, string>;
    }>('SELECT external_id, crop, name, attributes FROM parcels WHERE source = $1', [
      "corpus'; DROP TABLE parcels; --",
    ]);
    assert.deepEqual(stored.rows, [
      {
        external_id: "x'); DROP TABLE parcels; --",
        crop: "wheat'; DELETE FROM parcel_observations; --",
        name: 'Robert"); DROP TABLE api_keys;--',
        attributes: { "note'; TRUNCATE parcels; --": "1' OR '1'='1", $1: '$2' },
      },
    ]);
    const after = await snapshotStore(store);
    const { parcels: _changed, ...others } = after.tables;
    const { parcels: _before, ...othersBefore } = before.tables;
    assert.deepEqual(others, othersBefore, 'only the parcels table changed');
    assert.equal(after.tables.parcels!.rows, before.tables.parcels!.rows + 1);
    await store.pool.query('DELETE FROM parcels WHERE source = $1', [
      "corpus'; DROP TABLE parcels; --",
    ]);
    assertSameStore(before, await snapshotStore(store), 'the SQL import once removed');
  });

  it('reads a GeoPackage whose layer name is SQL without running it (dry run: nothing kept)', async () => {
    const file = path.join(scratch, 'evil-layer.gpkg');
    ogr2ogr(['-f', 'GPKG', file, BRP_GPKG, '-nln', 'brp"; DROP TABLE gpkg_contents; --']);
    const summary = await leavesStoreUnchanged(store, 'a dry run', () =>
      importParcels(store.db, file, { source: 'corpus-layer', dryRun: true }),
    );
    assert.equal(summary.layer, 'brp"; DROP TABLE gpkg_contents; --');
    assert.deepEqual([summary.read, summary.inserted], [100, 100]);
  });
});
