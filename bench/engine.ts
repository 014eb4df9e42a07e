/**
 * npm run bench:engine [-- --json] [-- --parcels 10000,100000]
 *
 * The index engine on a full-size synthetic tile-scene in the Earth Search layout (B04/B08 10980²,
 * B11/SCL 5490², 1024-px tiles, DEFLATE + predictor 2), NDVI + NDMI, for each parcel count: the
 * cold scene (parcels reprojected and rasterised) and a warm one (pixel map reused), each measured
 * in a fresh process; then `parcelwatch compute` as a whole process on the largest set. Prints
 * figures; asserts nothing about time. Data is generated once into bench/.data/ (about a minute).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(__dirname, '..');
const DATA = path.join(ROOT, 'bench', '.data');
const TSX = ['--require', 'tsx/cjs'];
/** Two acquisitions of the same tile: the first is cold, the second warm. */
const DATES = '2024-06-03,2024-06-10';

function dataset(parcels: number): string {
  const dir = path.join(DATA, `engine-${parcels}`);
  // The generator skips a finished run with the same parameters.
  execFileSync(
    process.execPath,
    [
      ...TSX,
      path.join(ROOT, 'scripts/synthetic/main.ts'),
      '--out',
      dir,
      '--full-tile',
      '--tiles',
      '33TWL',
      '--parcels',
      String(parcels),
      '--bands',
      'B04,B08,B11,SCL',
      '--dates',
      DATES,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return dir;
}

function runEngine(dir: string): Record<string, number> {
  const out = execFileSync(
    process.execPath,
    [...TSX, path.join(ROOT, 'bench/engine-run.ts'), '--data', dir],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

function runComputeCli(dir: string): { wall_s: number; peak_rss_mb: number; parcels: number } {
  const items = readdirSync(path.join(dir, 'items'))
    .filter((f) => f.endsWith('.json'))
    .sort();
  const work = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-'));
  try {
    const start = performance.now();
    const result = spawnSync(
      '/usr/bin/time',
      [
        '-f',
        '%M',
        process.execPath,
        path.join(ROOT, 'bin/parcelwatch.js'),
        'compute',
        '--item',
        path.join(dir, 'items', items[0]!),
        '--parcels',
        path.join(dir, 'parcels.geojson'),
        '--out',
        path.join(work, 'stats.csv'),
        '--json',
      ],
      { encoding: 'utf8' },
    );
    const wall = (performance.now() - start) / 1000;
    if (result.status !== 0) throw new Error(`parcelwatch compute failed: ${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    const summary = JSON.parse(lines.find((l) => l.startsWith('{'))!);
    return {
      wall_s: Math.round(wall * 1000) / 1000,
      peak_rss_mb: Math.round(Number(lines.pop()) / 1024),
      parcels: summary.parcels,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      parcels: { type: 'string', default: '10000,100000' },
    },
  });
  const counts = values.parcels!.split(',').map(Number);
  const runs = counts.map((n) => {
    if (!values.json)
      process.stderr.write(`preparing ${n} parcels (cached after the first run)…\n`);
    const dir = dataset(n);
    if (!values.json) process.stderr.write(`measuring ${n} parcels…\n`);
    return runEngine(dir);
  });
  const largest = path.join(DATA, `engine-${Math.max(...counts)}`);
  const cli = existsSync(largest) ? runComputeCli(largest) : undefined;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ runs, compute_cli: cli })}\n`);
    return;
  }
  const rows: Array<[string, (r: Record<string, number>) => string]> = [
    ['parcels', (r) => String(r.parcels)],
    ['parcel pixels (after 5 m buffer)', (r) => `${((r.pixels ?? 0) / 1e6).toFixed(1)} M`],
    ['cold scene: wall / CPU (s)', (r) => `${r.cold_wall_s} / ${r.cold_cpu_s}`],
    ['  of which prepare (reproject + rasterise)', (r) => `${r.cold_prepare_s} s`],
    ['warm scene: wall / CPU (s)', (r) => `${r.wall_s} / ${r.cpu_s}`],
    ['warm: Mpixel/s, parcels/s', (r) => `${r.mpx_per_s}, ${r.parcels_per_s}`],
    ['peak RSS', (r) => `${r.peak_rss_mb} MB`],
    [
      'bytes read / minimum',
      (r) =>
        `${((r.bytes_read ?? 0) / 1e6).toFixed(1)} / ${((r.bytes_min ?? 0) / 1e6).toFixed(1)} MB (${((r.bytes_read ?? 0) / (r.bytes_min ?? 1)).toFixed(4)}×)`,
    ],
    ['requests, tiles', (r) => `${r.requests}, ${r.tiles_read}`],
    ['threads', (r) => String(r.threads)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, cell] of rows) {
    process.stdout.write(
      `${label.padEnd(width)}  ${runs.map((r) => cell(r).padStart(22)).join('')}\n`,
    );
  }
  if (cli)
    process.stdout.write(
      `\nparcelwatch compute, ${cli.parcels} parcels, one scene, whole process: ${cli.wall_s} s wall, peak RSS ${cli.peak_rss_mb} MB\n`,
    );
}

main();
