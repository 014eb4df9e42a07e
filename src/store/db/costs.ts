import type { Database } from './database';

/**
 * What parcelwatch consumes, read from the database: compute per month and run kind (from
 * `pipeline_runs`) and bytes per table of the environment's schema, grouped by the datasets of the
 * catalog stored in them. Reads only; no size function needs more than the reader role.
 */

/** The runs of one month and kind (or a total over months, kinds or both, where those are null). */
export interface ComputeUsage {
  /** Calendar month of the runs' start, UTC (`YYYY-MM`); null in totals over months. */
  month: string | null;
  /** `weekly`, `purge`, `check`, …; null in the total over kinds. */
  kind: string | null;
  /** Runs started in the period, whatever their status. */
  runs: number;
  /** Runs with an end: completed, degraded, failed or cancelled. Only these have a wall time. */
  finishedRuns: number;
  /** Runs still marked running: counted here, left out of the wall time. */
  runningRuns: number;
  failedRuns: number;
  /** Sum of finished_at − started_at over the finished runs, in seconds (millisecond precision). */
  wallSeconds: number;
  /** wallSeconds / finishedRuns; null when none finished. */
  meanWallSeconds: number | null;
  /** Sum of the runs' `bytesDownloaded` KPI (runs without it count 0). */
  bytesDownloaded: number;
  /** Sum of the runs' `parcelsObserved` KPI: parcel-runs, not distinct parcels. */
  parcelsObserved: number;
}

export interface ComputeReport {
  /** One row per month and kind that has runs, by month then kind. */
  months: ComputeUsage[];
  /** One row per kind over the whole period. */
  kinds: ComputeUsage[];
  total: ComputeUsage;
}

/** [since, until) as ISO 8601 instants; until null: up to now. */
export interface CostPeriod {
  since: string;
  until: string | null;
}

interface UsageRow {
  month: string | null;
  kind: string | null;
  months_grouped: number;
  kinds_grouped: number;
  runs: number;
  finished: number;
  running: number;
  failed: number;
  wall_seconds: string;
  mean_wall_seconds: string | null;
  bytes: string;
  parcels: string;
}

/** A KPI of a run when it holds a number (older runs and other kinds do not have it). */
const kpi = (name: string) =>
  `CASE WHEN jsonb_typeof(kpis->'${name}') = 'number' THEN (kpis->>'${name}')::numeric END`;

/** Runs started in `period`, per UTC month of their start and kind, with totals per kind and overall. */
export async function computeUsage(db: Database, period: CostPeriod): Promise<ComputeReport> {
  const rows = await db.pool.query<UsageRow>(
    `WITH runs AS (
       SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, kind, status,
              CASE WHEN finished_at IS NOT NULL
                   THEN extract(epoch FROM finished_at - started_at)::numeric END AS wall,
              ${kpi('bytesDownloaded')} AS bytes,
              ${kpi('parcelsObserved')} AS parcels
         FROM pipeline_runs
        WHERE started_at >= $1::timestamptz
          AND ($2::timestamptz IS NULL OR started_at < $2::timestamptz)
     )
     SELECT month, kind, GROUPING(month)::int AS months_grouped, GROUPING(kind)::int AS kinds_grouped,
            count(*)::int AS runs,
            count(wall)::int AS finished,
            count(*) FILTER (WHERE wall IS NULL)::int AS running,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            round(COALESCE(sum(wall), 0), 3)::text AS wall_seconds,
            round(avg(wall), 3)::text AS mean_wall_seconds,
            COALESCE(sum(bytes), 0)::text AS bytes,
            COALESCE(sum(parcels), 0)::text AS parcels
       FROM runs
      GROUP BY GROUPING SETS ((month, kind), (kind), ())
      ORDER BY GROUPING(month), month, GROUPING(kind), kind`,
    [period.since, period.until],
  );
  const usage = rows.rows.map(
    (r): ComputeUsage => ({
      month: r.months_grouped ? null : r.month,
      kind: r.kinds_grouped ? null : r.kind,
      runs: r.runs,
      finishedRuns: r.finished,
      runningRuns: r.running,
      failedRuns: r.failed,
      wallSeconds: Number(r.wall_seconds),
      meanWallSeconds: r.mean_wall_seconds === null ? null : Number(r.mean_wall_seconds),
      bytesDownloaded: Number(r.bytes),
      parcelsObserved: Number(r.parcels),
    }),
  );
  const grouped = (months: boolean, kinds: boolean) =>
    rows.rows
      .map((r, i) => [r, usage[i]!] as const)
      .filter(([r]) => Boolean(r.months_grouped) === months && Boolean(r.kinds_grouped) === kinds)
      .map(([, u]) => u);
  return {
    months: grouped(false, false),
    kinds: grouped(true, false),
    // The grand total's row exists even when no run started (an aggregate over no rows).
    total: grouped(true, true)[0]!,
  };
}

/** One table of the schema; a partitioned table or hypertable with its partitions or chunks. */
export interface TableSize {
  table: string;
  /** pg_total_relation_size: heap, TOAST and indexes; summed over partitions, or hypertable_size(). */
  bytes: number;
  /** Partitions (leaves) summed into `bytes`; 0 for a plain table or a hypertable. */
  partitions: number;
  hypertable: boolean;
  /** Catalog datasets stored in this table (their `location` names it). */
  datasets: string[];
}

/** Tables holding the same datasets, summed; `datasets` empty: tables no dataset names. */
export interface DatasetStorage {
  datasets: string[];
  tables: string[];
  bytes: number;
}

export interface DatabaseStorage {
  schema: string;
  /** Sum over every table of the schema; null when the server refused the sizes. */
  totalBytes: number | null;
  /** Largest first. */
  tables: TableSize[];
  /** Datasets' tables largest first, then the tables of no dataset; sums to totalBytes. */
  groups: DatasetStorage[];
  /** Why the sizes could not be read (the server refused a size function), else null. */
  refused: string | null;
}

/** Where a catalog `location` says a dataset lives: a table (`parcel_weekly`, `parcel_observations (…)`) or a datalake prefix. */
export function datasetPlace(
  location: string,
): { table: string } | { datalakePrefix: string } | null {
  const lake = /^\s*datalake\s+([A-Za-z0-9_=-][A-Za-z0-9._=-]*)\//.exec(location);
  if (lake) return { datalakePrefix: `${lake[1]}/` };
  const table = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s|\(|$)/.exec(location);
  return table ? { table: table[1]! } : null;
}

/** Catalog datasets by the table or datalake prefix holding them. */
export async function datasetPlaces(
  db: Database,
): Promise<{ tables: Map<string, string[]>; datalakePrefixes: Map<string, string[]> }> {
  const rows = await db.pool.query<{ name: string; location: string }>(
    'SELECT name, location FROM datasets ORDER BY name',
  );
  const tables = new Map<string, string[]>();
  const datalakePrefixes = new Map<string, string[]>();
  for (const { name, location } of rows.rows) {
    const place = datasetPlace(location);
    if (!place) continue;
    const [map, key] =
      'table' in place ? [tables, place.table] : [datalakePrefixes, place.datalakePrefix];
    map.set(key, [...(map.get(key) ?? []), name]);
  }
  return { tables, datalakePrefixes };
}

/** PostgreSQL's insufficient_privilege. */
const REFUSED = '42501';

/**
 * Bytes per table of the schema: a partitioned table sums its partitions (wherever they live),
 * a TimescaleDB hypertable reports hypertable_size() (only asked when the extension exists).
 * A server that refuses a size function gives `refused` with its message instead of an error.
 */
export async function databaseStorage(db: Database): Promise<DatabaseStorage> {
  try {
    const sizes = await tableSizes(db);
    const hypertables = await hypertableSizes(db);
    const places = await datasetPlaces(db);
    const tables = sizes
      .map((t): TableSize => {
        const hyper = hypertables.get(t.table);
        return {
          table: t.table,
          bytes: hyper ?? t.bytes,
          partitions: hyper === undefined ? t.partitions : 0,
          hypertable: hyper !== undefined,
          datasets: places.tables.get(t.table) ?? [],
        };
      })
      .sort((a, b) => b.bytes - a.bytes || a.table.localeCompare(b.table));
    return {
      schema: db.schema,
      totalBytes: tables.reduce((sum, t) => sum + t.bytes, 0),
      tables,
      groups: groupByDatasets(tables),
      refused: null,
    };
  } catch (error) {
    if ((error as { code?: string }).code !== REFUSED) throw error;
    return {
      schema: db.schema,
      totalBytes: null,
      tables: [],
      groups: [],
      refused: `the database refused the size functions to this role (${(error as Error).message}); run parcelwatch costs with the writer's or owner's credentials to see storage`,
    };
  }
}

async function tableSizes(
  db: Database,
): Promise<Array<{ table: string; bytes: number; partitions: number }>> {
  // Partitions are left out at the top and summed under their root (pg_partition_tree holds the
  // root itself, whose own size is 0).
  const rows = await db.pool.query<{ table: string; bytes: string; partitions: number }>(
    `SELECT c.relname AS table,
            CASE WHEN c.relkind = 'p'
                 THEN (SELECT COALESCE(sum(pg_total_relation_size(t.relid)), 0)
                         FROM pg_partition_tree(c.oid) t)
                 ELSE COALESCE(pg_total_relation_size(c.oid), 0) END::text AS bytes,
            CASE WHEN c.relkind = 'p'
                 THEN (SELECT count(*) FROM pg_partition_tree(c.oid) t WHERE t.isleaf)
                 ELSE 0 END::int AS partitions
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition`,
    [db.schema],
  );
  return rows.rows.map((r) => ({
    table: r.table,
    bytes: Number(r.bytes),
    partitions: r.partitions,
  }));
}

/** hypertable_size() of the schema's hypertables; empty without TimescaleDB (its views do not exist then). */
async function hypertableSizes(db: Database): Promise<Map<string, number>> {
  const timescale = await db.pool.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if (!timescale.rowCount) return new Map();
  const rows = await db.pool.query<{ table: string; bytes: string }>(
    `SELECT h.hypertable_name AS table,
            COALESCE(hypertable_size(format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass), 0)::text AS bytes
       FROM timescaledb_information.hypertables h
      WHERE h.hypertable_schema = $1`,
    [db.schema],
  );
  return new Map(rows.rows.map((r) => [r.table, Number(r.bytes)]));
}

function groupByDatasets(tables: TableSize[]): DatasetStorage[] {
  const groups = new Map<string, DatasetStorage>();
  for (const t of tables) {
    const key = t.datasets.join(',');
    const group = groups.get(key) ?? { datasets: t.datasets, tables: [], bytes: 0 };
    group.tables.push(t.table);
    group.bytes += t.bytes;
    groups.set(key, group);
  }
  const named = [...groups.values()].filter((g) => g.datasets.length > 0);
  named.sort((a, b) => b.bytes - a.bytes || a.datasets.join().localeCompare(b.datasets.join()));
  const rest = groups.get('');
  return rest ? [...named, rest] : named;
}
