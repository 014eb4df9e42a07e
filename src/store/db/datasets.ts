import type { PoolClient } from 'pg';
import type { Config } from '../../config';
import {
  type CatalogPolicy,
  type DatasetKind,
  type DatasetKpi,
  type DatasetKpiName,
  type DatasetRetention,
  datasetKpis,
  datasetRetention,
  type KpiReading,
  readKpis,
} from '../../core/datasets';
import { BadInputError } from '../../core/errors';
import type { Database } from './database';
import { checkTeamName } from './team-access';

/**
 * The dataset catalog (`datasets`): each published dataset with its owner team, description, where
 * it lives, its retention and quality KPIs — resolved against the configuration — and, for one
 * dataset, its row counts and the live KPIs of the latest run.
 */

/** A dataset as the catalog lists it. */
export interface Dataset {
  name: string;
  kind: DatasetKind;
  ownerTeam: string;
  description: string;
  location: string;
  retention: DatasetRetention;
  kpis: DatasetKpi[];
  createdAt: string;
  updatedAt: string;
}

/** How much a dataset holds. */
export interface DatasetRows {
  /** Observations or weekly rows in the database; archive: rows the purges archived and deleted. */
  total: number;
  /** Rows per status (`ok`/`cloudy`/`nodata`, or `observed`/`interpolated`/`nodata`); empty for the archive. */
  byStatus: Record<string, number>;
  /** Distinct parcels (null for the archive, whose rows are in the datalake). */
  parcels: number | null;
  /** Earliest and latest acquisition (or week start) held; archive: first and last purge. */
  first: string | null;
  last: string | null;
}

/** Where the live KPIs come from: a weekly run, or the latest week of the weekly table. */
export interface QualitySource {
  /** `run` or `week`. */
  kind: 'run' | 'week';
  /** The run's workflow id, or the ISO week start (YYYY-MM-DD). */
  id: string;
  runId: string | null;
  status: string | null;
  at: string | null;
}

/** A dataset in full: the catalog entry, its row counts and its live KPIs. */
export interface DatasetDetail extends Dataset {
  rows: DatasetRows;
  quality: { source: QualitySource | null; kpis: KpiReading[] };
}

/** The catalog's view of the configuration. */
export function catalogPolicy(config: Pick<Config, 'quality' | 'retention'>): CatalogPolicy {
  return {
    thresholds: config.quality.thresholds,
    observationRetentionDays: config.retention.observationsDays,
  };
}

interface DatasetRow {
  name: string;
  kind: DatasetKind;
  owner_team: string;
  description: string;
  location: string;
  retention_days: number | null;
  kpi_thresholds: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'name, kind, owner_team, description, location, retention_days, kpi_thresholds, created_at, updated_at';

/** Every dataset, by name. */
export async function listDatasets(db: Database, policy: CatalogPolicy): Promise<Dataset[]> {
  const rows = await db.pool.query<DatasetRow>(`SELECT ${COLUMNS} FROM datasets ORDER BY name`);
  return rows.rows.map((r) => toDataset(r, policy));
}

/** One dataset, or undefined when no dataset has that name. */
export async function getDataset(
  db: Database,
  name: string,
  policy: CatalogPolicy,
): Promise<Dataset | undefined> {
  const rows = await db.pool.query<DatasetRow>(`SELECT ${COLUMNS} FROM datasets WHERE name = $1`, [
    name,
  ]);
  return rows.rows[0] && toDataset(rows.rows[0], policy);
}

/** One dataset with its row counts and live KPIs, or undefined when unknown. */
export async function describeDataset(
  db: Database,
  name: string,
  policy: CatalogPolicy,
): Promise<DatasetDetail | undefined> {
  const dataset = await getDataset(db, name, policy);
  if (!dataset) return undefined;
  const [rows, live] = await Promise.all([datasetRows(db, dataset), liveKpis(db, dataset.kind)]);
  return {
    ...dataset,
    rows,
    quality: { source: live.source, kpis: readKpis(dataset.kpis, live.values) },
  };
}

/** The error for a dataset name that names none, listing those that exist. */
export async function unknownDataset(db: Database, name: string): Promise<BadInputError> {
  const names = await db.pool.query<{ name: string }>('SELECT name FROM datasets ORDER BY name');
  return new BadInputError(
    `no dataset is named "${name}"; the datasets are ${names.rows.map((r) => r.name).join(', ') || '(none: run parcelwatch db migrate)'}`,
    { code: 'DATASET_UNKNOWN' },
  );
}

/** What changing an owner did. */
export interface OwnerChange {
  dataset: string;
  previous: string;
  owner: string;
  /** False when the dataset already had that owner (nothing was written). */
  changed: boolean;
}

/**
 * Gives a dataset to another team, on `client` (the caller's transaction, so the audit row and the
 * change commit together). The row is locked while read, so the previous owner reported is the one
 * replaced. Returns undefined for an unknown dataset; throws a BadInputError for an invalid team
 * name (see `checkTeamName`). Writes nothing in either case.
 */
export async function changeDatasetOwner(
  client: PoolClient,
  name: string,
  team: string,
): Promise<OwnerChange | undefined> {
  const owner = checkTeamName(team);
  const current = await client.query<{ owner_team: string }>(
    'SELECT owner_team FROM datasets WHERE name = $1 FOR UPDATE',
    [name],
  );
  const previous = current.rows[0]?.owner_team;
  if (previous === undefined) return undefined;
  if (previous === owner) return { dataset: name, previous, owner, changed: false };
  await client.query('UPDATE datasets SET owner_team = $2, updated_at = now() WHERE name = $1', [
    name,
    owner,
  ]);
  return { dataset: name, previous, owner, changed: true };
}

function toDataset(r: DatasetRow, policy: CatalogPolicy): Dataset {
  return {
    name: r.name,
    kind: r.kind,
    ownerTeam: r.owner_team,
    description: r.description,
    location: r.location,
    retention: datasetRetention(r.kind, r.retention_days, policy),
    kpis: datasetKpis(r.kind, r.kpi_thresholds ?? {}, policy.thresholds),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

async function datasetRows(db: Database, dataset: Dataset): Promise<DatasetRows> {
  if (dataset.kind === 'archive') return archivedRows(db);
  const table = dataset.kind === 'weekly' ? 'parcel_weekly' : 'parcel_observations';
  const time =
    dataset.kind === 'weekly' ? "week_start::timestamp AT TIME ZONE 'UTC'" : 'acquired_at';
  // Observations of one index (the dataset's name); the weekly table holds every index.
  const rows = await db.pool.query<{
    status: string;
    rows: number;
    parcels: number;
    first: Date | null;
    last: Date | null;
  }>(
    `SELECT status, count(*)::int AS rows, count(DISTINCT parcel_id)::int AS parcels,
            min(${time}) AS first, max(${time}) AS last
       FROM ${table}
      WHERE ($1::text IS NULL OR index_name = $1)
      GROUP BY GROUPING SETS ((status), ())
      ORDER BY status NULLS FIRST`,
    [dataset.kind === 'observations' ? dataset.name : null],
  );
  const all = rows.rows.find((r) => r.status === null);
  return {
    total: all?.rows ?? 0,
    byStatus: Object.fromEntries(
      rows.rows.filter((r) => r.status !== null).map((r) => [r.status, r.rows]),
    ),
    parcels: all?.parcels ?? 0,
    first: all?.first?.toISOString() ?? null,
    last: all?.last?.toISOString() ?? null,
  };
}

/** The archive's rows are those purges archived, verified and deleted from the database. */
async function archivedRows(db: Database): Promise<DatasetRows> {
  const rows = await db.pool.query<{ rows: string | null; first: Date | null; last: Date | null }>(
    `SELECT sum((counts->>'observationsDeleted')::bigint)::text AS rows,
            min(finished_at) AS first, max(finished_at) AS last
       FROM pipeline_runs
      WHERE kind = 'purge' AND status = 'completed' AND kpis->>'mode' = 'purge'
        AND (counts->>'observationsDeleted')::bigint > 0`,
  );
  const r = rows.rows[0];
  return {
    total: Number(r?.rows ?? 0),
    byStatus: {},
    parcels: null,
    first: r?.first?.toISOString() ?? null,
    last: r?.last?.toISOString() ?? null,
  };
}

/** Finished weekly runs carry KPIs; a running one has none yet. */
const FINISHED = ['completed', 'degraded', 'failed'];

async function liveKpis(
  db: Database,
  kind: DatasetKind,
): Promise<{
  source: QualitySource | null;
  values: Partial<Record<DatasetKpiName, number | null>>;
}> {
  if (kind === 'observations') {
    const runs = await db.pool.query<{
      workflow_id: string;
      run_id: string;
      status: string;
      finished_at: Date | null;
      kpis: Record<string, unknown>;
    }>(
      `SELECT workflow_id, run_id, status, finished_at, kpis FROM pipeline_runs
        WHERE kind = 'weekly' AND status = ANY($1::text[]) AND kpis ? 'parcelsExpected'
        ORDER BY finished_at DESC NULLS LAST, started_at DESC LIMIT 1`,
      [FINISHED],
    );
    const run = runs.rows[0];
    if (!run) return { source: null, values: {} };
    const k = run.kpis;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    const expected = num(k.parcelsExpected);
    const observed = num(k.parcelsObserved);
    return {
      source: {
        kind: 'run',
        id: run.workflow_id,
        runId: run.run_id,
        status: run.status,
        at: run.finished_at?.toISOString() ?? null,
      },
      values: {
        minObservedShare: expected && observed !== null ? observed / expected : null,
        minOkShare: num(k.okShare),
        minMeanValidFraction: num(k.meanValidFraction),
        maxFailedActivities: num(k.failedActivities),
      },
    };
  }
  if (kind === 'weekly') {
    const week = await db.pool.query<{ week: string; rows: number; observed: number }>(
      `SELECT to_char(week_start, 'YYYY-MM-DD') AS week, count(*)::int AS rows,
              count(*) FILTER (WHERE status = 'observed')::int AS observed
         FROM parcel_weekly
        WHERE week_start = (SELECT max(week_start) FROM parcel_weekly)
        GROUP BY week_start`,
    );
    const w = week.rows[0];
    if (!w) return { source: null, values: {} };
    return {
      source: { kind: 'week', id: w.week, runId: null, status: null, at: null },
      values: { minObservedShare: w.rows ? w.observed / w.rows : null },
    };
  }
  return { source: null, values: {} };
}
