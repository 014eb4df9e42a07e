/**
 * npx tsx bench/import.ts [-- --parcels 1000000] [-- --format geojson|gpkg] [-- --json]
 *
 * `parcelwatch parcels import` of a generated GeoJSON (or, with --format gpkg, the same parcels
 * converted to a GeoPackage by ogr2ogr) of N parcels (default 1 000 000, about 1.5 ha
 * quadrilaterals over the Netherlands, tiles 31U/32U), as a whole process under /usr/bin/time, into
 * a fresh scratch database: first import (inserts and grouping), then the same file again
 * (everything unchanged). Prints wall time, rows/s and peak RSS (maxRSS); asserts nothing about
 * time. The GeoJSON is generated once into bench/.data/ (streamed, so generating needs little memory).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, renameSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { testAdminUrl } from '../scripts/provision/stack';
import { migrate } from '../src/store/db/migrate';

const ROOT = path.resolve(__dirname, '..');
const DATA = path.join(ROOT, 'bench', '.data');
/** Bump when the generated file changes, so a stale cache is not reused. */
const GENERATOR_VERSION = 1;
const DATABASE = 'parcelwatch_bench_import';
const SCHEMA = 'bench';
const CROPS = ['wheat', 'maize', 'potato', 'sugar beet', 'grassland', 'onion', 'barley'];
/** Parcel grid: cells of 0.0025° × 0.0015° (about 170 m × 165 m at 52.5° N), 1000 per row. */
const COLUMNS = 1000;
const CELL_LON = 0.0025;
const CELL_LAT = 0.0015;

/** A small deterministic PRNG (mulberry32): the same file every time. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate(parcels: number): Promise<string> {
  const file = path.join(DATA, `import-${parcels}-v${GENERATOR_VERSION}.geojson`);
  if (existsSync(file)) return file;
  await mkdir(DATA, { recursive: true });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const next = random(parcels);
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', r));
  await write('{"type":"FeatureCollection","name":"bench","features":[\n');
  for (let i = 0; i < parcels; i++) {
    const lon = 5 + (i % COLUMNS) * CELL_LON;
    const lat = 52 + Math.floor(i / COLUMNS) * CELL_LAT;
    // A quadrilateral with jittered corners, inside its cell (so parcels never overlap).
    const j = () => next() * 0.2;
    const ring = [
      [lon + j() * CELL_LON, lat + j() * CELL_LAT],
      [lon + (1 - j()) * CELL_LON, lat + j() * CELL_LAT],
      [lon + (1 - j()) * CELL_LON, lat + (1 - j()) * CELL_LAT],
      [lon + j() * CELL_LON, lat + (1 - j()) * CELL_LAT],
    ].map(([x, y]) => [Math.round(x * 1e7) / 1e7, Math.round(y * 1e7) / 1e7]);
    ring.push(ring[0]);
    const feature = {
      type: 'Feature',
      properties: {
        parcel_id: `B${i}`,
        crop: CROPS[Math.floor(next() * CROPS.length)],
        farm: `farm-${Math.floor(i / 40)}`,
        year: 2024,
      },
      geometry: { type: 'Polygon', coordinates: [ring] },
    };
    await write(`${i ? ',\n' : ''}${JSON.stringify(feature)}`);
  }
  await write('\n]}\n');
  await new Promise<void>((resolve) => out.end(resolve));
  renameSync(partial, file);
  return file;
}

/** The generated parcels as a GeoPackage, converted once by GDAL and cached beside the GeoJSON. */
function asGeoPackage(geojson: string): string {
  const file = geojson.replace(/\.geojson$/, '.gpkg');
  if (existsSync(file)) return file;
  const partial = `${file}.partial`;
  const converted = spawnSync(
    'ogr2ogr',
    ['-f', 'GPKG', partial, geojson, '-nln', 'parcels', '-gt', '65536'],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (converted.status !== 0) throw new Error(`ogr2ogr failed: ${converted.stderr}`);
  renameSync(partial, file);
  return file;
}

async function scratchDatabase(): Promise<string> {
  const admin = new Client({ connectionString: testAdminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testAdminUrl());
  url.pathname = `/${DATABASE}`;
  await migrate({ url: url.toString(), schema: SCHEMA });
  return url.toString();
}

interface Run {
  wall_s: number;
  rows_per_s: number;
  peak_rss_mb: number;
  inserted: number;
  unchanged: number;
  import_s: number;
}

function runImport(file: string, url: string): Run {
  const start = performance.now();
  const result = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M',
      process.execPath,
      path.join(ROOT, 'bin/parcelwatch.js'),
      'parcels',
      'import',
      file,
      '--source',
      'bench',
      '--json',
    ],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      env: { ...process.env, DATABASE_URL: url, PARCELWATCH_DB_SCHEMA: SCHEMA },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const wall = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`parcelwatch parcels import failed: ${result.stderr}`);
  const summary = JSON.parse(result.stdout);
  const peakKb = Number(result.stderr.trim().split('\n').pop());
  return {
    wall_s: Math.round(wall * 10) / 10,
    rows_per_s: Math.round(summary.read / wall),
    peak_rss_mb: Math.round(peakKb / 1024),
    inserted: summary.inserted,
    unchanged: summary.unchanged,
    import_s: summary.seconds,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      parcels: { type: 'string', default: '1000000' },
      format: { type: 'string', default: 'geojson' },
    },
  });
  if (values.format !== 'geojson' && values.format !== 'gpkg')
    throw new Error(`--format ${values.format}: give geojson or gpkg`);
  const parcels = Number(values.parcels);
  const log = (line: string) => !values.json && process.stderr.write(`${line}\n`);
  log(`generating ${parcels} parcels (cached in bench/.data after the first run)…`);
  const geojson = await generate(parcels);
  if (values.format === 'gpkg') log('converting to a GeoPackage with ogr2ogr (cached too)…');
  const file = values.format === 'gpkg' ? asGeoPackage(geojson) : geojson;
  log(`${path.relative(ROOT, file)}: ${(statSync(file).size / 1024 ** 2).toFixed(0)} MB`);
  const url = await scratchDatabase();
  log('first import (inserts, grouping)…');
  const first = runImport(file, url);
  log('second import of the same file (nothing changes)…');
  const second = runImport(file, url);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ parcels, format: values.format, first, second })}\n`);
    return;
  }
  for (const [label, run] of [
    ['first import', first],
    ['re-import', second],
  ] as const) {
    process.stdout.write(
      `${label.padEnd(13)} ${parcels} parcels (${values.format}): ${run.wall_s} s wall (${run.import_s} s in the import), ${run.rows_per_s} rows/s, peak RSS ${run.peak_rss_mb} MB; inserted ${run.inserted}, unchanged ${run.unchanged}\n`,
    );
  }
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
