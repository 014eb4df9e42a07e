import { createHash } from 'node:crypto';
import { BadInputError } from '../../src/core/errors';
import type { BBox } from '../../src/core/geo/types';
import { weeklyDates } from './acquisitions';
import type { AtmosphereOptions } from './atmosphere';
import { SYNTHETIC_BANDS, type SyntheticBand } from './bands';
import { MGRS_TILES } from './tiles';

/** What one acquisition's sky does; anything left out takes the default for its position. */
export type SceneOptions = Partial<AtmosphereOptions>;

export interface SyntheticOptions {
  /** Output directory. */
  out: string;
  /** @default 1 */
  seed?: number;
  /** UTM 33N rectangle [minX, minY, maxX, maxY] to cover. @default DEFAULT_REGION */
  region?: BBox;
  /** @default ['33TWL', '33TWM'] */
  tiles?: string[];
  /** @default 300 */
  parcels?: number;
  /** Parcels narrower than 10 m, which a 5 m inward buffer removes. @default 3 */
  tinyParcels?: number;
  /** @default 2 */
  lakes?: number;
  /** Acquisition dates (YYYY-MM-DD). @default 3 weeks from DEFAULT_START, 2 per week */
  dates?: string[];
  /** Sky per date, e.g. `{ '2024-05-09': { fullyClouded: true } }`. */
  scenes?: Record<string, SceneOptions>;
  /** @default every band of BAND_SPECS */
  bands?: SyntheticBand[];
  /** COG internal tile size. @default 1024 */
  tileSize?: number;
  /** @default 'auto' */
  overviews?: number | 'auto';
  /** @default 6 */
  compressionLevel?: number;
  /** true: DN = reflectance × 10000 and `earthsearch:boa_offset_applied: true` (like the real
   * fixtures); false: DN = reflectance × 10000 + 1000 as baseline ≥ 04.00 delivers. @default false */
  offsetApplied?: boolean;
  /** Uniform per-pixel reflectance noise amplitude (0.01 = ±0.01). @default 0 */
  noise?: number;
  /** @default '05.09' */
  processingBaseline?: string;
}

export type ResolvedOptions = Required<Omit<SyntheticOptions, 'scenes'>> & {
  scenes: Record<string, AtmosphereOptions>;
};

/** 3 km × 14 km across the 33TWL/33TWM overlap (y ∈ [5090220, 5100000]), with strips only in one tile. */
export const DEFAULT_REGION: BBox = [540000, 5088000, 543000, 5102000];
/** A Monday in the growing season. */
export const DEFAULT_START = '2024-05-06';
/** Cloud cover of the default acquisitions in turn: clear, partly, heavily clouded. */
const DEFAULT_CLOUD_FRACTIONS = [0.05, 0.2, 0, 0.35, 0.1, 0.5];
/** Bump when the generator's output changes for the same options, so caches are rebuilt. */
export const GENERATOR_VERSION = 1;

function bad(message: string): BadInputError {
  return new BadInputError(`Synthetic data: ${message}`, { code: 'SYNTHETIC_BAD_OPTIONS' });
}

export function resolveOptions(options: SyntheticOptions): ResolvedOptions {
  const dates = options.dates ?? weeklyDates(DEFAULT_START, 3, 2);
  const sortedDates = [...dates].sort();
  const scenes = Object.fromEntries(
    sortedDates.map((date, i): [string, AtmosphereOptions] => {
      const given = options.scenes?.[date] ?? {};
      return [
        date,
        {
          cloudFraction:
            given.cloudFraction ?? DEFAULT_CLOUD_FRACTIONS[i % DEFAULT_CLOUD_FRACTIONS.length],
          shadows: given.shadows ?? true,
          nodataWedge: given.nodataWedge ?? 0,
          fullyClouded: given.fullyClouded ?? false,
          noData: given.noData ?? false,
        },
      ];
    }),
  );
  for (const date of Object.keys(options.scenes ?? {})) {
    if (!(date in scenes))
      throw bad(
        `scene options for ${date}, which is not among the dates [${sortedDates.join(', ')}]`,
      );
  }
  const resolved: ResolvedOptions = {
    out: options.out,
    seed: options.seed ?? 1,
    region: options.region ?? DEFAULT_REGION,
    tiles: options.tiles ?? ['33TWL', '33TWM'],
    parcels: options.parcels ?? 300,
    tinyParcels: options.tinyParcels ?? 3,
    lakes: options.lakes ?? 2,
    dates: sortedDates,
    scenes,
    bands: options.bands ?? SYNTHETIC_BANDS,
    tileSize: options.tileSize ?? 1024,
    overviews: options.overviews ?? 'auto',
    compressionLevel: options.compressionLevel ?? 6,
    offsetApplied: options.offsetApplied ?? false,
    noise: options.noise ?? 0,
    processingBaseline: options.processingBaseline ?? '05.09',
  };
  const [x0, y0, x1, y1] = resolved.region;
  if (!(x0 < x1 && y0 < y1))
    throw bad(`region [${resolved.region.join(', ')}] must be [minX, minY, maxX, maxY]`);
  for (const tile of resolved.tiles) if (!MGRS_TILES[tile]) throw bad(`unknown tile "${tile}"`);
  for (const band of resolved.bands)
    if (!SYNTHETIC_BANDS.includes(band)) throw bad(`unknown band "${band}"`);
  for (const [name, n] of [
    ['parcels', resolved.parcels],
    ['tinyParcels', resolved.tinyParcels],
    ['lakes', resolved.lakes],
    ['seed', resolved.seed],
  ] as const) {
    if (!Number.isInteger(n) || n < 0)
      throw bad(`${name} must be a non-negative integer, got ${n}`);
  }
  for (const [date, scene] of Object.entries(scenes)) {
    if (
      !(scene.cloudFraction >= 0 && scene.cloudFraction <= 1) ||
      !(scene.nodataWedge >= 0 && scene.nodataWedge <= 1)
    ) {
      throw bad(`scene ${date}: cloudFraction and nodataWedge must lie in [0, 1]`);
    }
  }
  if (!/^\d{2}\.\d{2}$/.test(resolved.processingBaseline))
    throw bad(`processing baseline must look like 05.09`);
  return resolved;
}

/** Identifies everything that shapes the output (all options but the directory). */
export function parametersHash(options: ResolvedOptions): string {
  const { out: _out, ...shaping } = options;
  return createHash('sha256')
    .update(JSON.stringify({ version: GENERATOR_VERSION, ...shaping }))
    .digest('hex');
}
