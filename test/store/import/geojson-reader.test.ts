import assert from 'node:assert/strict';
import { createWriteStream, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BadInputError } from '../../../src/core/errors';
import type { SourceFeature } from '../../../src/store/import/feature-reader';
import { MAX_FEATURE_NUMBERS, openGeoJson } from '../../../src/store/import/geojson-reader';
import {
  BRP_GEOJSON,
  brpCollection,
  feature,
  scratchDir,
  square,
  writeCollection,
} from './parcel-files';

async function readAll(file: string, srs?: string): Promise<SourceFeature[]> {
  const reader = await openGeoJson(file, { srs });
  const out: SourceFeature[] = [];
  try {
    for await (const f of reader.features()) out.push(f);
  } finally {
    await reader.close();
  }
  return out;
}

describe('GeoJSON parcel reader (streamed)', () => {
  const dir = scratchDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('yields every feature of the BRP file in order, with 1-based rows, as JSON.parse reads them', async () => {
    const reader = await openGeoJson(BRP_GEOJSON);
    assert.deepEqual([reader.crs.id, reader.crsOrigin], ['EPSG:4326', 'default']);
    assert.deepEqual(reader.fields, ['category', 'gewas', 'gewascode', 'jaar', 'status']);
    assert.equal(reader.featureIdName, undefined);
    const features: SourceFeature[] = [];
    for await (const f of reader.features()) features.push(f);
    const expected = brpCollection().features;
    assert.deepEqual(
      features.map((f) => f.row),
      expected.map((_, i) => i + 1),
    );
    assert.deepEqual(
      features.map((f) => [f.properties, f.geometry]),
      expected.map((f) => [f.properties, f.geometry]),
    );
    assert.deepEqual(reader.progress(), {
      done: statSync(BRP_GEOJSON).size,
      total: statSync(BRP_GEOJSON).size,
      unit: 'bytes',
    });
    await reader.close();
  });

  it('reads ahead only a bounded part of a large file while the consumer is slow', async () => {
    const file = path.join(dir, 'large.geojson');
    const out = createWriteStream(file);
    out.write('{"type":"FeatureCollection","features":[');
    for (let i = 0; i < 40_000; i++) {
      const f = feature(`P${i}`, square(5 + (i % 100) * 0.002, 52 + Math.floor(i / 100) * 0.002), {
        crop: 'wheat',
        note: 'x'.repeat(100),
      });
      out.write(`${i ? ',' : ''}${JSON.stringify(f)}`);
    }
    await new Promise<void>((resolve) => out.end(']}', resolve));
    const reader = await openGeoJson(file);
    const iterator = reader.features()[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const position = reader.progress();
    assert.ok(position.total > 10_000_000, `the file is ${position.total} bytes`);
    assert.ok(
      position.done < position.total / 10,
      `read ${position.done} of ${position.total} bytes ahead`,
    );
    let n = 1;
    while (!(await iterator.next()).done) n++;
    assert.equal(n, 40_000);
    await reader.close();
  });

  it('honours a crs member before the features, and --srs over it', async () => {
    const file = writeCollection(dir, 'rd.geojson', {
      type: 'FeatureCollection',
      crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::28992' } },
      features: [feature('a', square(100_000, 450_000, 100))],
    });
    const reader = await openGeoJson(file);
    assert.deepEqual([reader.crs.id, reader.crsOrigin], ['EPSG:28992', 'file']);
    await reader.close();
    const overridden = await openGeoJson(file, { srs: 'EPSG:31370' });
    assert.deepEqual([overridden.crs.id, overridden.crsOrigin], ['EPSG:31370', 'option']);
    await overridden.close();
    const oldForm = writeCollection(dir, 'old.geojson', {
      type: 'FeatureCollection',
      crs: { type: 'EPSG', properties: { code: 2154 } },
      features: [],
    });
    const old = await openGeoJson(oldForm);
    assert.equal(old.crs.id, 'EPSG:2154');
    await old.close();
  });

  it('fails at the end when a crs member other than WGS 84 follows the features, unless --srs is given', async () => {
    const file = writeCollection(dir, 'late.geojson', {
      type: 'FeatureCollection',
      features: [feature('a', square(100_000, 450_000, 100))],
      crs: { type: 'name', properties: { name: 'EPSG:28992' } },
    });
    await assert.rejects(
      readAll(file),
      /the "crs" member \(EPSG:28992\) comes after the features.*--srs EPSG:28992/,
    );
    assert.equal((await readAll(file, 'EPSG:28992')).length, 1);
    const harmless = writeCollection(dir, 'late84.geojson', {
      type: 'FeatureCollection',
      features: [feature('a', square(5, 52))],
      crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:OGC:1.3:CRS84' } },
    });
    assert.equal((await readAll(harmless)).length, 1);
  });

  it('keeps feature ids and marks array items that are not features, row by row', async () => {
    const file = writeCollection(dir, 'mixed.geojson', {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', id: 7, properties: null, geometry: square(5, 52) },
        42,
        { type: 'Polygon', coordinates: [] },
        { type: 'Feature', id: 'x', properties: { a: 1 }, geometry: null },
      ],
    });
    const reader = await openGeoJson(file);
    assert.equal(reader.featureIdName, 'id');
    await reader.close();
    const features = await readAll(file);
    assert.deepEqual(
      features.map((f) => [f.row, f.featureId, f.problem]),
      [
        [1, '7', undefined],
        [2, undefined, 'is a number, not a GeoJSON Feature object'],
        [3, undefined, 'is an object of type "Polygon", not a GeoJSON Feature object'],
        [4, 'x', undefined],
      ],
    );
  });

  it('refuses what is not a FeatureCollection, and malformed JSON naming the last good row', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['feature.geojson', JSON.stringify(feature('a', square(5, 52))), /its type is "Feature"/],
      ['array.geojson', '[1, 2]', /its top level is not an object/],
      ['nofeatures.geojson', '{"type": "FeatureCollection"}', /no "features" array/],
      [
        'typed.geojson',
        '{"type": "GeometryCollection", "features": []}',
        /its type is "GeometryCollection"/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      await assert.rejects(openGeoJson(file), (error: unknown) => {
        assert.ok(error instanceof BadInputError);
        assert.match(error.message, /is not a GeoJSON FeatureCollection/);
        assert.match(error.message, message);
        return true;
      });
    }
    const truncated = path.join(dir, 'truncated.geojson');
    const text = JSON.stringify({
      type: 'FeatureCollection',
      features: [feature('a', square(5, 52)), feature('b', square(5.1, 52))],
    });
    writeFileSync(
      truncated,
      `${text.slice(0, text.lastIndexOf('{"type":"Feature"'))}{"type": oops`,
    );
    await assert.rejects(
      readAll(truncated),
      /truncated\.geojson is not valid JSON after feature row 1/,
    );
  });

  it('rejects a feature with more numbers than a parcel can hold as it streams past, and reads on', async () => {
    // A ring of 210 000 vertices: 420 000 numbers, past MAX_FEATURE_NUMBERS (410 000).
    const ring: number[][] = [];
    for (let i = 0; i < 210_000; i++) {
      const angle = (2 * Math.PI * i) / 210_000;
      ring.push([5 + 0.01 * Math.cos(angle), 52 + 0.01 * Math.sin(angle)]);
    }
    ring.push(ring[0]!);
    const file = writeCollection(dir, 'huge.geojson', {
      type: 'FeatureCollection',
      features: [
        feature('a', square(5, 52)),
        feature('huge', { type: 'Polygon', coordinates: [ring] }, { area: 1 }),
        feature('b', square(5.1, 52)),
      ],
    });
    const [first, huge, last] = await readAll(file);
    assert.deepEqual(first?.properties, { id: 'a' });
    // Its id and attributes (read before the geometry) still name it.
    assert.deepEqual(
      [huge?.row, huge?.properties, huge?.geometry],
      [2, { id: 'huge', area: 1 }, null],
    );
    assert.equal(MAX_FEATURE_NUMBERS, 410_000);
    assert.match(
      huge?.problem ?? '',
      /^holds more than 410,000 numbers, more than a parcel of at most 100,000 vertices and its attributes can; simplify it/,
    );
    assert.deepEqual(
      [last?.row, last?.properties, last?.geometry],
      [3, { id: 'b' }, square(5.1, 52)],
    );
  });
});
