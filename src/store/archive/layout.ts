/**
 * Where archived observations live in the datalake:
 *
 * ```
 * archive/observations/<yyyy-mm>/<index>/parcels-<first>-<last>.csv.gz         the rows (gzipped CSV)
 * archive/observations/<yyyy-mm>/<index>/parcels-<first>-<last>.manifest.json   rows, checksums, columns
 * ```
 *
 * One object per month of acquisition (UTC), index and block of parcel ids: a block holds every row
 * ever archived for it, so an object is rewritten (never duplicated) when later rows of its month
 * expire, and stays small enough to be written and verified in memory.
 */
import { BadInputError } from '../../core/errors';
import { ARCHIVE_PREFIX, checkKey } from '../datalake/keys';

/**
 * Parcel ids per archive object. Fixed for good: another value would give one month's rows two
 * overlapping sets of objects. 10 000 parcels × ~10 acquisitions a month ≈ 100 000 rows, ~15 MB of CSV.
 */
export const PARCELS_PER_ARCHIVE_OBJECT = 10_000;

export const OBSERVATIONS_ARCHIVE_PREFIX = `${ARCHIVE_PREFIX}observations/`;

/** One archive object: the rows of one month, one index and one block of parcel ids. */
export interface ArchiveUnit {
  /** `yyyy-mm`, UTC month of `acquired_at`. */
  month: string;
  index: string;
  /** floor(parcel_id / PARCELS_PER_ARCHIVE_OBJECT). */
  block: number;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const INDEX = /^[a-z][a-z0-9_]*$/;
const OBJECT_KEY =
  /^archive\/observations\/(\d{4}-\d{2})\/([a-z][a-z0-9_]*)\/parcels-(\d+)-(\d+)\.csv\.gz$/;

function bad(what: string): BadInputError {
  return new BadInputError(`archive layout: ${what}`, { code: 'ARCHIVE_BAD_UNIT' });
}

/** The parcel ids [first, last] a block covers. */
export function blockRange(block: number): { first: number; last: number } {
  return {
    first: block * PARCELS_PER_ARCHIVE_OBJECT,
    last: (block + 1) * PARCELS_PER_ARCHIVE_OBJECT - 1,
  };
}

function unitBase(unit: ArchiveUnit): string {
  if (!MONTH.test(unit.month)) throw bad(`month ${JSON.stringify(unit.month)} is not yyyy-mm`);
  if (!INDEX.test(unit.index))
    throw bad(`index ${JSON.stringify(unit.index)} is not an index name`);
  if (!Number.isSafeInteger(unit.block) || unit.block < 0) {
    throw bad(`block ${unit.block} is not a non-negative integer`);
  }
  const { first, last } = blockRange(unit.block);
  return `${OBSERVATIONS_ARCHIVE_PREFIX}${unit.month}/${unit.index}/parcels-${first}-${last}`;
}

/** The key of the unit's rows. */
export function archiveObjectKey(unit: ArchiveUnit): string {
  return checkKey(`${unitBase(unit)}.csv.gz`);
}

/** The key of the unit's manifest. */
export function archiveManifestKey(unit: ArchiveUnit): string {
  return checkKey(`${unitBase(unit)}.manifest.json`);
}

/** The unit an object key names, or undefined when the key is not an archive object. */
export function parseArchiveObjectKey(key: string): ArchiveUnit | undefined {
  const match = OBJECT_KEY.exec(key);
  if (!match || !MONTH.test(match[1]!)) return undefined;
  const first = Number(match[3]);
  const block = first / PARCELS_PER_ARCHIVE_OBJECT;
  if (!Number.isSafeInteger(block) || blockRange(block).last !== Number(match[4])) return undefined;
  return { month: match[1]!, index: match[2]!, block };
}

/** The month `yyyy-mm` as the instants [start, end), UTC. */
export function monthWindow(month: string): { start: Date; end: Date } {
  const match = MONTH.exec(month);
  if (!match) throw bad(`month ${JSON.stringify(month)} is not yyyy-mm`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return { start: new Date(Date.UTC(year, index, 1)), end: new Date(Date.UTC(year, index + 1, 1)) };
}
