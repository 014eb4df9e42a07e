/**
 * What retention reads and changes in the database: per-index retention overrides (`datasets`),
 * which observations are past their cut-off, their rows as the archive keeps them, and the
 * datalake keys `scene_groups` forgets once the purge deleted the rasters.
 */
import type { PoolClient } from 'pg';
import {
  type ArchiveUnit,
  blockRange,
  monthWindow,
  PARCELS_PER_ARCHIVE_OBJECT,
} from '../archive/layout';
import type { ArchiveRow } from '../archive/observations-archive';
import type { RasterArea } from '../datalake/keys';
import type { Database } from './database';

/** The instants before which observations are expired: one per index that has its own, else the default. */
export interface ObservationCutoffs {
  /** ISO 8601 instant. */
  default: string;
  /** Index name → ISO 8601 instant. */
  byIndex: Record<string, string>;
}

/** The cut-off of one index. */
export function cutoffOf(cutoffs: ObservationCutoffs, index: string): string {
  return cutoffs.byIndex[index] ?? cutoffs.default;
}

/** The latest cut-off of all: no expired row is acquired at or after it. */
export function latestCutoff(cutoffs: ObservationCutoffs): string {
  return [cutoffs.default, ...Object.values(cutoffs.byIndex)].reduce((a, b) =>
    Date.parse(a) >= Date.parse(b) ? a : b,
  );
}

/** SQL parameters of the cut-offs: index names, their instants, the default. */
export function cutoffParams(cutoffs: ObservationCutoffs): [string[], string[], string] {
  const entries = Object.entries(cutoffs.byIndex);
  return [entries.map(([i]) => i), entries.map(([, c]) => c), cutoffs.default];
}

/**
 * Retention days set per observations dataset, named after its index (`datasets.retention_days` of
 * `ndvi`, `ndmi`, …): they override the policy for that index's observations. The weekly table and
 * the archive are not purged, whatever their row says.
 */
export async function datasetRetentionDays(db: Database): Promise<Record<string, number>> {
  const rows = await db.pool.query<{ name: string; retention_days: number }>(
    `SELECT name, retention_days FROM datasets
      WHERE retention_days IS NOT NULL AND kind = 'observations' ORDER BY name`,
  );
  return Object.fromEntries(rows.rows.map((r) => [r.name, r.retention_days]));
}

/** The last migration applied: the schema version an archive's rows were read under. */
export async function schemaVersion(db: Database): Promise<string> {
  const rows = await db.pool.query<{ tag: string | null }>(
    'SELECT max(tag) AS tag FROM schema_migrations',
  );
  return rows.rows[0]?.tag ?? 'unknown';
}

/** Expired observations of one archive unit. */
export interface ExpiredUnit extends ArchiveUnit {
  rows: number;
}

/**
 * Archive units holding observations past their index's cut-off (of one month when `month` is
 * given), with how many rows each, oldest month first.
 */
export async function expiredObservationUnits(
  db: Database,
  cutoffs: ObservationCutoffs,
  month?: string,
): Promise<ExpiredUnit[]> {
  const window = month ? monthWindow(month) : undefined;
  const [indices, instants, fallback] = cutoffParams(cutoffs);
  const rows = await db.pool.query<{
    month: string;
    index_name: string;
    block: string;
    rows: number;
  }>(
    `WITH c AS (SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS c(index_name, cutoff))
     SELECT to_char(o.acquired_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, o.index_name,
            (o.parcel_id / $4::bigint) AS block, count(*)::int AS rows
       FROM parcel_observations o LEFT JOIN c USING (index_name)
      WHERE o.acquired_at < COALESCE(c.cutoff, $3::timestamptz)
        AND o.acquired_at < $5::timestamptz
        AND ($6::timestamptz IS NULL OR o.acquired_at >= $6::timestamptz)
        AND ($7::timestamptz IS NULL OR o.acquired_at < $7::timestamptz)
      GROUP BY 1, 2, 3
      ORDER BY 1, 2, 3`,
    [
      indices,
      instants,
      fallback,
      PARCELS_PER_ARCHIVE_OBJECT,
      latestCutoff(cutoffs),
      window?.start.toISOString() ?? null,
      window?.end.toISOString() ?? null,
    ],
  );
  return rows.rows.map((r) => ({
    month: r.month,
    index: r.index_name,
    block: Number(r.block),
    rows: r.rows,
  }));
}

/** A timestamp printed in one fixed, lossless UTC form (microseconds), so text order is time order. */
const UTC_MICROS = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * The expired rows of one unit, every value as PostgreSQL prints it (in the archive's column
 * order), on `client` — the transaction holding the unit's lock.
 */
export async function expiredUnitRows(
  client: PoolClient,
  unit: ArchiveUnit,
  cutoff: string,
): Promise<ArchiveRow[]> {
  const { start, end } = monthWindow(unit.month);
  const until = Math.min(end.getTime(), Date.parse(cutoff));
  const { first, last } = blockRange(unit.block);
  // Shortest exact float output whatever the server's setting (PostgreSQL 12+).
  await client.query('SET LOCAL extra_float_digits = 1');
  const result = await client.query<string[]>({
    text: `SELECT o.parcel_id::text, p.source, p.external_id, o.index_name,
                  to_char(o.acquired_at AT TIME ZONE 'UTC', ${UTC_MICROS}), o.scene_id,
                  o.mean::text, o.median::text, o.std::text, o.min::text, o.max::text,
                  o.p10::text, o.p90::text, o.valid_pixels::text, o.total_pixels::text,
                  o.valid_fraction::text, o.status, o.flags::text, o.algorithm_version, o.run_id,
                  to_char(o.computed_at AT TIME ZONE 'UTC', ${UTC_MICROS})
             FROM parcel_observations o LEFT JOIN parcels p ON p.id = o.parcel_id
            WHERE o.index_name = $1 AND o.acquired_at >= $2::timestamptz
              AND o.acquired_at < $3::timestamptz
              AND o.parcel_id BETWEEN $4::bigint AND $5::bigint
            ORDER BY o.parcel_id, o.acquired_at`,
    values: [unit.index, start.toISOString(), new Date(until).toISOString(), first, last],
    rowMode: 'array',
  });
  return result.rows;
}

/**
 * Serialises work on one archive object across purges until the transaction ends: a purge reading
 * an object while another rewrites it, or deletes its rows, could otherwise lose rows.
 */
export async function lockArchiveObject(
  client: PoolClient,
  schema: string,
  key: string,
): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `parcelwatch-archive:${schema}:${key}`,
  ]);
}

const KEY_COLUMNS: Record<RasterArea, string> = { raw: 'raw_keys', clean: 'clean_keys' };

/**
 * Removes deleted rasters from `scene_groups` (the band → key maps of their area), so the pipeline
 * knows they are gone; it downloads or masks again if it ever needs them. Returns the rows changed.
 */
export async function forgetRasterKeys(
  db: Database,
  area: RasterArea,
  sceneIds: readonly string[],
  keys: readonly string[],
): Promise<number> {
  if (keys.length === 0) return 0;
  const column = KEY_COLUMNS[area];
  const result = await db.pool.query(
    `UPDATE scene_groups sg SET
       ${column} = COALESCE(
         (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(sg.${column}) e
           WHERE NOT ((e.value #>> '{}') = ANY($2::text[]))), '{}'::jsonb),
       updated_at = now()
     WHERE sg.scene_id = ANY($1::text[])
       AND EXISTS (SELECT 1 FROM jsonb_each(sg.${column}) e WHERE (e.value #>> '{}') = ANY($2::text[]))`,
    [[...new Set(sceneIds)], keys],
  );
  return result.rowCount ?? 0;
}
