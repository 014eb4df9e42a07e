/**
 * The archive format of observations: gzipped CSV with a header, one row per observation, values as
 * PostgreSQL prints them (lossless, and `COPY … (FORMAT csv, HEADER true)` reads them back), rows
 * sorted by parcel and acquisition so the same rows always give the same bytes. Beside each object,
 * a manifest says what it holds (row count, checksums, columns, the schema version).
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { BadDataError } from '../../core/errors';
import { OBSERVATION_VALUE_COLUMNS } from '../../core/zonal/observations-csv';
import { type CsvField, formatCsvLine, parseCsv } from './csv';
import { type ArchiveUnit, archiveObjectKey, blockRange } from './layout';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The columns of an archive, in order: parcel_observations plus the parcel's own identity. */
export const OBSERVATION_ARCHIVE_COLUMNS = [
  'parcel_id',
  'parcel_source',
  'parcel_external_id',
  'index_name',
  'acquired_at',
  'scene_id',
  ...OBSERVATION_VALUE_COLUMNS,
  'algorithm_version',
  'run_id',
  'computed_at',
] as const;

const COLUMN = Object.fromEntries(OBSERVATION_ARCHIVE_COLUMNS.map((c, i) => [c, i])) as Record<
  (typeof OBSERVATION_ARCHIVE_COLUMNS)[number],
  number
>;

export const ARCHIVE_FORMAT = 'parcelwatch.observations-archive';
/** Bumped when the columns or their meaning change; readers refuse versions they do not know. */
export const ARCHIVE_FORMAT_VERSION = 1;
/** gzip level: the default, a good size for the time (archives are written once a week at most). */
const GZIP_LEVEL = 6;

/** One archived observation: a field per column, as PostgreSQL prints it. */
export type ArchiveRow = readonly CsvField[];

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  formatVersion: number;
  /** The last migration applied to the database the rows came from. */
  schemaVersion: string;
  table: 'parcel_observations';
  object: string;
  compression: 'gzip';
  month: string;
  index: string;
  parcelIds: { first: number; last: number };
  columns: string[];
  rows: number;
  /** Of the uncompressed CSV, header included. */
  csvSha256: string;
  /** Of the object as stored (check with `sha256sum`). */
  objectSha256: string;
  objectBytes: number;
  /** Earliest and latest `acquired_at` of the rows. */
  acquired: { first: string; last: string } | null;
}

/** The business key of an archived row: parcel, index, acquisition (as printed). */
export function archiveRowKey(row: ArchiveRow): string {
  return `${row[COLUMN.parcel_id]}|${row[COLUMN.index_name]}|${row[COLUMN.acquired_at]}`;
}

/** What the database needs to find an archived row again, and to know it did not change since. */
export function archiveRowIdentity(row: ArchiveRow): {
  parcelId: string;
  index: string;
  acquiredAt: string;
  computedAt: string;
} {
  return {
    parcelId: row[COLUMN.parcel_id]!,
    index: row[COLUMN.index_name]!,
    acquiredAt: row[COLUMN.acquired_at]!,
    computedAt: row[COLUMN.computed_at]!,
  };
}

function compareRows(a: ArchiveRow, b: ArchiveRow): number {
  const pa = Number(a[COLUMN.parcel_id]);
  const pb = Number(b[COLUMN.parcel_id]);
  if (pa !== pb) return pa - pb;
  const ia = a[COLUMN.index_name]!;
  const ib = b[COLUMN.index_name]!;
  if (ia !== ib) return ia < ib ? -1 : 1;
  // Timestamps are printed in one fixed UTC format, so text order is time order.
  const ta = a[COLUMN.acquired_at]!;
  const tb = b[COLUMN.acquired_at]!;
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/**
 * The rows an object holds after archiving `fresh` into `existing`: every key once, the fresh row
 * winning (the database holds the newer version of a row computed again), in canonical order.
 */
export function mergeArchiveRows(
  existing: readonly ArchiveRow[],
  fresh: readonly ArchiveRow[],
): ArchiveRow[] {
  const byKey = new Map<string, ArchiveRow>();
  for (const row of existing) byKey.set(archiveRowKey(row), row);
  for (const row of fresh) byKey.set(archiveRowKey(row), row);
  return [...byKey.values()].sort(compareRows);
}

export interface EncodedArchive {
  bytes: Uint8Array;
  rows: number;
  csvSha256: string;
  objectSha256: string;
  acquired: ArchiveManifest['acquired'];
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Serialises rows (already in canonical order) as gzipped CSV with a header. */
export async function encodeArchive(rows: readonly ArchiveRow[]): Promise<EncodedArchive> {
  const lines = [formatCsvLine(OBSERVATION_ARCHIVE_COLUMNS), ...rows.map(formatCsvLine)];
  const csv = `${lines.join('\n')}\n`;
  const gz = await gzipAsync(Buffer.from(csv, 'utf8'), { level: GZIP_LEVEL });
  const bytes = new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength);
  return {
    bytes,
    rows: rows.length,
    csvSha256: sha256(csv),
    objectSha256: sha256(bytes),
    acquired: acquiredRange(rows),
  };
}

function acquiredRange(rows: readonly ArchiveRow[]): ArchiveManifest['acquired'] {
  if (rows.length === 0) return null;
  let first = rows[0]![COLUMN.acquired_at]!;
  let last = first;
  for (const row of rows) {
    const at = row[COLUMN.acquired_at]!;
    if (at < first) first = at;
    if (at > last) last = at;
  }
  return { first, last };
}

export interface DecodedArchive {
  rows: ArchiveRow[];
  csvSha256: string;
  objectSha256: string;
}

/**
 * Reads an archive object back: gunzip (whose CRC catches damaged bytes), the header must be this
 * format's columns, every row complete with its key. Anything else is a BadDataError naming `key`.
 */
export async function decodeArchive(bytes: Uint8Array, key: string): Promise<DecodedArchive> {
  let csv: string;
  try {
    csv = (await gunzipAsync(bytes)).toString('utf8');
  } catch (error) {
    throw new BadDataError(
      `archive ${key} is not readable gzip (${(error as Error).message}); it may hold rows already deleted from the database, so the purge never overwrites it — restore it from a backup or move it aside after checking it, then run the purge again`,
      { code: 'ARCHIVE_UNREADABLE', cause: error },
    );
  }
  const records = parseCsv(csv, `archive ${key}`);
  const header = records.shift();
  if (!header || header.join(',') !== OBSERVATION_ARCHIVE_COLUMNS.join(',')) {
    throw new BadDataError(
      `archive ${key} has the columns ${JSON.stringify(header?.join(',') ?? '')}, not those of ${ARCHIVE_FORMAT} v${ARCHIVE_FORMAT_VERSION}; it was written by another version — move it aside before purging this month again`,
      { code: 'ARCHIVE_UNREADABLE' },
    );
  }
  for (const [i, row] of records.entries()) {
    const keyMissing = [COLUMN.parcel_id, COLUMN.index_name, COLUMN.acquired_at, COLUMN.computed_at]
      .map((c) => row[c])
      .some((v) => v === null || v === undefined);
    if (row.length !== OBSERVATION_ARCHIVE_COLUMNS.length || keyMissing) {
      throw new BadDataError(
        `archive ${key}: row ${i + 1} has ${row.length} fields (expected ${OBSERVATION_ARCHIVE_COLUMNS.length}) or lacks its key; the object is damaged — restore it from a backup`,
        { code: 'ARCHIVE_UNREADABLE' },
      );
    }
  }
  return { rows: records, csvSha256: sha256(csv), objectSha256: sha256(bytes) };
}

/**
 * Checks an object read back from the datalake against what was written: same bytes, same row
 * count, and every row of `mustHold` (the rows about to be deleted) present with identical values.
 * Throws a BadDataError saying what differs.
 */
export async function verifyArchive(
  readBack: Uint8Array,
  written: EncodedArchive,
  mustHold: readonly ArchiveRow[],
  key: string,
): Promise<DecodedArchive> {
  const fail = (what: string) =>
    new BadDataError(
      `archive ${key} read back from the datalake does not match what was written (${what}); nothing was deleted — check the datalake (disk, bucket, versioning) and run the purge again`,
      { code: 'ARCHIVE_VERIFY_FAILED' },
    );
  if (sha256(readBack) !== written.objectSha256) throw fail('the bytes differ');
  const decoded = await decodeArchive(readBack, key);
  if (decoded.rows.length !== written.rows) {
    throw fail(`${decoded.rows.length} rows instead of ${written.rows}`);
  }
  if (decoded.csvSha256 !== written.csvSha256) throw fail('the CSV checksum differs');
  const stored = new Map(decoded.rows.map((row) => [archiveRowKey(row), formatCsvLine(row)]));
  for (const row of mustHold) {
    if (stored.get(archiveRowKey(row)) !== formatCsvLine(row)) {
      throw fail(`the row ${archiveRowKey(row)} is missing or differs`);
    }
  }
  return decoded;
}

/** The manifest of a unit's object. */
export function buildManifest(
  unit: ArchiveUnit,
  encoded: EncodedArchive,
  schemaVersion: string,
): ArchiveManifest {
  return {
    format: ARCHIVE_FORMAT,
    formatVersion: ARCHIVE_FORMAT_VERSION,
    schemaVersion,
    table: 'parcel_observations',
    object: archiveObjectKey(unit),
    compression: 'gzip',
    month: unit.month,
    index: unit.index,
    parcelIds: blockRange(unit.block),
    columns: [...OBSERVATION_ARCHIVE_COLUMNS],
    rows: encoded.rows,
    csvSha256: encoded.csvSha256,
    objectSha256: encoded.objectSha256,
    objectBytes: encoded.bytes.byteLength,
    acquired: encoded.acquired,
  };
}

/** A manifest as stored (pretty JSON, trailing newline), so the same content gives the same bytes. */
export function encodeManifest(manifest: ArchiveManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** Parses a stored manifest; a BadDataError when it is not one of this format. */
export function decodeManifest(bytes: Uint8Array, key: string): ArchiveManifest {
  let value: Partial<ArchiveManifest>;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<ArchiveManifest>;
  } catch (error) {
    throw new BadDataError(`archive manifest ${key} is not JSON; the object is damaged`, {
      code: 'ARCHIVE_UNREADABLE',
      cause: error,
    });
  }
  if (
    value.format !== ARCHIVE_FORMAT ||
    value.formatVersion !== ARCHIVE_FORMAT_VERSION ||
    typeof value.rows !== 'number' ||
    typeof value.csvSha256 !== 'string' ||
    typeof value.objectSha256 !== 'string'
  ) {
    throw new BadDataError(
      `archive manifest ${key} is not a ${ARCHIVE_FORMAT} v${ARCHIVE_FORMAT_VERSION} manifest`,
      { code: 'ARCHIVE_UNREADABLE' },
    );
  }
  return value as ArchiveManifest;
}
