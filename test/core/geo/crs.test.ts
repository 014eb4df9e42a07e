import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../../src/core/errors';
import {
  reprojectFlat,
  reprojectGeometry,
  reprojectPoint,
  resolveCrs,
} from '../../../src/core/geo/crs';
import { CRS_DEFINITIONS } from '../../../src/core/geo/crs-registry';
import type { MultiPolygon, ParcelGeometry, Polygon, Position } from '../../../src/core/geo/types';
import { fixture } from '../../helpers/fixtures';

const PARCELS = fixture('parcels');

/** Transforms positions with GDAL's gdaltransform (traditional x/y order). */
function gdaltransform(from: string, to: string, points: Position[]): Position[] {
  const input = points.map(([x, y]) => `${x} ${y}`).join('\n');
  const output = execFileSync('gdaltransform', ['-s_srs', from, '-t_srs', to, '-output_xy'], {
    input: `${input}\n`,
  }).toString();
  return output
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as Position);
}

/** Ground distance in metres between two lon/lat positions (small-distance approximation). */
function metresApart([lon1, lat1]: Position, [lon2, lat2]: Position): number {
  const metresPerDegree = 111_320;
  return Math.hypot(
    (lon1 - lon2) * metresPerDegree * Math.cos((lat1 * Math.PI) / 180),
    (lat1 - lat2) * 110_574,
  );
}

/** One lon/lat point inside the area of use of each named definition. */
const SAMPLE_POINTS: Record<number, Position> = {
  4326: [10, 52],
  4258: [10, 52],
  4269: [-96, 40],
  3857: [10, 52],
  3395: [10, 52],
  3035: [10, 52],
  28992: [5.3, 52.1],
  31370: [4.4, 50.8],
  2154: [2.3, 46.8],
  27700: [-1.5, 52.5],
  2157: [-8, 53.3],
  2056: [7.5, 46.9],
  3416: [14, 47.7],
  // Tyrol: PROJ has a finer transformation for Styria that GDAL would pick there.
  31287: [11.4, 47.3],
  2180: [19, 52],
  23700: [19.5, 47.2],
  3844: [25, 46],
  3794: [14.8, 46.1],
  3765: [16, 45.5],
  3763: [-8, 39.6],
  2100: [22.5, 39.5],
  3006: [16, 60],
  3067: [25, 62],
  3346: [24, 55.5],
  3059: [24.5, 57],
  3301: [25, 58.8],
  5070: [-96, 40],
  3577: [145, -35],
  2193: [175, -40],
};

describe('resolveCrs', () => {
  it('accepts EPSG:n, a number, an OGC URN and OGC:CRS84 for the same system', () => {
    const rd = resolveCrs('EPSG:28992');
    assert.equal(rd.id, 'EPSG:28992');
    assert.equal(rd.epsg, 28992);
    assert.equal(rd.geographic, false);
    assert.match(rd.proj4, /\+towgs84=565\.4171/);
    assert.deepEqual(resolveCrs(28992), rd);
    assert.deepEqual(resolveCrs('urn:ogc:def:crs:EPSG::28992'), rd);
    assert.deepEqual(resolveCrs('epsg:28992'), rd);
    const crs84 = resolveCrs('OGC:CRS84');
    assert.equal(crs84.epsg, 4326);
    assert.equal(crs84.geographic, true);
    assert.deepEqual(resolveCrs('urn:ogc:def:crs:OGC:1.3:CRS84'), crs84);
  });

  it('accepts a proj4 definition as given', () => {
    const def = '+proj=utm +zone=31 +ellps=intl +towgs84=-87,-98,-121,0,0,0,0 +units=m +no_defs';
    const crs = resolveCrs(def);
    assert.equal(crs.epsg, undefined);
    assert.equal(crs.proj4, def);
    assert.equal(crs.geographic, false);
    assert.equal(resolveCrs('+proj=longlat +ellps=GRS80 +no_defs').geographic, true);
  });

  it('knows every WGS 84 / UTM and ETRS89 / UTM zone', () => {
    for (let zone = 1; zone <= 60; zone++) {
      assert.match(resolveCrs(32600 + zone).proj4, new RegExp(`\\+zone=${zone} `));
      assert.match(resolveCrs(32700 + zone).proj4, new RegExp(`\\+zone=${zone} \\+south`));
    }
    for (let code = 25828; code <= 25838; code++) assert.ok(CRS_DEFINITIONS.has(code));
  });

  it('rejects an unknown code with a BadInputError naming the code and how to pass a definition', () => {
    assert.throws(
      () => resolveCrs('EPSG:5514'),
      (e: unknown) =>
        e instanceof BadInputError &&
        e.code === 'CRS_UNKNOWN' &&
        e.message.includes('EPSG:5514') &&
        e.message.includes('--srs'),
    );
    assert.throws(
      () => resolveCrs('Lambert somewhere'),
      (e: unknown) => e instanceof BadInputError && e.message.includes('Lambert somewhere'),
    );
    assert.throws(
      () => resolveCrs('+proj=nonsense'),
      (e: unknown) => e instanceof BadInputError && e.code === 'CRS_INVALID',
    );
  });
});

describe('reprojection against GDAL', () => {
  it('matches gdaltransform for Amersfoort / RD New to within 1 m, both ways', () => {
    const wgs84: Position[] = [
      [3.6, 51.4],
      [5.3, 52.1],
      [6.9, 53.3],
      [5.9, 50.8],
      [4.9, 52.4],
    ];
    const rdByGdal = gdaltransform('EPSG:4326', 'EPSG:28992', wgs84);
    wgs84.forEach((p, i) => {
      const rd = reprojectPoint(p, 'EPSG:4326', 'EPSG:28992');
      assert.ok(Math.hypot(rd[0] - rdByGdal[i][0], rd[1] - rdByGdal[i][1]) < 1, `forward ${p}`);
    });
    const backByGdal = gdaltransform('EPSG:28992', 'EPSG:4326', rdByGdal);
    rdByGdal.forEach((p, i) => {
      assert.ok(metresApart(reprojectPoint(p, 28992, 4326), backByGdal[i]) < 1, `inverse ${p}`);
    });
  });

  it('matches gdaltransform for UTM (north, south, ETRS89, SIRGAS 2000) to within 1 mm', () => {
    const cases: Array<[number, Position]> = [
      [32633, [15.2, 45.9]],
      [32629, [-11.5, 25.1]],
      [32755, [147.1, -35.3]],
      [32721, [-58.4, -34.6]],
      [25832, [9.9, 53.5]],
      [31983, [-45.1, -22.4]],
      // Far outside the zone's 6° (Sentinel-2 tiles reach past zone edges).
      [32632, [12.9, 47.5]],
    ];
    for (const [epsg, lonLat] of cases) {
      const [expected] = gdaltransform('EPSG:4326', `EPSG:${epsg}`, [lonLat]);
      const actual = reprojectPoint(lonLat, 4326, epsg);
      assert.ok(
        Math.hypot(actual[0] - expected[0], actual[1] - expected[1]) < 1e-3,
        `EPSG:${epsg} ${lonLat}`,
      );
    }
  });

  it('matches gdaltransform for every named national grid to within 1 m', () => {
    for (const [code, lonLat] of Object.entries(SAMPLE_POINTS)) {
      const epsg = Number(code);
      assert.ok(CRS_DEFINITIONS.has(epsg), `EPSG:${epsg} is registered`);
      const [expected] = gdaltransform('EPSG:4326', `EPSG:${epsg}`, [lonLat]);
      const actual = reprojectPoint(lonLat, 4326, epsg);
      const error = resolveCrs(epsg).geographic
        ? metresApart(actual, expected)
        : Math.hypot(actual[0] - expected[0], actual[1] - expected[1]);
      assert.ok(error < 1, `EPSG:${epsg}: ${error.toFixed(3)} m from GDAL`);
    }
    const named = [...CRS_DEFINITIONS.values()].filter((d) => !/UTM zone/.test(d.name));
    assert.deepEqual(
      named.map((d) => d.epsg).sort(),
      Object.keys(SAMPLE_POINTS).map(Number).sort(),
    );
  });

  it('reproduces the WGS 84 fixture from the RD New GeoPackage to within 1 m', () => {
    const rd = JSON.parse(
      execFileSync('ogr2ogr', [
        '-f',
        'GeoJSON',
        '/vsistdout/',
        join(PARCELS, 'nl-brp-2023.gpkg'),
      ]).toString(),
    ) as { features: Array<{ geometry: Polygon }> };
    const wgs84 = JSON.parse(readFileSync(join(PARCELS, 'nl-brp-2023.geojson'), 'utf8')) as {
      features: Array<{ geometry: Polygon }>;
    };
    assert.equal(rd.features.length, wgs84.features.length);
    let worst = 0;
    rd.features.forEach((feature, i) => {
      const mine = reprojectGeometry(feature.geometry, 'EPSG:28992', 'OGC:CRS84');
      mine.coordinates.forEach((ring, r) => {
        ring.forEach((p, k) => {
          worst = Math.max(worst, metresApart(p, wgs84.features[i].geometry.coordinates[r][k]));
        });
      });
    });
    assert.ok(worst < 1, `worst vertex ${worst.toFixed(3)} m from the fixture`);
  });
});

describe('reprojectGeometry and reprojectFlat', () => {
  const polygon: Polygon = {
    type: 'Polygon',
    coordinates: [
      [
        [15, 46],
        [15.01, 46],
        [15.01, 46.01],
        [15, 46],
      ],
      [
        [15.002, 46.001],
        [15.004, 46.001],
        [15.004, 46.003],
        [15.002, 46.001],
      ],
    ],
  };

  it('keeps the nesting of polygons, rings and positions and transforms each position', () => {
    const multi: MultiPolygon = {
      type: 'MultiPolygon',
      coordinates: [polygon.coordinates, polygon.coordinates],
    };
    const out = reprojectGeometry(multi, 4326, 32633);
    assert.equal(out.type, 'MultiPolygon');
    assert.deepEqual(
      out.coordinates.map((p) => p.map((r) => r.length)),
      [
        [4, 4],
        [4, 4],
      ],
    );
    assert.deepEqual(out.coordinates[1][1][2], reprojectPoint([15.004, 46.003], 4326, 32633));
    assert.deepEqual(multi.coordinates[0][0][0], [15, 46], 'the input is left untouched');
  });

  it('round-trips to within a micrometre', () => {
    const back: ParcelGeometry = reprojectGeometry(
      reprojectGeometry(polygon, 4326, 32633),
      32633,
      4326,
    );
    back.coordinates.flat().forEach((p, i) => {
      const q = polygon.coordinates.flat()[i];
      assert.ok(metresApart(p as Position, q) < 1e-6);
    });
  });

  it('transforms interleaved coordinates like single points, also in place', () => {
    const xy = new Float64Array([15, 46, 16, 47]);
    const out = reprojectFlat(xy, 4326, 'EPSG:32633');
    assert.deepEqual([...out.subarray(2)], reprojectPoint([16, 47], 4326, 32633));
    reprojectFlat(xy, 4326, 32633, xy);
    assert.deepEqual([...xy], [...out]);
  });
});
