import type { Pool } from 'pg';
import { BadInputError } from '../../core/errors';
import { OBSERVATION_VALUE_COLUMNS } from '../../core/zonal/observations-csv';
import type { ParcelObservation } from '../../core/zonal/scene-statistics';
import { countObservations } from '../../telemetry/instruments';
import { tracedWrite } from '../../telemetry/spans';
import type { Database } from './database';
import { chunks, inTransaction } from './transaction';

/** The columns of a stored `parcel_observations` row (but its parcel id), as pg returns them. */
export interface StoredObservationColumns {
  index_name: string;
  acquired_at: Date;
  scene_id: string;
  mean: number | null;
  median: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  p10: number | null;
  p90: number | null;
  valid_pixels: number;
  total_pixels: number;
  valid_fraction: number;
  status: string;
  flags: string[];
  algorithm_version: string;
  run_id: string | null;
  computed_at: Date;
}

/** The SELECT list of StoredObservationColumns, from `parcel_observations o`. */
export const STORED_OBSERVATION_COLUMNS = (
  [
    'index_name',
    'acquired_at',
    'scene_id',
    ...OBSERVATION_VALUE_COLUMNS,
    'algorithm_version',
    'run_id',
    'computed_at',
  ] as const satisfies ReadonlyArray<keyof StoredObservationColumns>
)
  .map((column) => `o.${column}`)
  .join(', ');

/** One observation to store: the engine's statistics plus the parcel's row id and the acquisition. */
export type ObservationRow = ParcelObservation & {
  parcelDbId: number;
  /** Acquisition time of the scene, ISO 8601. */
  acquiredAt: string;
  sceneId: string;
};

export interface UpsertObservationsOptions {
  algorithmVersion: string;
  runId?: string | null;
}

export interface UpsertObservationsResult {
  /** Rows given (after dropping repeated keys). */
  rows: number;
  /** Rows inserted, or updated because a value or the algorithm version changed. */
  written: number;
  /** Rows already stored with the same values and version: left untouched. */
  unchanged: number;
}

/** Rows per INSERT: ~20 arrays of this length per statement, well inside one round trip's comfort. */
const UPSERT_BATCH_ROWS = 5_000;
/** Flags travel as one string per row (unnest cannot carry an array per row); never in a flag name. */
const FLAG_SEPARATOR = '\u001f';

/** Months whose partition is known to exist, per pool (so per database and schema). */
const ensuredMonths = new WeakMap<Pool, Set<string>>();

/** `writeObservations` in a database span; each stored row counted by index, status and valid fraction. */
export const upsertObservations = tracedWrite(
  'upsert',
  'parcel_observations',
  writeObservations,
  (_db, rows) => rows.length,
);

/**
 * Inserts or updates observations on (parcel, index, acquisition), in one transaction. A stored
 * row is rewritten (with this run id and a new computed_at) only when a value, the scene, the
 * flags or the algorithm version differ, so re-running a computation writes nothing. The monthly
 * partitions of the rows' months are created first. When the same key appears twice, the last
 * row wins.
 */
async function writeObservations(
  db: Database,
  rows: readonly ObservationRow[],
  options: UpsertObservationsOptions,
): Promise<UpsertObservationsResult> {
  if (!options.algorithmVersion) {
    throw new BadInputError('observations need an algorithm version; pass algorithmVersion', {
      code: 'ALGORITHM_VERSION_MISSING',
    });
  }
  const unique = [...new Map(rows.map((r) => [rowKey(r), r])).values()];
  if (unique.length === 0) return { rows: 0, written: 0, unchanged: 0 };
  await ensurePartitions(db.pool, unique);
  const written = await inTransaction(db.pool, async (client) => {
    let n = 0;
    for (const batch of chunks(unique, UPSERT_BATCH_ROWS)) {
      const result = await client.query(UPSERT_SQL, [
        batch.map((r) => r.parcelDbId),
        batch.map((r) => r.index),
        batch.map((r) => r.acquiredAt),
        batch.map((r) => r.sceneId),
        batch.map((r) => r.mean),
        batch.map((r) => r.median),
        batch.map((r) => r.std),
        batch.map((r) => r.min),
        batch.map((r) => r.max),
        batch.map((r) => r.p10),
        batch.map((r) => r.p90),
        batch.map((r) => r.validPixels),
        batch.map((r) => r.totalPixels),
        batch.map((r) => r.validFraction),
        batch.map((r) => r.status),
        batch.map((r) => r.flags.join(FLAG_SEPARATOR)),
        options.algorithmVersion,
        options.runId ?? null,
      ]);
      n += result.rowCount ?? 0;
    }
    return n;
  });
  countObservations(unique);
  return { rows: unique.length, written, unchanged: unique.length - written };
}

const UPSERT_SQL = `
INSERT INTO parcel_observations AS o
  (parcel_id, index_name, acquired_at, scene_id, mean, median, std, min, max, p10, p90,
   valid_pixels, total_pixels, valid_fraction, status, flags, algorithm_version, run_id)
SELECT t.parcel_id, t.index_name, t.acquired_at, t.scene_id, t.mean, t.median, t.std, t.min, t.max,
       t.p10, t.p90, t.valid_pixels, t.total_pixels, t.valid_fraction, t.status,
       COALESCE(string_to_array(NULLIF(t.flags, ''), chr(31)), '{}'), $17::text, $18::text
  FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::float8[], $6::float8[],
              $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::float8[], $12::int[],
              $13::int[], $14::real[], $15::text[], $16::text[])
       AS t(parcel_id, index_name, acquired_at, scene_id, mean, median, std, min, max, p10, p90,
            valid_pixels, total_pixels, valid_fraction, status, flags)
ON CONFLICT (parcel_id, index_name, acquired_at) DO UPDATE SET
  scene_id = EXCLUDED.scene_id, mean = EXCLUDED.mean, median = EXCLUDED.median, std = EXCLUDED.std,
  min = EXCLUDED.min, max = EXCLUDED.max, p10 = EXCLUDED.p10, p90 = EXCLUDED.p90,
  valid_pixels = EXCLUDED.valid_pixels, total_pixels = EXCLUDED.total_pixels,
  valid_fraction = EXCLUDED.valid_fraction, status = EXCLUDED.status, flags = EXCLUDED.flags,
  algorithm_version = EXCLUDED.algorithm_version, run_id = EXCLUDED.run_id, computed_at = now()
WHERE (o.scene_id, o.mean, o.median, o.std, o.min, o.max, o.p10, o.p90, o.valid_pixels,
       o.total_pixels, o.valid_fraction, o.status, o.flags, o.algorithm_version)
      IS DISTINCT FROM
      (EXCLUDED.scene_id, EXCLUDED.mean, EXCLUDED.median, EXCLUDED.std, EXCLUDED.min, EXCLUDED.max,
       EXCLUDED.p10, EXCLUDED.p90, EXCLUDED.valid_pixels, EXCLUDED.total_pixels,
       EXCLUDED.valid_fraction, EXCLUDED.status, EXCLUDED.flags, EXCLUDED.algorithm_version)`;

function rowKey(row: ObservationRow): string {
  if (!Number.isSafeInteger(row.parcelDbId) || row.parcelDbId < 1) {
    throw new BadInputError(
      `observation of parcel ${row.parcelId} (${row.index}, scene ${row.sceneId}) has no database id (parcelDbId ${row.parcelDbId}); load the parcels from the database before computing`,
      { code: 'OBSERVATION_PARCEL_UNKNOWN' },
    );
  }
  for (const flag of row.flags) {
    if (flag.includes(FLAG_SEPARATOR)) {
      throw new BadInputError(
        `observation flag ${JSON.stringify(flag)} holds a control character`,
        {
          code: 'OBSERVATION_FLAG_INVALID',
        },
      );
    }
  }
  return `${row.parcelDbId}\u0000${row.index}\u0000${monthOrFail(row).ms}`;
}

function monthOrFail(row: ObservationRow): { ms: number; month: string } {
  const ms = Date.parse(row.acquiredAt);
  if (!Number.isFinite(ms)) {
    throw new BadInputError(
      `observation of parcel ${row.parcelId} (scene ${row.sceneId}) has acquisition time "${row.acquiredAt}", not an ISO 8601 timestamp`,
      { code: 'OBSERVATION_TIME_INVALID' },
    );
  }
  return { ms, month: new Date(ms).toISOString().slice(0, 7) };
}

/** Creates the monthly partitions of the rows' months not yet known to exist in this pool. */
async function ensurePartitions(pool: Pool, rows: readonly ObservationRow[]): Promise<void> {
  const known = ensuredMonths.get(pool) ?? new Set<string>();
  ensuredMonths.set(pool, known);
  const months = new Set(rows.map((r) => monthOrFail(r).month));
  for (const month of [...months].sort()) {
    if (known.has(month)) continue;
    const start = `${month}-01T00:00:00Z`;
    await pool.query('SELECT ensure_observation_partitions($1::timestamptz, $1::timestamptz)', [
      start,
    ]);
    known.add(month);
  }
}

export interface MissingObservationsQuery {
  groupId: number;
  sceneId: string;
  /** The scene's acquisition time, ISO 8601 (the observations' key). */
  acquiredAt: string;
  indices: readonly string[];
  algorithmVersion: string;
  /** Only watched parcels (what a run computes). */
  watchedOnly: boolean;
}

/**
 * Ids (ascending) of the group's parcels lacking a current observation of this acquisition for
 * at least one of the indices: none at all, one from another scene (a reprocessed item replacing
 * its predecessor) or one from another algorithm version. An empty answer means the scene is done
 * for the group; a newly watched parcel shows up here and gets its history.
 */
export async function parcelsMissingObservations(
  db: Database,
  query: MissingObservationsQuery,
): Promise<number[]> {
  const rows = await db.pool.query<{ id: string }>(
    `SELECT p.id FROM parcels p
      WHERE p.group_id = $1 AND (NOT $2 OR p.watched)
        AND EXISTS (
          SELECT 1 FROM unnest($3::text[]) AS i(index_name)
           WHERE NOT EXISTS (
             SELECT 1 FROM parcel_observations o
              WHERE o.parcel_id = p.id AND o.index_name = i.index_name
                AND o.acquired_at = $4::timestamptz AND o.scene_id = $5
                AND o.algorithm_version = $6))
      ORDER BY p.id`,
    [
      query.groupId,
      query.watchedOnly,
      query.indices,
      query.acquiredAt,
      query.sceneId,
      query.algorithmVersion,
    ],
  );
  return rows.rows.map((r) => Number(r.id));
}
