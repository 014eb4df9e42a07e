import { BadInputError } from '../core/errors';

/** Loaded on use: the tile grid pulls in proj4, which most commands never need. */
const tiles = () =>
  require('../core/geo/mgrs-squares') as typeof import('../core/geo/mgrs-squares');
const registry = () =>
  require('../core/indices/registry') as typeof import('../core/indices/registry');

/** An ISO 8601 instant from the command line, or a clear error naming the option. */
export function parseInstant(value: string, option: string): Date {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new BadInputError(
      `${option} "${value}" is not an ISO 8601 date or instant, e.g. 2026-10-01T00:00:00Z`,
      { code: 'OPTION_INVALID' },
    );
  }
  return new Date(ms);
}

/** A comma-separated list option, trimmed, without empty items. */
export function parseList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}

/** A comma-separated list of positive integers (ids), or a clear error naming the option. */
export function parseIds(value: string | undefined, option: string): number[] | undefined {
  const items = parseList(value);
  if (!items) return undefined;
  return items.map((item) => {
    const n = Number(item);
    // Past 2^53 a number no longer names one id (and no parcel has such an id).
    if (!Number.isSafeInteger(n) || n < 1)
      throw new BadInputError(`${option}: "${item}" is not a positive integer id`, {
        code: 'OPTION_INVALID',
      });
    return n;
  });
}

/** A whole number option at least `min`, or a clear error naming the option. */
export function parseInteger(value: string, option: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new BadInputError(`${option} "${value}" is not a whole number ≥ ${min}`, {
      code: 'OPTION_INVALID',
    });
  }
  return n;
}

/** A comma-separated list of Sentinel-2 tile ids, each checked to exist, in ESA form (`33TWL`). */
export function parseTiles(value: string | undefined, option: string): string[] | undefined {
  return parseList(value)?.map((tile) => {
    try {
      return tiles().parseSquareId(tile).id;
    } catch (error) {
      throw new BadInputError(`${option}: ${(error as Error).message}`, {
        code: 'OPTION_INVALID',
        cause: error,
      });
    }
  });
}

/** A comma-separated list of index names of the registry (`ndvi,ndmi`), lower-cased. */
export function parseIndices(value: string | undefined, option: string): string[] | undefined {
  const names = parseList(value);
  if (!names) return undefined;
  try {
    return registry()
      .resolveIndices(names)
      .map((index) => index.name);
  } catch (error) {
    throw new BadInputError(`${option}: ${(error as Error).message}`, {
      code: 'OPTION_INVALID',
      cause: error,
    });
  }
}
