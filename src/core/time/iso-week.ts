import { BadInputError } from '../errors';

/**
 * ISO 8601 weeks, in UTC: weeks start on Monday and week 1 of a year is the one holding its
 * first Thursday (so 29 Dec–3 Jan may belong to the neighbouring year). A weekly run covers the
 * window [Monday 00:00Z, next Monday 00:00Z).
 */
export interface IsoWeek {
  /** The ISO week-numbering year (not always the calendar year of every day in the week). */
  year: number;
  /** 1–52, or 53 in long years. */
  week: number;
}

/** A week as text (`2026-W48`) or as parts. */
export type IsoWeekInput = IsoWeek | string;

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** `2026-W48`: the extended ISO form used in workflow ids and on the command line. */
const ISO_WEEK_PATTERN = /^(\d{4})-W(\d{2})$/;

/** Parses `2026-W48`, refusing anything else with a message that shows the expected form. */
export function parseIsoWeek(text: string, what = 'week'): IsoWeek {
  const match = ISO_WEEK_PATTERN.exec(text.trim());
  if (!match) {
    const loose = /^(\d{4})-?[Ww]?(\d{1,2})$/.exec(text.trim());
    const hint = loose ? `${loose[1]}-W${loose[2].padStart(2, '0')}` : '2026-W48';
    throw new BadInputError(
      `${what} "${text}" is not an ISO week; write it as YYYY-Www, e.g. ${hint}`,
      { code: 'ISO_WEEK_INVALID' },
    );
  }
  const year = Number(match[1]);
  const week = Number(match[2]);
  const last = weeksInIsoYear(year);
  if (week < 1 || week > last) {
    throw new BadInputError(
      `${what} "${text}" does not exist: ISO year ${year} has weeks 01 to ${last}`,
      { code: 'ISO_WEEK_INVALID' },
    );
  }
  return { year, week };
}

/** `2026-W48`. */
export function formatIsoWeek(week: IsoWeek): string {
  return `${String(week.year).padStart(4, '0')}-W${String(week.week).padStart(2, '0')}`;
}

/** The ISO week holding an instant (`Date`, or an ISO 8601 date or timestamp), in UTC. */
export function isoWeekOf(date: Date | string): IsoWeek {
  const ms = toMs(date);
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  // The Thursday of the same week decides the year.
  const thursday = day + (3 - weekday(day)) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / WEEK_MS);
  return { year, week };
}

/** 53 when the year's week 53 exists (years starting on Thursday, leap years starting on Wednesday). */
export function weeksInIsoYear(year: number): 52 | 53 {
  // 28 December always lies in the last ISO week of its year.
  return isoWeekOf(new Date(Date.UTC(year, 11, 28))).week === 53 ? 53 : 52;
}

/** Monday of the week as `YYYY-MM-DD` (the `week_start` of parcel_weekly). */
export function isoWeekMonday(week: IsoWeekInput): string {
  return new Date(mondayMs(resolve(week))).toISOString().slice(0, 10);
}

/** The week's window [Monday 00:00Z, next Monday 00:00Z), as ISO 8601 timestamps. */
export function isoWeekWindow(week: IsoWeekInput): { start: string; end: string } {
  const start = mondayMs(resolve(week));
  return {
    start: new Date(start).toISOString(),
    end: new Date(start + WEEK_MS).toISOString(),
  };
}

/** The week `n` weeks after (negative: before) the given one. */
export function addIsoWeeks(week: IsoWeekInput, n: number): IsoWeek {
  return isoWeekOf(new Date(mondayMs(resolve(week)) + n * WEEK_MS));
}

/** Every week from `from` to `to`, both included, as `YYYY-Www`; refuses a reversed range. */
export function isoWeekRange(from: IsoWeekInput, to: IsoWeekInput): string[] {
  const start = mondayMs(resolve(from, 'from week'));
  const end = mondayMs(resolve(to, 'to week'));
  if (end < start) {
    throw new BadInputError(
      `week range ${label(from)}..${label(to)} is reversed; give the earlier week first`,
      { code: 'ISO_WEEK_RANGE_REVERSED' },
    );
  }
  const out: string[] = [];
  for (let ms = start; ms <= end; ms += WEEK_MS) out.push(formatIsoWeek(isoWeekOf(new Date(ms))));
  return out;
}

/** Monday 00:00Z of the week, in epoch milliseconds. */
function mondayMs(week: IsoWeek): number {
  const jan4 = Date.UTC(week.year, 0, 4);
  const firstMonday = jan4 - weekday(jan4) * DAY_MS;
  return firstMonday + (week.week - 1) * WEEK_MS;
}

/** 0 for Monday … 6 for Sunday. */
function weekday(ms: number): number {
  return (new Date(ms).getUTCDay() + 6) % 7;
}

function resolve(week: IsoWeekInput, what?: string): IsoWeek {
  if (typeof week === 'string') return parseIsoWeek(week, what);
  if (
    !Number.isInteger(week.year) ||
    !Number.isInteger(week.week) ||
    week.week < 1 ||
    week.week > weeksInIsoYear(week.year)
  ) {
    throw new BadInputError(
      `${what ?? 'week'} ${JSON.stringify(week)} does not exist; give a year and a week from 1 to 52 (53 in long years)`,
      { code: 'ISO_WEEK_INVALID' },
    );
  }
  return week;
}

function label(week: IsoWeekInput): string {
  return typeof week === 'string' ? week : formatIsoWeek(week);
}

function toMs(date: Date | string): number {
  const ms = typeof date === 'string' ? Date.parse(date) : date.getTime();
  if (!Number.isFinite(ms)) {
    throw new BadInputError(`"${String(date)}" is not a date; give an ISO 8601 date or timestamp`, {
      code: 'DATE_INVALID',
    });
  }
  return ms;
}
