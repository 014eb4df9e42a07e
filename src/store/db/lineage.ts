import { BadInputError } from '../../core/errors';
import type { HarmonisationDecision } from '../../core/stac/scene';
import { calendarDay } from '../../core/time/calendar-day';
import { formatIsoWeek, isoWeekOf } from '../../core/time/iso-week';
import type { ParcelObservation } from '../../core/zonal/scene-statistics';
import type { Database } from './database';
import { STORED_OBSERVATION_COLUMNS, type StoredObservationColumns } from './observations-repo';
import type { SceneStatus, StoredScene } from './scenes-repo';

/**
 * Lineage: where an observation comes from. Each row of `parcel_observations` names its scene
 * (`scene_id` → `scenes`: STAC item, processing baseline, harmonisation decision), the algorithm
 * version that computed it, and its run (`run_id` → `pipeline_runs`: workflow, trigger, code
 * version). This module reads those links back, and counts observations per algorithm version so
 * the ones a backfill will recompute are visible.
 */

/** A parcel as a user names it: its database id, or its source and external id. */
export type ParcelRef = { id: number } | { source: string; externalId: string };

/** `42` → id 42; `brp-2023:FR-123` → source and external id (split at the first colon). */
export function parseParcelRef(text: string): ParcelRef {
  const value = text.trim();
  if (/^\d+$/.test(value)) {
    const id = Number(value);
    if (Number.isSafeInteger(id) && id > 0) return { id };
  }
  const colon = value.indexOf(':');
  if (colon > 0 && colon < value.length - 1) {
    return { source: value.slice(0, colon), externalId: value.slice(colon + 1) };
  }
  throw new BadInputError(
    `parcel "${text}" is neither a parcel id (e.g. 42) nor SOURCE:EXTERNAL_ID (e.g. default:FR-123); see \`parcelwatch parcels list\``,
    { code: 'PARCEL_REF_INVALID' },
  );
}

/** A calendar day `YYYY-MM-DD` (UTC), checked to exist; returns its [start, end) instants. */
export function parseDay(text: string): { day: string; start: string; end: string } {
  const day = calendarDay(text.trim());
  if (!day) {
    throw new BadInputError(
      `date "${text}" is not a calendar day written YYYY-MM-DD (UTC), e.g. 2024-05-07`,
      { code: 'DATE_INVALID' },
    );
  }
  return day;
}

export interface LineageParcel {
  id: number;
  source: string;
  externalId: string;
  name: string | null;
  ownerTeam: string;
  watched: boolean;
}

/** The parcel a reference names, or undefined. */
export async function findParcel(db: Database, ref: ParcelRef): Promise<LineageParcel | undefined> {
  const rows = await db.pool.query<{
    id: string;
    source: string;
    external_id: string;
    name: string | null;
    owner_team: string;
    watched: boolean;
  }>(
    `SELECT id, source, external_id, name, owner_team, watched FROM parcels
      WHERE ${'id' in ref ? 'id = $1' : 'source = $1 AND external_id = $2'}`,
    'id' in ref ? [ref.id] : [ref.source, ref.externalId],
  );
  const r = rows.rows[0];
  return (
    r && {
      id: Number(r.id),
      source: r.source,
      externalId: r.external_id,
      name: r.name,
      ownerTeam: r.owner_team,
      watched: r.watched,
    }
  );
}

/** One observation and everything it derives from; a link is null when its row is missing. */
export interface ObservationLineage {
  index: string;
  acquiredAt: string;
  /** The statistics as the engine computed them (status as stored), and what computed them. */
  observation: Omit<ParcelObservation, 'parcel' | 'parcelId' | 'index' | 'status'> & {
    status: string;
    algorithmVersion: string;
    computedAt: string;
  };
  sceneId: string;
  scene: Pick<
    StoredScene,
    | 'id'
    | 'collection'
    | 'tile'
    | 'acquiredAt'
    | 'cloudCover'
    | 'processingBaseline'
    | 'harmonisation'
    | 'offsetSuspect'
    | 'status'
  > | null;
  runId: string | null;
  run: {
    workflowId: string;
    runId: string;
    kind: string;
    trigger: string;
    triggeredBy: string | null;
    codeVersion: string | null;
    status: string;
    startedAt: string;
    finishedAt: string | null;
  } | null;
  /** Links that should be there and are not: `run id`, `run`, `scene`, `code version`. */
  missing: string[];
}

interface LineageRow extends StoredObservationColumns {
  s_id: string | null;
  s_collection: string;
  s_tile: string;
  s_acquired_at: Date;
  s_cloud_cover: number | null;
  s_baseline: string | null;
  s_harmonisation: HarmonisationDecision;
  s_offset_suspect: boolean;
  s_status: SceneStatus;
  r_workflow_id: string | null;
  r_run_id: string;
  r_kind: string;
  r_trigger: string;
  r_triggered_by: string | null;
  r_code_version: string | null;
  r_status: string;
  r_started_at: Date;
  r_finished_at: Date | null;
}

/** The lineage of a parcel's observations acquired in [start, end), by acquisition then index. */
export async function observationLineage(
  db: Database,
  parcelId: number,
  window: { start: string; end: string },
): Promise<ObservationLineage[]> {
  const rows = await db.pool.query<LineageRow>(
    `SELECT ${STORED_OBSERVATION_COLUMNS},
            s.id AS s_id, s.collection AS s_collection, s.tile AS s_tile,
            s.acquired_at AS s_acquired_at, s.cloud_cover AS s_cloud_cover,
            s.processing_baseline AS s_baseline, s.harmonisation AS s_harmonisation,
            s.offset_suspect AS s_offset_suspect, s.status AS s_status,
            r.workflow_id AS r_workflow_id, r.run_id AS r_run_id, r.kind AS r_kind,
            r.trigger AS r_trigger, r.triggered_by AS r_triggered_by,
            r.code_version AS r_code_version, r.status AS r_status,
            r.started_at AS r_started_at, r.finished_at AS r_finished_at
       FROM parcel_observations o
       LEFT JOIN scenes s ON s.id = o.scene_id
       LEFT JOIN LATERAL (
         SELECT * FROM pipeline_runs pr WHERE pr.run_id = o.run_id
          ORDER BY pr.started_at LIMIT 1) r ON true
      WHERE o.parcel_id = $1 AND o.acquired_at >= $2::timestamptz AND o.acquired_at < $3::timestamptz
      ORDER BY o.acquired_at, o.index_name`,
    [parcelId, window.start, window.end],
  );
  return rows.rows.map(toLineage);
}

function toLineage(r: LineageRow): ObservationLineage {
  const missing: string[] = [];
  if (!r.s_id) missing.push('scene');
  if (!r.run_id) missing.push('run id');
  else if (!r.r_workflow_id) missing.push('run');
  else if (!r.r_code_version) missing.push('code version');
  return {
    index: r.index_name,
    acquiredAt: r.acquired_at.toISOString(),
    observation: {
      mean: r.mean,
      median: r.median,
      std: r.std,
      min: r.min,
      max: r.max,
      p10: r.p10,
      p90: r.p90,
      validPixels: r.valid_pixels,
      totalPixels: r.total_pixels,
      validFraction: r.valid_fraction,
      status: r.status,
      flags: r.flags,
      algorithmVersion: r.algorithm_version,
      computedAt: r.computed_at.toISOString(),
    },
    sceneId: r.scene_id,
    scene: r.s_id
      ? {
          id: r.s_id,
          collection: r.s_collection,
          tile: r.s_tile,
          acquiredAt: r.s_acquired_at.toISOString(),
          cloudCover: r.s_cloud_cover,
          processingBaseline: r.s_baseline,
          harmonisation: r.s_harmonisation,
          offsetSuspect: r.s_offset_suspect,
          status: r.s_status,
        }
      : null,
    runId: r.run_id,
    run: r.r_workflow_id
      ? {
          workflowId: r.r_workflow_id,
          runId: r.r_run_id,
          kind: r.r_kind,
          trigger: r.r_trigger,
          triggeredBy: r.r_triggered_by,
          codeVersion: r.r_code_version,
          status: r.r_status,
          startedAt: r.r_started_at.toISOString(),
          finishedAt: r.r_finished_at?.toISOString() ?? null,
        }
      : null,
    missing,
  };
}

/** Days (YYYY-MM-DD, UTC) on which the parcel has observations, nearest to `day` first. */
export async function nearestObservationDays(
  db: Database,
  parcelId: number,
  day: string,
  limit = 3,
): Promise<string[]> {
  const rows = await db.pool.query<{ d: string }>(
    `SELECT to_char(d, 'YYYY-MM-DD') AS d FROM (
       SELECT DISTINCT (acquired_at AT TIME ZONE 'UTC')::date AS d
         FROM parcel_observations WHERE parcel_id = $1) days
      ORDER BY abs(d - $2::date), d LIMIT $3`,
    [parcelId, day, limit],
  );
  return rows.rows.map((r) => r.d);
}

/** Observations computed by one algorithm version. */
export interface AlgorithmVersionCount {
  algorithmVersion: string;
  /** True for the version the configured science settings give. */
  current: boolean;
  observations: number;
  /** Those of watched parcels and configured indices: what runs compute (again, when outdated). */
  inRunScope: number;
  parcels: number;
  byIndex: Record<string, number>;
  /** Earliest and latest acquisition. */
  first: string;
  last: string;
}

/** What is out of date with the current algorithm version, and what would bring it up to date. */
export interface OutdatedReport {
  currentAlgorithmVersion: string;
  observations: number;
  versions: AlgorithmVersionCount[];
  outdated: {
    observations: number;
    /**
     * Of watched parcels and configured indices: recomputed by the next run or backfill covering
     * their acquisitions.
     */
    toReprocess: number;
    /** Of unwatched parcels or indices no longer computed: kept as they are. */
    kept: number;
    /** ISO weeks holding the observations to reprocess (a backfill's range). */
    weeks: { from: string; to: string } | null;
  };
}

/**
 * Observations per algorithm version against the current one (what the configured science settings
 * give). A run recomputes the observations of watched parcels, for the configured indices, whose
 * version differs (see `parcelsMissingObservations`): those are exactly what a backfill over
 * `outdated.weeks` reprocesses.
 */
export async function outdatedObservations(
  db: Database,
  current: { algorithmVersion: string; indices: readonly string[] },
): Promise<OutdatedReport> {
  const currentAlgorithmVersion = current.algorithmVersion;
  const groups = await db.pool.query<{
    version: string;
    index_name: string;
    watched: boolean;
    n: string;
    first: Date;
    last: Date;
  }>(
    `SELECT o.algorithm_version AS version, o.index_name, p.watched, count(*)::text AS n,
            min(o.acquired_at) AS first, max(o.acquired_at) AS last
       FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id
      GROUP BY 1, 2, 3`,
  );
  const parcels = await db.pool.query<{ version: string; parcels: string }>(
    `SELECT algorithm_version AS version, count(DISTINCT parcel_id)::text AS parcels
       FROM parcel_observations GROUP BY 1`,
  );
  const byVersion = new Map<string, AlgorithmVersionCount>();
  let reprocessFirst: Date | undefined;
  let reprocessLast: Date | undefined;
  for (const g of groups.rows) {
    const n = Number(g.n);
    const entry = byVersion.get(g.version) ?? {
      algorithmVersion: g.version,
      current: g.version === currentAlgorithmVersion,
      observations: 0,
      inRunScope: 0,
      parcels: Number(parcels.rows.find((p) => p.version === g.version)?.parcels ?? 0),
      byIndex: {},
      first: g.first.toISOString(),
      last: g.last.toISOString(),
    };
    entry.observations += n;
    const recomputed = g.watched && current.indices.includes(g.index_name);
    if (recomputed) entry.inRunScope += n;
    entry.byIndex[g.index_name] = (entry.byIndex[g.index_name] ?? 0) + n;
    if (g.first.toISOString() < entry.first) entry.first = g.first.toISOString();
    if (g.last.toISOString() > entry.last) entry.last = g.last.toISOString();
    byVersion.set(g.version, entry);
    if (recomputed && g.version !== currentAlgorithmVersion) {
      if (!reprocessFirst || g.first < reprocessFirst) reprocessFirst = g.first;
      if (!reprocessLast || g.last > reprocessLast) reprocessLast = g.last;
    }
  }
  const versions = [...byVersion.values()].sort(
    (a, b) =>
      Number(b.current) - Number(a.current) || a.algorithmVersion.localeCompare(b.algorithmVersion),
  );
  const outdated = versions.filter((v) => !v.current);
  const sum = (items: AlgorithmVersionCount[], f: (v: AlgorithmVersionCount) => number) =>
    items.reduce((total, v) => total + f(v), 0);
  return {
    currentAlgorithmVersion,
    observations: sum(versions, (v) => v.observations),
    versions,
    outdated: {
      observations: sum(outdated, (v) => v.observations),
      toReprocess: sum(outdated, (v) => v.inRunScope),
      kept: sum(outdated, (v) => v.observations - v.inRunScope),
      weeks:
        reprocessFirst && reprocessLast
          ? {
              from: formatIsoWeek(isoWeekOf(reprocessFirst)),
              to: formatIsoWeek(isoWeekOf(reprocessLast)),
            }
          : null,
    },
  };
}
