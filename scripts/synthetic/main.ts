import { Command, InvalidArgumentError } from 'commander';
import type { BBox } from '../../src/core/geo/types';
import { weeklyDates } from './acquisitions';
import type { SyntheticBand } from './bands';
import { generateSynthetic } from './generate';
import { DEFAULT_START, type SceneOptions } from './options';
import { mgrsTile, tileBounds } from './tiles';

/**
 * tsx scripts/synthetic/main.ts --out DIR [options]: writes synthetic Sentinel-2 scenes, parcels
 * and ground truth (see generate.ts). Reruns with the same options return at once.
 */

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const integer = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return n;
};
const number = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`"${value}" is not a number`);
  return n;
};
const region = (value: string): BBox => {
  const parts = list(value).map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
    throw new InvalidArgumentError(`"${value}" is not minX,minY,maxX,maxY in UTM 33N metres`);
  }
  return parts as BBox;
};
/** DATE=VALUE pairs, repeatable. */
const perDate =
  (parse: (v: string) => number) =>
  (value: string, previous: Record<string, number> = {}) => {
    const [date, raw] = value.split('=');
    if (!date || raw === undefined) throw new InvalidArgumentError(`"${value}" is not DATE=VALUE`);
    return { ...previous, [date]: parse(raw) };
  };
const collect = (value: string, previous: string[] = []) => [...previous, value];

const program = new Command()
  .name('synthetic')
  .description(
    'Generate synthetic Sentinel-2 L2A scenes (Earth Search layout), parcels and ground truth',
  )
  .requiredOption('--out <dir>', 'output directory')
  .option('--seed <n>', 'random seed', integer, 1)
  .option(
    '--region <minX,minY,maxX,maxY>',
    'UTM 33N rectangle to cover (default: 3 × 14 km across the overlap)',
    region,
  )
  .option('--full-tile', 'cover the whole of the first tile (benchmarks)')
  .option('--tiles <ids>', 'MGRS tiles', list)
  .option('--parcels <n>', 'number of parcels', integer)
  .option('--tiny <n>', 'number of parcels narrower than 10 m', integer)
  .option('--lakes <n>', 'number of lakes', integer)
  .option('--dates <list>', 'acquisition dates YYYY-MM-DD', list)
  .option('--start <date>', 'first date of weekly acquisitions', DEFAULT_START)
  .option('--weeks <n>', 'weeks of acquisitions', integer, 3)
  .option('--per-week <n>', 'acquisitions per week', integer, 2)
  .option('--bands <list>', 'bands (B02,B03,B04,B05,B08,B11,SCL)', list)
  .option('--tile-size <n>', 'COG internal tile size', integer)
  .option('--overviews <n>', 'overview levels (default: auto)', integer)
  .option('--offset-applied', 'emit DN = reflectance × 10000 with boa_offset_applied: true')
  .option('--noise <amplitude>', 'uniform per-pixel reflectance noise', number)
  .option('--cloud <date=fraction>', 'cloud fraction of one date (repeatable)', perDate(number))
  .option(
    '--wedge <date=fraction>',
    'no-data wedge width of one date (repeatable)',
    perDate(number),
  )
  .option('--fully-clouded <date>', 'a date entirely under cloud (repeatable)', collect)
  .option('--empty <date>', 'a date whose rasters hold no data at all (repeatable)', collect);

async function main(): Promise<void> {
  const o = program.parse().opts();
  const tiles: string[] | undefined = o.tiles;
  const scenes: Record<string, SceneOptions> = {};
  const scene = (date: string) => {
    scenes[date] ??= {};
    return scenes[date];
  };
  for (const [date, f] of Object.entries((o.cloud ?? {}) as Record<string, number>))
    scene(date).cloudFraction = f;
  for (const [date, f] of Object.entries((o.wedge ?? {}) as Record<string, number>))
    scene(date).nodataWedge = f;
  for (const date of (o.fullyClouded ?? []) as string[]) scene(date).fullyClouded = true;
  for (const date of (o.empty ?? []) as string[]) scene(date).noData = true;
  const started = Date.now();
  const dataset = await generateSynthetic({
    out: o.out,
    seed: o.seed,
    region: o.fullTile ? tileBounds(mgrsTile(tiles?.[0] ?? '33TWL')) : o.region,
    tiles: o.fullTile && !tiles ? ['33TWL'] : tiles,
    parcels: o.parcels,
    tinyParcels: o.tiny,
    lakes: o.lakes,
    dates: o.dates ?? weeklyDates(o.start, o.weeks, o.perWeek),
    scenes,
    bands: o.bands as SyntheticBand[] | undefined,
    tileSize: o.tileSize,
    overviews: o.overviews,
    offsetApplied: o.offsetApplied,
    noise: o.noise,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `${dataset.cached ? 'Reused' : 'Generated'} ${dataset.scenes.length} scenes, ${dataset.options.parcels} parcels in ${dataset.dir} (${seconds} s)`,
  );
  for (const s of dataset.scenes) console.log(`  ${s.id}  cloud ${s.cloudCover.toFixed(1)} %`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
