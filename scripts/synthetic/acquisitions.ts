import { BadInputError } from '../../src/core/errors';
import type { BBox } from '../../src/core/geo/types';
import { type Atmosphere, type AtmosphereOptions, planAtmosphere } from './atmosphere';
import type { Random } from './random';

/**
 * One satellite pass over the region on one date: platform, datatake (shared by every tile it
 * crosses, as in real data) and what the atmosphere does that day.
 */
export interface Acquisition {
  index: number;
  /** YYYY-MM-DD */
  date: string;
  dayOfYear: number;
  platform: 'sentinel-2a' | 'sentinel-2b';
  platformCode: 'S2A' | 'S2B';
  /** Start of the datatake, ISO 8601 UTC. */
  sensingStart: string;
  absoluteOrbit: number;
  datatakeId: string;
  atmosphere: Atmosphere;
}

/** Sensing start of every synthetic pass (the real 33TWL/33TWM passes start around 09:55 UTC). */
const SENSING_START_UTC = '09:55:49';
/** Absolute orbit of the first acquisition; each later one adds the orbits flown in between. */
const FIRST_ABSOLUTE_ORBIT = 37_000;
const ORBITS_PER_DAY = 14.3;
const DAY_MS = 86_400_000;

function parseDate(date: string): Date {
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(date)
    ? new Date(`${date}T00:00:00Z`)
    : new Date(Number.NaN);
  if (Number.isNaN(parsed.getTime())) {
    throw new BadInputError(`Synthetic data: date "${date}" is not a YYYY-MM-DD calendar date`, {
      code: 'SYNTHETIC_BAD_DATE',
    });
  }
  return parsed;
}

/** `weeks` weeks from `start`, `perWeek` acquisitions each (evenly spread: 2 → Monday and Thursday). */
export function weeklyDates(start: string, weeks: number, perWeek: number): string[] {
  const first = parseDate(start).getTime();
  const dates: string[] = [];
  for (let week = 0; week < weeks; week++) {
    for (let k = 0; k < perWeek; k++) {
      const offsetDays = week * 7 + Math.floor((k * 7) / perWeek);
      dates.push(new Date(first + offsetDays * DAY_MS).toISOString().slice(0, 10));
    }
  }
  return dates;
}

export function planAcquisitions(
  random: Random,
  region: BBox,
  dates: readonly string[],
  processingBaseline: string,
  sceneOptions: (date: string, index: number) => AtmosphereOptions,
): Acquisition[] {
  const sorted = [...dates].sort();
  if (new Set(sorted).size !== sorted.length) {
    throw new BadInputError(
      `Synthetic data: dates repeat in [${dates.join(', ')}]; give each date once`,
      {
        code: 'SYNTHETIC_BAD_DATE',
      },
    );
  }
  const firstDay = sorted.length ? parseDate(sorted[0]).getTime() : 0;
  return sorted.map((date, index) => {
    const day = parseDate(date);
    const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
    const platformCode = index % 2 === 0 ? 'S2A' : 'S2B';
    const absoluteOrbit =
      FIRST_ABSOLUTE_ORBIT + Math.round(((day.getTime() - firstDay) / DAY_MS) * ORBITS_PER_DAY);
    const sensingStart = `${date}T${SENSING_START_UTC}.024Z`;
    const compact = `${date.replaceAll('-', '')}T${SENSING_START_UTC.replaceAll(':', '')}`;
    return {
      index,
      date,
      dayOfYear: Math.round((day.getTime() - yearStart) / DAY_MS) + 1,
      platform: platformCode === 'S2A' ? 'sentinel-2a' : 'sentinel-2b',
      platformCode,
      sensingStart,
      absoluteOrbit,
      datatakeId: `G${platformCode}_${compact}_${String(absoluteOrbit).padStart(6, '0')}_N${processingBaseline}`,
      atmosphere: planAtmosphere(random.fork(), region, sceneOptions(date, index)),
    };
  });
}
