/**
 * The columns of the series exports, in file order, with the type each takes in Parquet. One list
 * per kind drives the CSV header, the CSV cells, the Parquet schema and the Parquet column data, so
 * the two formats cannot drift apart.
 */

/**
 * `int64` ids, `int32` counts, `double` values, `string` text, `timestamp` instants (ISO 8601 in
 * rows and CSV, UTC milliseconds in Parquet), `date` days (`YYYY-MM-DD`), `string-list` (CSV: joined
 * by `;`, Parquet: a LIST of strings).
 */
export type ColumnType =
  | 'int64'
  | 'int32'
  | 'double'
  | 'string'
  | 'timestamp'
  | 'date'
  | 'string-list';

export interface SeriesColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/** A row of a series export: column name → value (numbers, strings, ISO texts, string lists, null). */
export type SeriesRow = Record<string, number | string | string[] | null>;

/** Separator of list cells in CSV; flags are kebab-case words and never hold it. */
export const CSV_LIST_SEPARATOR = ';';

const column = (name: string, type: ColumnType, nullable = false): SeriesColumn => ({
  name,
  type,
  nullable,
});

const PARCEL_COLUMNS = [
  column('parcel_id', 'int64'),
  column('source', 'string'),
  column('external_id', 'string'),
  column('index', 'string'),
];

/** One row per parcel × index × acquisition (`parcel_observations`). */
export const OBSERVATION_COLUMNS: readonly SeriesColumn[] = [
  ...PARCEL_COLUMNS,
  column('acquired_at', 'timestamp'),
  column('scene_id', 'string'),
  column('mean', 'double', true),
  column('median', 'double', true),
  column('std', 'double', true),
  column('min', 'double', true),
  column('max', 'double', true),
  column('p10', 'double', true),
  column('p90', 'double', true),
  column('valid_pixels', 'int32'),
  column('total_pixels', 'int32'),
  column('valid_fraction', 'double'),
  column('status', 'string'),
  column('flags', 'string-list'),
  column('algorithm_version', 'string'),
  column('run_id', 'string', true),
  column('computed_at', 'timestamp'),
];

/** One row per parcel × index × ISO week (`parcel_weekly`). */
export const WEEKLY_COLUMNS: readonly SeriesColumn[] = [
  ...PARCEL_COLUMNS,
  column('week', 'string'),
  column('week_start', 'date'),
  column('value', 'double', true),
  column('observation_count', 'int32'),
  column('status', 'string'),
  column('run_id', 'string', true),
  column('updated_at', 'timestamp'),
];
