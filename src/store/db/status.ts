import type { Pool } from 'pg';
import { readMigrations } from './migrate';

/** What a database holds of parcelwatch: applied and pending migrations, PostGIS, partitioning. */
export interface SchemaStatus {
  schema: string;
  applied: string[];
  pending: string[];
  postgisVersion: string | null;
  /** How parcel_observations is split by time. */
  partitioning: 'native' | 'timescaledb' | 'missing';
  observationPartitions: number;
}

export async function schemaStatus(pool: Pool, schema: string): Promise<SchemaStatus> {
  const shipped = (await readMigrations()).map((m) => m.tag);
  const table = await pool.query<{ ok: boolean }>(
    "SELECT to_regclass(format('%I.schema_migrations', $1::text)) IS NOT NULL AS ok",
    [schema],
  );
  const applied = table.rows[0]?.ok
    ? (
        await pool.query<{ tag: string }>(
          `SELECT tag FROM "${schema.replace(/"/g, '""')}".schema_migrations ORDER BY tag`,
        )
      ).rows.map((r) => r.tag)
    : [];
  const postgis = await pool.query<{ v: string }>(
    "SELECT extversion AS v FROM pg_extension WHERE extname = 'postgis'",
  );
  const observations = await pool.query<{ partitioned: boolean; hyper: boolean; parts: number }>(
    `SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = c.oid) AS partitioned,
            EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS hyper,
            (SELECT count(*)::int FROM pg_inherits WHERE inhparent = c.oid) AS parts
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = 'parcel_observations'`,
    [schema],
  );
  const row = observations.rows[0];
  return {
    schema,
    applied,
    pending: shipped.filter((tag) => !applied.includes(tag)),
    postgisVersion: postgis.rows[0]?.v ?? null,
    partitioning: !row
      ? 'missing'
      : row.partitioned
        ? 'native'
        : row.hyper
          ? 'timescaledb'
          : 'missing',
    observationPartitions: row?.parts ?? 0,
  };
}
