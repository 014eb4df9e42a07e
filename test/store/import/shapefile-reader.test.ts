import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { geometryArea } from '../../../src/core/geo/geometry';
import type { ParcelGeometry } from '../../../src/core/geo/types';
import type { SourceFeature } from '../../../src/store/import/feature-reader';
import { openGeoPackage } from '../../../src/store/import/geopackage-reader';
import { openShapefileParcels } from '../../../src/store/import/shapefile-reader';
import {
  BRP_GPKG,
  brpZippedShapefile,
  feature,
  ogr2ogr,
  scratchDir,
  square,
  writeCollection,
} from './parcel-files';

async function readAll(file: string, options = {}): Promise<SourceFeature[]> {
  const reader = await openShapefileParcels(file, options);
  const out: SourceFeature[] = [];
  for await (const f of reader.features()) out.push(f);
  await reader.close();
  return out;
}

/** A one-parcel Shapefile with a non-ASCII crop name, written by GDAL with these layer options. */
function accentedShapefile(dir: string, name: string, layerOptions: string[]): string {
  const source = writeCollection(dir, `${name}.geojson`, {
    type: 'FeatureCollection',
    features: [feature('é1', square(5, 52), { gewas: 'Maïs, snij-' })],
  });
  const shpDir = path.join(dir, name);
  mkdirSync(shpDir);
  ogr2ogr(['-f', 'ESRI Shapefile', path.join(shpDir, `${name}.shp`), source, ...layerOptions]);
  return path.join(shpDir, `${name}.shp`);
}

describe('Shapefile parcel reader (zipped or not)', () => {
  const dir = scratchDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  let zip: string;

  before(() => {
    zip = brpZippedShapefile(dir);
  });

  it('reads the zipped BRP Shapefile: CRS from its ESRI .prj, the same attributes and shapes as the GeoPackage', async () => {
    const reader = await openShapefileParcels(zip);
    assert.deepEqual(
      [reader.crs.id, reader.crsOrigin, reader.layer],
      ['EPSG:28992', 'file', 'brp'],
    );
    assert.deepEqual(reader.fields, ['category', 'gewas', 'gewascode', 'jaar', 'status']);
    const shp: SourceFeature[] = [];
    for await (const f of reader.features()) shp.push(f);
    assert.deepEqual(reader.progress(), { done: 100, total: 100, unit: 'features' });
    await reader.close();

    const gpkg: SourceFeature[] = [];
    const source = await openGeoPackage(BRP_GPKG);
    for await (const f of source.features()) gpkg.push(f);
    await source.close();
    assert.equal(shp.length, 100);
    shp.forEach((f, i) => {
      assert.equal(f.row, i + 1);
      assert.deepEqual(f.properties, gpkg[i].properties);
      const a = geometryArea(f.geometry as ParcelGeometry);
      const b = geometryArea(gpkg[i].geometry as ParcelGeometry);
      assert.ok(Math.abs(a - b) <= 1e-9 * b, `row ${i + 1}: ${a} vs ${b}`);
    });
  });

  it('reads a .shp given with its sibling files, and removes its temporary folder on close', async () => {
    const temporary = () =>
      readdirSync(os.tmpdir()).filter((name) => name.startsWith('parcelwatch-shp-')).length;
    const before = temporary();
    const reader = await openShapefileParcels(path.join(dir, 'shp', 'brp.shp'));
    assert.equal(temporary(), before + 1);
    let n = 0;
    for await (const _ of reader.features()) n++;
    assert.equal(n, 100);
    await reader.close();
    assert.equal(temporary(), before);
  });

  it('names a full temp file system, not the archive, and leaves nothing in it', async function () {
    // A 1 MB tmpfs as TMPDIR (needs root, as CI has; skipped elsewhere).
    const small = path.join(dir, 'small-tmp');
    mkdirSync(small, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small], { stdio: 'ignore' });
    } catch {
      this.skip();
    }
    const previous = process.env.TMPDIR;
    try {
      const parts = path.join(dir, 'roomy');
      mkdirSync(parts, { recursive: true });
      writeFileSync(path.join(parts, 'big.shp'), Buffer.alloc(4 * 1024 ** 2));
      const zip = path.join(dir, 'roomy.zip');
      execFileSync('zip', ['-q', '-j', zip, path.join(parts, 'big.shp')], { timeout: 60_000 });
      process.env.TMPDIR = small;
      await assert.rejects(
        readAll(zip),
        new RegExp(
          `^BadInputError: roomy\\.zip does not fit in ${small}: its file system filled up while unzipping; set TMPDIR to a folder with more room`,
        ),
      );
      assert.deepEqual(readdirSync(small), []);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      execFileSync('umount', [small], { stdio: 'ignore' });
    }
  });

  it('decodes the DBF with the .cpg encoding, windows-1252 without one, or --encoding', async () => {
    const utf8 = accentedShapefile(dir, 'utf8', ['-lco', 'ENCODING=UTF-8']);
    assert.equal((await readAll(utf8))[0].properties.gewas, 'Maïs, snij-');
    const latin1 = accentedShapefile(dir, 'latin1', ['-lco', 'ENCODING=ISO-8859-1']);
    assert.equal((await readAll(latin1))[0].properties.gewas, 'Maïs, snij-');
    const plain = accentedShapefile(dir, 'plain', []);
    assert.equal((await readAll(plain))[0].properties.gewas, 'Maïs, snij-');
    assert.equal((await readAll(utf8, { encoding: 'latin1' }))[0].properties.gewas, 'MaÃ¯s, snij-');
    await assert.rejects(
      readAll(utf8, { encoding: 'klingon' }),
      /DBF encoding "klingon" \(--encoding\) is not known/,
    );
  });

  it('requires --srs without a .prj or with one it does not recognise', async () => {
    const bare = path.join(dir, 'bare');
    mkdirSync(bare);
    for (const ext of ['shp', 'shx', 'dbf'])
      copyFileSync(path.join(dir, 'shp', `brp.${ext}`), path.join(bare, `brp.${ext}`));
    await assert.rejects(
      openShapefileParcels(path.join(bare, 'brp.shp')),
      /has no \.prj, so its CRS is unknown; say which with --srs/,
    );
    writeFileSync(path.join(bare, 'brp.prj'), 'PROJCS["Mars_Equidistant",GEOGCS["GCS_Mars_2000"]]');
    await assert.rejects(
      openShapefileParcels(path.join(bare, 'brp.shp')),
      /describes "Mars_Equidistant", which parcelwatch does not recognise; say which CRS it is with --srs/,
    );
    const reader = await openShapefileParcels(path.join(bare, 'brp.shp'), { srs: 'EPSG:28992' });
    assert.deepEqual([reader.crs.id, reader.crsOrigin], ['EPSG:28992', 'option']);
    await reader.close();
  });

  it('asks for --layer in a zip of several Shapefiles, ignores macOS metadata, and refuses broken zips', async () => {
    const multi = path.join(dir, 'multi');
    mkdirSync(path.join(multi, '__MACOSX'), { recursive: true });
    for (const ext of ['shp', 'shx', 'dbf', 'prj']) {
      copyFileSync(path.join(dir, 'shp', `brp.${ext}`), path.join(multi, `north.${ext}`));
      copyFileSync(path.join(dir, 'shp', `brp.${ext}`), path.join(multi, `south.${ext}`));
      writeFileSync(path.join(multi, '__MACOSX', `._north.${ext}`), 'resource fork');
    }
    const zipFile = path.join(dir, 'multi.zip');
    execFileSync('zip', ['-q', '-r', zipFile, '.'], { cwd: multi });
    await assert.rejects(
      openShapefileParcels(zipFile),
      /holds 2 Shapefiles \(north, south\); choose one with --layer/,
    );
    await assert.rejects(
      openShapefileParcels(zipFile, { layer: 'east' }),
      /has no Shapefile "east"; it holds: north, south/,
    );
    const reader = await openShapefileParcels(zipFile, { layer: 'south' });
    assert.equal(reader.describe, 'multi.zip (layer south)');
    await reader.close();

    const broken = path.join(dir, 'broken.zip');
    const bytes = execFileSync('cat', [zip]);
    writeFileSync(broken, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(openShapefileParcels(broken), /broken\.zip cannot be unzipped/);
    rmSync(multi, { recursive: true });
  });
});
