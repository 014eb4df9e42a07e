import { BadInputError } from '../../core/errors';
import { isoWeekWindow, parseIsoWeek } from '../../core/time/iso-week';
import type { TimeRange } from './selection';

/**
 * Time bounds as people write them — a date (`2024-05-31`), an ISO week (`2024-W22`) or an instant
 * (`2024-05-31T10:00:00Z`) — turned into a half-open range of instants. A `to` date or week
 * includes the whole day or week, so `from=2024-05-01&to=2024-05-31` means all of May.
 */

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const WEEK = /^\d{4}-W\d{2}$/;
/** RFC 3339 with a zone: an instant never depends on the server's time zone. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The pattern of a time bound, for request schemas. */
export const TIME_BOUND_PATTERN =
  '^(\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?|\\d{4}-W\\d{2})$';

/**
 * The instant a bound stands for: `from` → its start; `to` → the exclusive end (a date: next
 * midnight UTC; a week: next Monday; an instant: one millisecond after it). `what` names the
 * parameter in errors.
 */
export function parseTimeBound(text: string, edge: 'from' | 'to', what: string = edge): string {
  const value = text.trim();
  let start: number;
  let end: number;
  if (DATE.test(value)) {
    start = Date.parse(`${value}T00:00:00Z`);
    if (!Number.isFinite(start) || new Date(start).toISOString().slice(0, 10) !== value) {
      throw invalid(what, text, 'is not a calendar date');
    }
    end = start + DAY_MS;
  } else if (WEEK.test(value)) {
    const window = isoWeekWindow(parseIsoWeek(value, what));
    start = Date.parse(window.start);
    end = Date.parse(window.end);
  } else if (INSTANT.test(value) && Number.isFinite(Date.parse(value))) {
    start = Date.parse(value);
    end = start + 1;
  } else {
    throw invalid(what, text, 'is not a date, an ISO week or an instant');
  }
  return new Date(edge === 'from' ? start : end).toISOString();
}

/** A range from optional `from`/`to` texts, refusing one that ends before it starts. */
export function parseTimeRange(
  from: string | undefined,
  to: string | undefined,
  names: { from: string; to: string } = { from: 'from', to: 'to' },
): TimeRange {
  const range: TimeRange = {
    from: from === undefined ? undefined : parseTimeBound(from, 'from', names.from),
    to: to === undefined ? undefined : parseTimeBound(to, 'to', names.to),
  };
  if (range.from && range.to && range.to <= range.from) {
    throw new BadInputError(
      `${names.from} ${from} is after ${names.to} ${to}; give the earlier time as ${names.from}`,
      { code: 'TIME_RANGE_REVERSED' },
    );
  }
  return range;
}

/**
 * The `week_start` (Monday) bounds of the weeks whose window meets the range: the first Monday
 * whose week ends after `from`, the last Monday starting before `to`. Dates as `YYYY-MM-DD`.
 */
export function weekStartBounds(range: TimeRange): { first?: string; last?: string } {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return {
    // A week [M, M+7d) meets [from, …) when M + 7d > from, i.e. M > from − 7d.
    first: range.from === undefined ? undefined : day(Date.parse(range.from) - 7 * DAY_MS + DAY_MS),
    // … and meets (…, to) when M < to, i.e. M ≤ the day of to − 1 ms.
    last: range.to === undefined ? undefined : day(Date.parse(range.to) - 1),
  };
}

function invalid(what: string, text: string, problem: string): BadInputError {
  return new BadInputError(
    `${what} "${text}" ${problem}; give YYYY-MM-DD, YYYY-Www or an RFC 3339 instant such as 2024-05-31T10:00:00Z`,
    { code: 'TIME_BOUND_INVALID' },
  );
}
