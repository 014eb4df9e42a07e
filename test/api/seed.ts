import type { Database } from '../../src/store/db/database';
import { type ObservationRow, upsertObservations } from '../../src/store/db/observations-repo';
import { type ParcelInput, upsertParcels, watchParcels } from '../../src/store/db/parcels-repo';
import { prepareWeekly } from '../../src/store/db/weekly';
import { random, randomParcels } from '../store/db/test-parcels';

/**
 * A series dataset written through the store's own write paths (upsertParcels, upsertObservations,
 * prepareWeekly): parcels of two sources and crops, half of them watched, observations of two
 * indices every 5 days with every status (nodata rows hold null statistics), flags, run ids with
 * and without, and the weekly series of the watched parcels. Deterministic for a seed.
 */

export interface SeedOptions {
  /** Parcels per source (two sources: `src-a`, `src-b`). */
  parcelsPerSource: number;
  /** Acquisitions per parcel and index, every 5 days from 2024-03-01. */
  acquisitions: number;
  seed: number;
}

export interface Seeded {
  /** Database ids, source `src-a` first. */
  parcelIds: number[];
  watchedIds: number[];
  indices: string[];
}

export const SEED_INDICES = ['ndmi', 'ndvi'];
/** UTM 33N box of tile 33TWL where the parcels lie. */
const BOX: [number, number, number, number] = [530_000, 5_030_000, 545_000, 5_045_000];
const FIRST_ACQUISITION = Date.UTC(2024, 2, 1, 10, 6, 52, 848);
const DAY_MS = 86_400_000;

export async function seedSeries(db: Database, options: SeedOptions): Promise<Seeded> {
  const next = random(options.seed);
  const parcelIds: number[] = [];
  for (const [n, source] of ['src-a', 'src-b'].entries()) {
    const parcels: ParcelInput[] = randomParcels(
      options.parcelsPerSource,
      options.seed + n,
      BOX,
      `${source}-p`,
    ).map((p, i) => ({
      ...p,
      crop: i % 3 === 0 ? 'wheat' : 'maize',
      attributes: { farm: `F${i % 7}` },
    }));
    const { ids } = await upsertParcels(db, parcels, { source });
    parcelIds.push(...ids);
  }
  const watchedIds = parcelIds.filter((_, i) => i % 2 === 0);
  await watchParcels(db, { ids: watchedIds }, true);

  const rows: ObservationRow[] = [];
  for (const parcelDbId of parcelIds) {
    for (const index of SEED_INDICES) {
      for (let k = 0; k < options.acquisitions; k++) {
        rows.push(observation(parcelDbId, index, k, next));
      }
    }
  }
  const half = Math.floor(rows.length / 2);
  await upsertObservations(db, rows.slice(0, half), { algorithmVersion: 'engine-1' });
  await upsertObservations(db, rows.slice(half), {
    algorithmVersion: 'engine-2',
    runId: 'weekly-2024-W20',
  });
  const last = new Date(FIRST_ACQUISITION + (options.acquisitions - 1) * 5 * DAY_MS);
  await prepareWeekly(db, {
    fromWeek: '2024-W09',
    toWeek: isoWeekText(last),
    indices: SEED_INDICES,
    runId: 'weekly-seed',
  });
  return { parcelIds, watchedIds, indices: SEED_INDICES };
}

function observation(
  parcelDbId: number,
  index: string,
  k: number,
  next: () => number,
): ObservationRow {
  const roll = next();
  const status = roll < 0.7 ? 'ok' : roll < 0.9 ? 'cloudy' : 'nodata';
  const base = index === 'ndvi' ? 0.2 + 0.6 * next() : -0.1 + 0.4 * next();
  const stat = (offset: number) => (status === 'nodata' ? null : base + offset * next());
  const flagRoll = next();
  return {
    parcel: 0,
    parcelId: `p${parcelDbId}`,
    parcelDbId,
    index,
    acquiredAt: new Date(
      FIRST_ACQUISITION + k * 5 * DAY_MS + (parcelDbId % 3) * 1000,
    ).toISOString(),
    sceneId: `S2B_33TWL_${k}_0_L2A`,
    mean: stat(0),
    median: stat(0.01),
    std: status === 'nodata' ? null : 0.05 * next(),
    min: stat(-0.2),
    max: stat(0.2),
    p10: stat(-0.1),
    p90: stat(0.1),
    validPixels: status === 'nodata' ? 0 : Math.floor(100 * next()),
    totalPixels: 100,
    validFraction: status === 'nodata' ? 0 : next(),
    status,
    flags:
      flagRoll < 0.1
        ? ['buffer-fallback']
        : flagRoll < 0.15
          ? ['outside-raster', 'offset-suspect']
          : [],
  };
}

function isoWeekText(date: Date): string {
  // Thursday of the week decides the ISO year.
  const day = (date.getUTCDay() + 6) % 7;
  const thursday = new Date(
    Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - day + 3),
  );
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS));
  return `${year}-W${String(week).padStart(2, '0')}`;
}
