import type { Database } from './database';

export interface ObservationKpis {
  parcelsExpected: number;
  parcelsObserved: number;
  okShare: number | null;
  meanValidFraction: number | null;
}

/**
 * What the observations of a window say about the watched parcels of some groups: how many got an
 * observation, the share with an `ok` one, the mean valid fraction.
 */
export async function observationKpis(
  db: Database,
  query: { groupIds: readonly number[]; window: { start: string; end: string } },
): Promise<ObservationKpis> {
  const rows = await db.pool.query<{
    expected: number;
    observed: number;
    ok: number;
    mean_valid: number | null;
  }>(
    `WITH watched AS (
       SELECT id FROM parcels WHERE watched AND group_id = ANY($1::bigint[])
     ), obs AS (
       SELECT o.parcel_id, o.status, o.valid_fraction FROM parcel_observations o
        WHERE o.parcel_id IN (SELECT id FROM watched)
          AND o.acquired_at >= $2::timestamptz AND o.acquired_at < $3::timestamptz
     )
     SELECT (SELECT count(*) FROM watched)::int AS expected,
            (SELECT count(DISTINCT parcel_id) FROM obs)::int AS observed,
            (SELECT count(DISTINCT parcel_id) FROM obs WHERE status = 'ok')::int AS ok,
            (SELECT avg(valid_fraction) FROM obs)::float8 AS mean_valid`,
    [query.groupIds, query.window.start, query.window.end],
  );
  const r = rows.rows[0]!;
  return {
    parcelsExpected: r.expected,
    parcelsObserved: r.observed,
    okShare: r.expected === 0 ? null : r.ok / r.expected,
    meanValidFraction: r.mean_valid,
  };
}
