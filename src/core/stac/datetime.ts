import { BadInputError } from '../errors';

/**
 * RFC 3339 instants and the STAC `datetime` search parameter: an instant, or an interval
 * `start/end` where either end may be open (`..`).
 */

/** RFC 3339 date-time (section 5.6): full date, `T`, time with optional fraction, `Z` or ±hh:mm. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** Milliseconds since the epoch of an RFC 3339 date-time, or `undefined` when it is not one. */
export function parseInstant(text: string): number | undefined {
  const match = RFC3339.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Date.parse rolls 30 February over into March; check the calendar ourselves.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  if (match[9] !== undefined && (Number(match[9]) > 23 || Number(match[10]) > 59)) return undefined;
  const ms = Date.parse(text.trim().toUpperCase());
  return Number.isNaN(ms) ? undefined : ms;
}

/** A time window to search; a missing end is open. Strings are RFC 3339 date-times. */
export interface AcquisitionWindow {
  start?: string | Date;
  end?: string | Date;
}

/** The window in milliseconds, open ends as ±Infinity. */
export interface ResolvedWindow {
  startMs: number;
  endMs: number;
  /** The STAC `datetime` parameter for this window. */
  param: string;
}

/**
 * Validates a `datetime` given as a STAC string (`2023-08-10T00:00:00Z/..`) or as a window, and
 * returns its bounds. Throws BadInputError naming the bad part.
 */
export function resolveDatetime(datetime: string | AcquisitionWindow): ResolvedWindow {
  if (typeof datetime !== 'string') {
    const start = datetime.start === undefined ? '..' : instantText(datetime.start, 'start');
    const end = datetime.end === undefined ? '..' : instantText(datetime.end, 'end');
    return resolveDatetime(start === end && start !== '..' ? start : `${start}/${end}`);
  }
  const parts = datetime.split('/');
  if (parts.length === 1) {
    const ms = parseInstant(parts[0]!);
    if (ms === undefined) throw badDatetime(datetime, 'it is not an RFC 3339 date-time');
    return { startMs: ms, endMs: ms, param: datetime };
  }
  if (parts.length !== 2) throw badDatetime(datetime, 'an interval has exactly one "/"');
  const [startText, endText] = parts as [string, string];
  const startMs = boundMs(startText, -Infinity, datetime);
  const endMs = boundMs(endText, Infinity, datetime);
  if (startMs === -Infinity && endMs === Infinity) {
    throw badDatetime(datetime, 'both ends are open; leave datetime out to search all times');
  }
  if (startMs > endMs) throw badDatetime(datetime, 'the start is after the end');
  return { startMs, endMs, param: datetime };
}

function boundMs(text: string, open: number, whole: string): number {
  if (text === '..' || text === '') return open;
  const ms = parseInstant(text);
  if (ms === undefined) throw badDatetime(whole, `"${text}" is not an RFC 3339 date-time or ".."`);
  return ms;
}

function instantText(value: string | Date, which: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new BadInputError(`Search window ${which} is an invalid Date`, {
        code: 'STAC_BAD_DATETIME',
      });
    }
    return value.toISOString();
  }
  return value;
}

function badDatetime(text: string, why: string): BadInputError {
  return new BadInputError(
    `STAC datetime "${text}" is invalid: ${why}; use an RFC 3339 instant like 2023-08-10T00:00:00Z or an interval start/end with ".." for an open end`,
    { code: 'STAC_BAD_DATETIME' },
  );
}
