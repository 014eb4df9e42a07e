/**
 * The plain-JSON inputs and results of the pipeline's activities and workflows: ids, windows and
 * datalake keys a person can type, never geometries or pixels (Temporal payloads stay small).
 */

/** A time window [start, end) as ISO 8601 instants. */
export interface TimeWindow {
  start: string;
  end: string;
}

/** How a run was started, recorded with it (governance: who/what started it). */
export type RunTrigger = 'schedule' | 'manual' | 'backfill' | 'canary' | 'retry';

/** What the workers are configured with, read once per run so the workflow stays deterministic. */
export interface RunSettings {
  cpuTaskQueue: string;
  indices: string[];
  algorithmVersion: string;
  computeChunkParcels: number;
  maxConcurrentGroups: number;
  /** Weeks before the run's week also searched, for late scenes and newly watched parcels. */
  lookbackWeeks: number;
  codeVersion: string;
}

export interface PlanGroupsInput {
  tiles?: string[];
  groupIds?: number[];
}

export interface PlannedGroup {
  groupId: number;
  tile: string;
  number: number;
  watched: number;
}

export interface PlanGroupsResult {
  groups: PlannedGroup[];
  /** What incremental group assignment did before planning. */
  assigned: { parcels: number; groupsCreated: number; groupsSplit: number; groupsDeleted: number };
}

export interface SearchScenesInput {
  groupId: number;
  tile: string;
  window: TimeWindow;
}

export interface SceneRef {
  id: string;
  acquiredAt: string;
  cloudCover: number | null;
}

export interface SearchScenesResult {
  scenes: SceneRef[];
  /** Items left out, with why (a missing SCL asset, an unknown CRS, a duplicate). */
  skipped: Array<{ id: string; reason: string }>;
}

export interface SceneGroupInput {
  sceneId: string;
  groupId: number;
  indices: string[];
  algorithmVersion: string;
  /** Recompute even what is current. */
  reprocess?: boolean;
  runId?: string;
}

export interface ScenePlan {
  /** Parcels of the group still lacking a current observation of this scene. */
  parcelsMissing: number;
  /** Parcel-id ranges of at most `computeChunkParcels` missing parcels each. */
  chunks: Array<{ fromId: number; toId: number }>;
  rawReady: boolean;
  cleanReady: boolean;
}

export interface DownloadResult {
  /** Band → datalake key of the clipped provider raster. */
  keys: Record<string, string>;
  bytesRead: number;
  bytesWritten: number;
  /** True when the keys were already in the datalake (nothing downloaded). */
  reused: boolean;
}

export interface MaskResult {
  keys: Record<string, string>;
  offsetSuspect: boolean;
  bytesWritten: number;
  reused: boolean;
}

export interface ComputeInput extends SceneGroupInput {
  fromId: number;
  toId: number;
}

export interface ComputeResult {
  parcels: number;
  observations: number;
  /** Rows that changed in the database (0 when everything was already current). */
  written: number;
  statuses: Record<string, number>;
}

export interface SceneOutcomeInput {
  sceneId: string;
  groupId: number;
  status: 'failed' | 'skipped' | 'computed';
  reason?: string;
  runId?: string;
}

export interface PrepareTablesInput {
  fromWeek: string;
  toWeek: string;
  groupIds?: number[];
  runId: string;
}

export interface PrepareTablesResult {
  rows: number;
  byStatus: Record<string, number>;
}

/** Outcome of one parcel group in one run. */
export interface GroupResult {
  groupId: number;
  tile: string;
  status: 'ok' | 'no-scenes' | 'partial' | 'failed';
  scenesFound: number;
  scenesProcessed: number;
  scenesSkipped: number;
  scenesFailed: Array<{ id: string; reason: string }>;
  observations: number;
  bytesRead: number;
  error?: string;
}

export interface RunRecordInput {
  workflowId: string;
  runId: string;
  kind: 'weekly' | 'backfill' | 'purge' | 'check';
  window?: TimeWindow;
  trigger: RunTrigger;
  triggeredBy?: string;
  status: 'running' | 'completed' | 'degraded' | 'failed' | 'cancelled';
  counts?: Record<string, number>;
  kpis?: Record<string, number | string | null>;
  error?: string;
  codeVersion?: string;
}

export interface RunKpisInput {
  groupIds: number[];
  /** The acquisitions the run covered (its week and lookback). */
  window: TimeWindow;
  scenesFound: number;
  scenesUsed: number;
  scenesFailed: number;
  failedActivities: number;
  bytesDownloaded: number;
}

export interface RunKpisResult {
  kpis: import('../core/kpis').RunKpis;
  status: 'completed' | 'degraded';
  breaches: string[];
}

export interface AlertInput {
  workflowId: string;
  runId: string;
  kind: RunRecordInput['kind'];
  /** What the run covered, e.g. `2026-W48`. */
  subject: string;
  status: 'failed' | 'degraded';
  reasons: string[];
  trigger: RunTrigger;
  triggeredBy?: string;
  kpis?: import('../core/kpis').RunKpis;
}
