import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import initSqlJs from 'sql.js';
import type { Polygon } from '../../../src/core/geo/types';
import { decodeGeoPackageGeometry } from '../../../src/core/geo/wkb';
import type { SourceFeature } from '../../../src/store/import/feature-reader';
import { openGeoPackage } from '../../../src/store/import/geopackage-reader';
import {
  BRP_GEOJSON,
  BRP_GPKG,
  brpWktById,
  feature,
  ogr2ogr,
  scratchDir,
  square,
  writeCollection,
} from './parcel-files';

async function readAll(file: string, options = {}): Promise<SourceFeature[]> {
  const reader = await openGeoPackage(file, options);
  const out: SourceFeature[] = [];
  for await (const f of reader.features()) out.push(f);
  await reader.close();
  return out;
}

/** Coordinates of a WKT POLYGON as GDAL prints it (15 significant digits). */
function wktRings(wkt: string): number[][][] {
  return [...wkt.matchAll(/\(([^()]+)\)/g)].map((ring) =>
    ring[1].split(',').map((pair) => pair.trim().split(/\s+/).map(Number)),
  );
}

describe('GeoPackage parcel reader (pages read on demand)', () => {
  const dir = scratchDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the BRP layer in key order with its CRS, attributes and geometries as GDAL reads them', async () => {
    const reader = await openGeoPackage(BRP_GPKG);
    assert.deepEqual(
      [reader.layer, reader.crs.id, reader.crsOrigin, reader.featureIdName],
      ['brp_gewas', 'EPSG:28992', 'file', 'id'],
    );
    assert.deepEqual(reader.fields, ['category', 'gewas', 'gewascode', 'jaar', 'status']);
    const features: SourceFeature[] = [];
    for await (const f of reader.features()) features.push(f);
    assert.deepEqual(reader.progress(), { done: 100, total: 100, unit: 'features' });
    await reader.close();

    const gdal = brpWktById();
    assert.deepEqual(
      features.map((f) => [f.row, f.featureId]),
      [...gdal.keys()].sort((a, b) => a - b).map((id, i) => [i + 1, String(id)]),
    );
    for (const f of features) {
      const expected = wktRings(gdal.get(Number(f.featureId))!);
      const got = (f.geometry as Polygon).coordinates;
      assert.equal((f.geometry as Polygon).type, 'Polygon');
      assert.equal(got.length, expected.length);
      got.forEach((ring, r) => {
        assert.equal(ring.length, expected[r].length);
        ring.forEach(([x, y], i) => {
          assert.ok(
            Math.abs(x - expected[r][i][0]) < 1e-6 && Math.abs(y - expected[r][i][1]) < 1e-6,
          );
        });
      });
    }
    assert.deepEqual(features[0].properties, {
      category: 'Landschapselement',
      gewas: 'Sloot',
      gewascode: 343,
      jaar: 2023,
      status: 'Voorgesteld',
    });
  });

  it('reads the BRP layer exactly as sql.js (SQLite) reads it: keys, attributes, geometries', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database(readFileSync(BRP_GPKG));
    const result = db.exec('SELECT * FROM brp_gewas ORDER BY id')[0];
    db.close();
    const expected = result.values.map((values) => {
      const row = Object.fromEntries(result.columns.map((c, i) => [c, values[i]]));
      const { id, geom, ...properties } = row;
      return {
        featureId: String(id),
        properties,
        geometry: decodeGeoPackageGeometry(geom as Uint8Array).geometry,
      };
    });
    const got = (await readAll(BRP_GPKG)).map(({ featureId, properties, geometry }) => ({
      featureId,
      properties,
      geometry,
    }));
    assert.equal(got.length, 100);
    assert.deepEqual(got, expected);
  });

  it('refuses a truncated GeoPackage at open, and one with an unfinished write-ahead log', async () => {
    const bytes = readFileSync(BRP_GPKG);
    const cut = path.join(dir, 'cut.gpkg');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 4096));
    await assert.rejects(openGeoPackage(cut), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'GPKG_DAMAGED');
      assert.match(
        error.message,
        /cut\.gpkg is a damaged or truncated GeoPackage \(the header says \d+ pages of \d+ bytes, but the file holds \d+ bytes\); copy it again, or check it with `ogrinfo cut\.gpkg`/,
      );
      return true;
    });
    const wal = path.join(dir, 'wal.gpkg');
    writeFileSync(wal, bytes);
    writeFileSync(`${wal}-wal`, 'pending changes');
    await assert.rejects(
      openGeoPackage(wal),
      /wal\.gpkg cannot be read as it is: a write-ahead log \(-wal\) lies beside it.*ogr2ogr -f GPKG copy\.gpkg wal\.gpkg/,
    );
  });

  it('asks for --layer when the file holds several feature tables, and reads the one named', async () => {
    const file = path.join(dir, 'two-layers.gpkg');
    ogr2ogr(['-f', 'GPKG', file, BRP_GPKG, '-nln', 'fields']);
    ogr2ogr(['-update', '-f', 'GPKG', file, BRP_GEOJSON, '-nln', 'fields_wgs84']);
    await assert.rejects(
      openGeoPackage(file),
      /holds 2 feature tables \(fields, fields_wgs84\); choose one with --layer/,
    );
    await assert.rejects(
      openGeoPackage(file, { layer: 'roads' }),
      /has no feature table "roads"; its tables: fields, fields_wgs84/,
    );
    const reader = await openGeoPackage(file, { layer: 'fields_wgs84' });
    assert.deepEqual(
      [reader.describe, reader.crs.id],
      ['two-layers.gpkg (layer fields_wgs84)', 'EPSG:4326'],
    );
    await reader.close();
  });

  it('requires --srs for a CRS it cannot identify', async () => {
    const file = path.join(dir, 'custom.gpkg');
    ogr2ogr([
      '-f',
      'GPKG',
      file,
      BRP_GPKG,
      '-nln',
      'custom',
      '-a_srs',
      '+proj=sterea +lat_0=52.1561605555556 +lon_0=5.38763888888889 +k=0.9999079 +x_0=155000 +y_0=463000 +ellps=bessel +units=m',
    ]);
    await assert.rejects(openGeoPackage(file), /layer custom has SRS 100000 \("unknown"\).*--srs/);
    const reader = await openGeoPackage(file, { srs: 'EPSG:28992' });
    assert.deepEqual([reader.crs.id, reader.crsOrigin], ['EPSG:28992', 'option']);
    await reader.close();
  });

  it('yields features without geometry and of other types for the importer to reject', async () => {
    const source = writeCollection(dir, 'mixed.geojson', {
      type: 'FeatureCollection',
      features: [
        feature('a', square(5, 52)),
        feature('b', null),
        feature('c', {
          type: 'LineString',
          coordinates: [
            [5, 52],
            [5.1, 52.1],
          ],
        }),
      ],
    });
    const file = path.join(dir, 'mixed.gpkg');
    ogr2ogr(['-f', 'GPKG', file, source, '-nln', 'mixed', '-nlt', 'GEOMETRY']);
    const features = await readAll(file);
    assert.deepEqual(
      features.map((f) => [
        f.properties.id,
        (f.geometry as { type?: string } | null)?.type ?? null,
      ]),
      [
        ['a', 'Polygon'],
        ['b', null],
        ['c', 'LineString'],
      ],
    );
  });

  it('refuses files that are not GeoPackages', async () => {
    const text = path.join(dir, 'text.gpkg');
    writeFileSync(text, 'not sqlite at all, just some text that is long enough to be a header');
    await assert.rejects(openGeoPackage(text), /text\.gpkg is not a GeoPackage \(no SQLite header/);
    const plain = path.join(dir, 'plain.gpkg');
    execFileSync('python3', [
      '-c',
      `import sqlite3; sqlite3.connect(${JSON.stringify(plain)}).execute('create table t (x)')`,
    ]);
    await assert.rejects(
      openGeoPackage(plain),
      /plain\.gpkg is an SQLite file but not a GeoPackage/,
    );
  });
});
