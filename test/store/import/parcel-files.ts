import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Polygon } from '../../../src/core/geo/types';
import { REPO_ROOT } from '../../helpers/services';

/** Parcel files for import tests: the BRP fixture, files derived from it with GDAL, broken ones. */

export const BRP_GPKG = path.join(REPO_ROOT, 'test', 'fixtures', 'parcels', 'nl-brp-2023.gpkg');
export const BRP_GEOJSON = path.join(
  REPO_ROOT,
  'test',
  'fixtures',
  'parcels',
  'nl-brp-2023.geojson',
);

export interface GeoJsonFeature {
  type: 'Feature';
  id?: string | number;
  properties: Record<string, unknown>;
  geometry: unknown;
}

export interface GeoJsonCollection {
  type: 'FeatureCollection';
  crs?: unknown;
  features: GeoJsonFeature[];
}

/** A fresh scratch folder. */
export function scratchDir(prefix = 'pw-import-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The BRP GeoJSON fixture, parsed (the test's own copy to alter). */
export function brpCollection(): GeoJsonCollection {
  return JSON.parse(readFileSync(BRP_GEOJSON, 'utf8')) as GeoJsonCollection;
}

export function writeCollection(dir: string, name: string, collection: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(collection));
  return file;
}

export function ogr2ogr(args: string[]): void {
  execFileSync('ogr2ogr', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The BRP GeoPackage as zipped Shapefile written by GDAL (ogr2ogr, then zip). */
export function brpZippedShapefile(dir: string, layerOptions: string[] = []): string {
  const shpDir = path.join(dir, 'shp');
  mkdirSync(shpDir, { recursive: true });
  ogr2ogr(['-f', 'ESRI Shapefile', path.join(shpDir, 'brp.shp'), BRP_GPKG, ...layerOptions]);
  const zip = path.join(dir, 'brp.zip');
  execFileSync('zip', [
    '-j',
    '-q',
    zip,
    ...['shp', 'shx', 'dbf', 'prj'].map((e) => path.join(shpDir, `brp.${e}`)),
  ]);
  return zip;
}

/** GDAL's own reading of the BRP GeoPackage: WKT in EPSG:28992 by primary key. */
export function brpWktById(): Map<number, string> {
  const csv = execFileSync(
    'ogr2ogr',
    [
      '-f',
      'CSV',
      '/vsistdout/',
      BRP_GPKG,
      '-dialect',
      'sqlite',
      '-sql',
      "SELECT 'x' || id AS pid, geom FROM brp_gewas",
      '-lco',
      'GEOMETRY=AS_WKT',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const out = new Map<number, string>();
  for (const line of csv.split('\n').slice(1)) {
    const match = /^"(.*)",x(\d+)$/.exec(line.trim());
    if (match) out.set(Number(match[2]), match[1]);
  }
  return out;
}

/** A ring crossing itself (a bow tie) around (lon, lat). */
export function bowTie(lon: number, lat: number): Polygon {
  const d = 0.001;
  return {
    type: 'Polygon',
    coordinates: [
      [
        [lon, lat],
        [lon + d, lat + d],
        [lon + d, lat],
        [lon, lat + d],
        [lon, lat],
      ],
    ],
  };
}

/** An axis-aligned lon/lat square. */
export function square(lon: number, lat: number, side = 0.001): Polygon {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [lon, lat],
        [lon + side, lat],
        [lon + side, lat + side],
        [lon, lat + side],
        [lon, lat],
      ],
    ],
  };
}

export function feature(id: string, geometry: unknown, properties: Record<string, unknown> = {}) {
  return { type: 'Feature' as const, properties: { id, ...properties }, geometry };
}
