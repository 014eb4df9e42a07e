import { isoWeekMonday, isoWeekRange, isoWeekWindow } from '../../core/time/iso-week';
import { tracedWrite } from '../../telemetry/spans';
import type { Database } from './database';

/**
 * The weekly series (`parcel_weekly`): one row per watched parcel × index × ISO week, built from
 * the observations in one SQL statement so it scales with the database, not with this process.
 */

export type WeeklyStatus = 'observed' | 'interpolated' | 'nodata';

export interface PrepareWeeklyOptions {
  /** First week, `YYYY-Www`. */
  fromWeek: string;
  /** Last week, included. */
  toWeek: string;
  /** Only the watched parcels of these groups; default: every watched parcel. */
  groupIds?: number[];
  /** Indices every parcel gets rows for, even with no observation of them in the range. */
  indices?: string[];
  runId: string;
}

export interface PrepareWeeklyResult {
  /** Rows of the range (parcels × indices × weeks). */
  rows: number;
  byStatus: Record<WeeklyStatus, number>;
  /** Rows inserted or whose value, count or status changed (0 when re-run on the same data). */
  changed: number;
}

/** `writeWeekly` in a database span. */
export const prepareWeekly = tracedWrite('upsert', 'parcel_weekly', writeWeekly);

/**
 * Upserts the weekly rows of every watched parcel × index × week from `fromWeek` to `toWeek`.
 * Indices: the given ones plus any the parcel has an observation of in the range. A week is
 * `observed` when it holds at least one `ok` observation (value: mean of their means, count:
 * how many); `interpolated` when it lies between two observed weeks, searched beyond the range
 * too (value: linear in time between those weeks' values); `nodata` otherwise — before the
 * first or after the last observation nothing is invented. A row is rewritten (with this run
 * id) only when its value, count or status changes.
 */
async function writeWeekly(
  db: Database,
  options: PrepareWeeklyOptions,
): Promise<PrepareWeeklyResult> {
  isoWeekRange(options.fromWeek, options.toWeek); // validates both weeks and their order
  const firstMonday = isoWeekMonday(options.fromWeek);
  const lastMonday = isoWeekMonday(options.toWeek);
  const rangeStart = isoWeekWindow(options.fromWeek).start;
  const rangeEnd = isoWeekWindow(options.toWeek).end;
  const result = await db.pool.query<Record<WeeklyStatus | 'changed', number>>(PREPARE_SQL, [
    firstMonday,
    lastMonday,
    rangeStart,
    rangeEnd,
    options.groupIds ?? null,
    options.indices ?? [],
    options.runId,
  ]);
  const row = result.rows[0];
  const byStatus = { observed: row.observed, interpolated: row.interpolated, nodata: row.nodata };
  return {
    rows: byStatus.observed + byStatus.interpolated + byStatus.nodata,
    byStatus,
    changed: row.changed,
  };
}

// $1/$2: first and last Monday (dates); $3/$4: the range [start, end) as instants; $5 groups;
// $6 indices; $7 run id. Weeks are UTC ISO weeks: date_trunc('week') of the UTC time is Monday.
// Neighbours of gaps are found by counting observed weeks in a running window (PostgreSQL has no
// IGNORE NULLS): rows after the k-th observed week share k, and the first row of that run holds it.
const PREPARE_SQL = `
WITH weeks AS (
  SELECT d::date AS week_start
    FROM generate_series($1::date::timestamp, $2::date::timestamp, interval '7 days') AS d
), parcel_set AS (
  SELECT p.id FROM parcels p
   WHERE p.watched AND ($5::bigint[] IS NULL OR p.group_id = ANY($5::bigint[]))
), in_range AS (
  SELECT o.parcel_id, o.index_name, o.acquired_at, o.mean, o.status
    FROM parcel_observations o JOIN parcel_set ps ON ps.id = o.parcel_id
   WHERE o.acquired_at >= $3::timestamptz AND o.acquired_at < $4::timestamptz
), observed AS (
  SELECT parcel_id, index_name, date_trunc('week', acquired_at AT TIME ZONE 'UTC')::date AS week_start,
         avg(mean ORDER BY acquired_at) AS value, count(*)::int AS n
    FROM in_range WHERE status = 'ok' AND mean IS NOT NULL
   GROUP BY 1, 2, 3
), targets AS (
  SELECT ps.id AS parcel_id, i.index_name FROM parcel_set ps CROSS JOIN unnest($6::text[]) AS i(index_name)
  UNION
  SELECT DISTINCT parcel_id, index_name FROM in_range
), edges AS (
  SELECT t.parcel_id, t.index_name, min(ob.week_start) AS first_week, max(ob.week_start) AS last_week
    FROM targets t LEFT JOIN observed ob USING (parcel_id, index_name)
   GROUP BY 1, 2
), anchors AS (
  -- The nearest observed week before and after the range, only where a range week may need it.
  SELECT e.parcel_id, e.index_name, a.week_start, a.value
    FROM edges e
   CROSS JOIN LATERAL (
     SELECT w.week_start, avg(o.mean ORDER BY o.acquired_at) AS value
       FROM (SELECT date_trunc('week', o1.acquired_at AT TIME ZONE 'UTC')::date AS week_start
               FROM parcel_observations o1
              WHERE o1.parcel_id = e.parcel_id AND o1.index_name = e.index_name
                AND o1.status = 'ok' AND o1.mean IS NOT NULL AND o1.acquired_at < $3::timestamptz
                AND e.first_week IS DISTINCT FROM $1::date
              ORDER BY o1.acquired_at DESC LIMIT 1) AS w
       JOIN parcel_observations o
         ON o.parcel_id = e.parcel_id AND o.index_name = e.index_name
        AND o.status = 'ok' AND o.mean IS NOT NULL
        AND o.acquired_at >= (w.week_start::timestamp AT TIME ZONE 'UTC')
        AND o.acquired_at < ((w.week_start + 7)::timestamp AT TIME ZONE 'UTC')
      GROUP BY w.week_start
     UNION ALL
     SELECT w.week_start, avg(o.mean ORDER BY o.acquired_at) AS value
       FROM (SELECT date_trunc('week', o1.acquired_at AT TIME ZONE 'UTC')::date AS week_start
               FROM parcel_observations o1
              WHERE o1.parcel_id = e.parcel_id AND o1.index_name = e.index_name
                AND o1.status = 'ok' AND o1.mean IS NOT NULL AND o1.acquired_at >= $4::timestamptz
                AND e.last_week IS DISTINCT FROM $2::date
              ORDER BY o1.acquired_at LIMIT 1) AS w
       JOIN parcel_observations o
         ON o.parcel_id = e.parcel_id AND o.index_name = e.index_name
        AND o.status = 'ok' AND o.mean IS NOT NULL
        AND o.acquired_at >= (w.week_start::timestamp AT TIME ZONE 'UTC')
        AND o.acquired_at < ((w.week_start + 7)::timestamp AT TIME ZONE 'UTC')
      GROUP BY w.week_start
   ) AS a
), grid AS (
  SELECT t.parcel_id, t.index_name, w.week_start, ob.value, COALESCE(ob.n, 0) AS n, false AS anchor
    FROM targets t CROSS JOIN weeks w
    LEFT JOIN observed ob
      ON ob.parcel_id = t.parcel_id AND ob.index_name = t.index_name AND ob.week_start = w.week_start
  UNION ALL
  SELECT parcel_id, index_name, week_start, value, 0, true FROM anchors
), runs AS (
  SELECT g.*,
         count(value) OVER (PARTITION BY parcel_id, index_name ORDER BY week_start) AS seen_before,
         count(value) OVER (PARTITION BY parcel_id, index_name ORDER BY week_start DESC) AS seen_after
    FROM grid g
), filled AS (
  SELECT r.*,
         first_value(value) OVER (PARTITION BY parcel_id, index_name, seen_before ORDER BY week_start) AS prev_value,
         first_value(week_start) OVER (PARTITION BY parcel_id, index_name, seen_before ORDER BY week_start) AS prev_week,
         first_value(value) OVER (PARTITION BY parcel_id, index_name, seen_after ORDER BY week_start DESC) AS next_value,
         first_value(week_start) OVER (PARTITION BY parcel_id, index_name, seen_after ORDER BY week_start DESC) AS next_week
    FROM runs r
), series AS (
  SELECT parcel_id, index_name, week_start, n AS observation_count,
         CASE WHEN value IS NOT NULL THEN value
              WHEN prev_value IS NOT NULL AND next_value IS NOT NULL
              THEN prev_value + (next_value - prev_value) * (week_start - prev_week)::float8 / (next_week - prev_week)
         END AS value,
         CASE WHEN value IS NOT NULL THEN 'observed'
              WHEN prev_value IS NOT NULL AND next_value IS NOT NULL THEN 'interpolated'
              ELSE 'nodata'
         END AS status
    FROM filled WHERE NOT anchor
), written AS (
  INSERT INTO parcel_weekly AS pw (parcel_id, index_name, week_start, value, observation_count, status, run_id)
  SELECT parcel_id, index_name, week_start, value, observation_count, status, $7::text FROM series
  ON CONFLICT (parcel_id, index_name, week_start) DO UPDATE SET
    value = EXCLUDED.value, observation_count = EXCLUDED.observation_count, status = EXCLUDED.status,
    run_id = EXCLUDED.run_id, updated_at = now()
  WHERE (pw.value, pw.observation_count, pw.status)
        IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.observation_count, EXCLUDED.status)
  RETURNING 1
)
SELECT (SELECT count(*)::int FROM series WHERE status = 'observed') AS observed,
       (SELECT count(*)::int FROM series WHERE status = 'interpolated') AS interpolated,
       (SELECT count(*)::int FROM series WHERE status = 'nodata') AS nodata,
       (SELECT count(*)::int FROM written) AS changed`;

/** One weekly row, as read back. */
export interface WeeklyRow {
  parcelId: number;
  indexName: string;
  /** Monday, `YYYY-MM-DD`. */
  weekStart: string;
  value: number | null;
  observationCount: number;
  status: WeeklyStatus;
  runId: string | null;
}

/** The weekly series of one parcel (optionally one index), ordered by index and week. */
export async function weeklySeries(
  db: Database,
  parcelId: number,
  options: { index?: string; fromWeek?: string; toWeek?: string } = {},
): Promise<WeeklyRow[]> {
  const rows = await db.pool.query<{
    parcel_id: string;
    index_name: string;
    week_start: string;
    value: number | null;
    observation_count: number;
    status: WeeklyStatus;
    run_id: string | null;
  }>(
    `SELECT parcel_id, index_name, week_start::text AS week_start, value, observation_count, status, run_id
       FROM parcel_weekly
      WHERE parcel_id = $1 AND ($2::text IS NULL OR index_name = $2)
        AND ($3::date IS NULL OR week_start >= $3::date) AND ($4::date IS NULL OR week_start <= $4::date)
      ORDER BY index_name, week_start`,
    [
      parcelId,
      options.index ?? null,
      options.fromWeek ? isoWeekMonday(options.fromWeek) : null,
      options.toWeek ? isoWeekMonday(options.toWeek) : null,
    ],
  );
  return rows.rows.map((r) => ({
    parcelId: Number(r.parcel_id),
    indexName: r.index_name,
    weekStart: r.week_start,
    value: r.value,
    observationCount: r.observation_count,
    status: r.status,
    runId: r.run_id,
  }));
}
