import { formatIsoWeek, isoWeekOf } from '../../core/time/iso-week';
import type { Database } from '../db/database';
import { STORED_OBSERVATION_COLUMNS, type StoredObservationColumns } from '../db/observations-repo';
import { allOf, SqlParams, selectorConditions } from '../db/parcel-selector';
import {
  PERSONAL_DATA_COLUMNS,
  PERSONAL_DATA_JOIN,
  type PersonalDataRecord,
  personalDataText,
} from './personal-data';
import type { SeriesSelection } from './selection';
import type { SeriesRow } from './series-columns';
import { weekStartBounds } from './time-bounds';

/**
 * Pages of the series in key order (parcel id, index, time), read by keyset pagination: each page
 * starts after the last key of the previous one. No transaction stays open between pages, so a long
 * export holds no snapshot on the server and works on the embedded demo database, whose one session
 * is shared by every client; rows written meanwhile appear if their key lies ahead.
 */

/** Where a page ends: parcel id, index, then the acquisition instant (exact, µs) or the week's Monday. */
export type SeriesKey = [parcelId: number, index: string, time: string];

export interface SeriesPageQuery {
  selection: SeriesSelection;
  /** Only observations of these statuses (ignored for weekly rows, whose statuses differ). */
  statuses?: string[];
  after?: SeriesKey;
  limit: number;
  /**
   * Each row also carries its parcel's personal data (`personal_data`, see ./personal-data): only
   * `parcelwatch export --include-personal` asks; the API never does.
   */
  personalData?: boolean;
}

export interface SeriesPage {
  rows: SeriesRow[];
  /** Key of the last row when more rows follow; absent on the last page. */
  next?: SeriesKey;
}

/** Rows per page of an export: large enough to amortise round trips, small enough to stream. */
export const EXPORT_BATCH_ROWS = 5_000;

/** One page of the selection's rows, observations or weekly per `selection.kind`. */
export async function readSeriesPage(db: Database, query: SeriesPageQuery): Promise<SeriesPage> {
  return query.selection.kind === 'weekly' ? weeklyPage(db, query) : observationPage(db, query);
}

/**
 * How many rows the selection holds: what `readSeriesPage` pages through, counted with the same
 * conditions (e.g. the total of an export's progress).
 */
export async function countSeriesRows(
  db: Database,
  query: Pick<SeriesPageQuery, 'selection' | 'statuses'>,
): Promise<number> {
  const params = new SqlParams();
  const sql =
    query.selection.kind === 'weekly'
      ? `SELECT count(*) AS n FROM parcel_weekly w JOIN parcels p ON p.id = w.parcel_id
          WHERE ${allOf(weeklyConditions(query.selection, params))}`
      : `SELECT count(*) AS n FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id
          WHERE ${allOf(observationConditions(query, params))}`;
  const result = await db.pool.query<{ n: string }>(sql, params.values);
  return Number(result.rows[0]?.n ?? 0);
}

/** Every row of the selection, page by page (each page one array, in key order). */
export async function* seriesBatches(
  db: Database,
  selection: SeriesSelection,
  batchRows: number = EXPORT_BATCH_ROWS,
  options: Pick<SeriesPageQuery, 'personalData'> = {},
): AsyncGenerator<SeriesRow[]> {
  let after: SeriesKey | undefined;
  do {
    const page = await readSeriesPage(db, {
      selection,
      after,
      limit: batchRows,
      personalData: options.personalData,
    });
    if (page.rows.length > 0) yield page.rows;
    after = page.next;
  } while (after);
}

interface ObservationRecord extends StoredObservationColumns, Partial<PersonalDataRecord> {
  parcel_id: string;
  source: string;
  external_id: string;
  acquired_key: string;
}

/** Conditions on `parcel_observations o JOIN parcels p` selecting the query's observations. */
function observationConditions(
  query: Pick<SeriesPageQuery, 'selection' | 'statuses'>,
  params: SqlParams,
): string[] {
  const { selection } = query;
  const where = selectorConditions(selection.parcels, params);
  if (selection.indices) where.push(`o.index_name = ANY(${params.add(selection.indices)}::text[])`);
  if (selection.time.from)
    where.push(`o.acquired_at >= ${params.add(selection.time.from)}::timestamptz`);
  if (selection.time.to)
    where.push(`o.acquired_at < ${params.add(selection.time.to)}::timestamptz`);
  if (query.statuses) where.push(`o.status = ANY(${params.add(query.statuses)}::text[])`);
  return where;
}

async function observationPage(db: Database, query: SeriesPageQuery): Promise<SeriesPage> {
  const params = new SqlParams();
  const where = observationConditions(query, params);
  if (query.after) {
    const [id, index, time] = query.after;
    where.push(
      `(o.parcel_id, o.index_name, o.acquired_at) > (${params.add(id)}::bigint, ${params.add(index)}::text, ${params.add(time)}::timestamptz)`,
    );
  }
  const limit = params.add(query.limit + 1);
  const personal = personalSql(query);
  const result = await db.pool.query<ObservationRecord>(
    `SELECT o.parcel_id, p.source, p.external_id, ${STORED_OBSERVATION_COLUMNS},
            to_char(o.acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS acquired_key${personal.columns}
       FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id${personal.join}
      WHERE ${allOf(where)}
      ORDER BY o.parcel_id, o.index_name, o.acquired_at
      LIMIT ${limit}`,
    params.values,
  );
  const records = result.rows.slice(0, query.limit);
  const last = records.at(-1);
  return {
    rows: records.map((r) => withPersonalData(query, observationRow(r), r)),
    next:
      result.rows.length > query.limit && last
        ? [Number(last.parcel_id), last.index_name, last.acquired_key]
        : undefined,
  };
}

function observationRow(r: ObservationRecord): SeriesRow {
  return {
    parcel_id: Number(r.parcel_id),
    source: r.source,
    external_id: r.external_id,
    index: r.index_name,
    acquired_at: r.acquired_at.toISOString(),
    scene_id: r.scene_id,
    mean: r.mean,
    median: r.median,
    std: r.std,
    min: r.min,
    max: r.max,
    p10: r.p10,
    p90: r.p90,
    valid_pixels: r.valid_pixels,
    total_pixels: r.total_pixels,
    valid_fraction: r.valid_fraction,
    status: r.status,
    flags: r.flags,
    algorithm_version: r.algorithm_version,
    run_id: r.run_id,
    computed_at: r.computed_at.toISOString(),
  };
}

interface WeeklyRecord extends Partial<PersonalDataRecord> {
  parcel_id: string;
  source: string;
  external_id: string;
  index_name: string;
  week_start: string;
  value: number | null;
  observation_count: number;
  status: string;
  run_id: string | null;
  updated_at: Date;
}

/** Conditions on `parcel_weekly w JOIN parcels p` selecting the weeks that meet the selection. */
function weeklyConditions(selection: SeriesSelection, params: SqlParams): string[] {
  const where = selectorConditions(selection.parcels, params);
  if (selection.indices) where.push(`w.index_name = ANY(${params.add(selection.indices)}::text[])`);
  const weeks = weekStartBounds(selection.time);
  if (weeks.first) where.push(`w.week_start >= ${params.add(weeks.first)}::date`);
  if (weeks.last) where.push(`w.week_start <= ${params.add(weeks.last)}::date`);
  return where;
}

async function weeklyPage(db: Database, query: SeriesPageQuery): Promise<SeriesPage> {
  const params = new SqlParams();
  const where = weeklyConditions(query.selection, params);
  if (query.after) {
    const [id, index, monday] = query.after;
    where.push(
      `(w.parcel_id, w.index_name, w.week_start) > (${params.add(id)}::bigint, ${params.add(index)}::text, ${params.add(monday)}::date)`,
    );
  }
  const limit = params.add(query.limit + 1);
  const personal = personalSql(query);
  const result = await db.pool.query<WeeklyRecord>(
    `SELECT w.parcel_id, p.source, p.external_id, w.index_name, w.week_start::text AS week_start,
            w.value, w.observation_count, w.status, w.run_id, w.updated_at${personal.columns}
       FROM parcel_weekly w JOIN parcels p ON p.id = w.parcel_id${personal.join}
      WHERE ${allOf(where)}
      ORDER BY w.parcel_id, w.index_name, w.week_start
      LIMIT ${limit}`,
    params.values,
  );
  const records = result.rows.slice(0, query.limit);
  const last = records.at(-1);
  return {
    rows: records.map((r) => withPersonalData(query, weeklyRow(r), r)),
    next:
      result.rows.length > query.limit && last
        ? [Number(last.parcel_id), last.index_name, last.week_start]
        : undefined,
  };
}

function weeklyRow(r: WeeklyRecord): SeriesRow {
  return {
    parcel_id: Number(r.parcel_id),
    source: r.source,
    external_id: r.external_id,
    index: r.index_name,
    week: formatIsoWeek(isoWeekOf(r.week_start)),
    week_start: r.week_start,
    value: r.value,
    observation_count: r.observation_count,
    status: r.status,
    run_id: r.run_id,
    updated_at: r.updated_at.toISOString(),
  };
}

/** The select list and join that add personal data when the query asks for it; nothing otherwise. */
function personalSql(query: SeriesPageQuery): { columns: string; join: string } {
  return query.personalData
    ? { columns: `, ${PERSONAL_DATA_COLUMNS}`, join: `\n       ${PERSONAL_DATA_JOIN}` }
    : { columns: '', join: '' };
}

/** The row, with its `personal_data` cell when the query asks for it. */
function withPersonalData(
  query: SeriesPageQuery,
  row: SeriesRow,
  record: Partial<PersonalDataRecord>,
): SeriesRow {
  if (query.personalData) row.personal_data = personalDataText(record as PersonalDataRecord);
  return row;
}
