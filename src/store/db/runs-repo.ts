import { BadInputError } from '../../core/errors';
import { tracedWrite } from '../../telemetry/spans';
import type { Database } from './database';

/**
 * The run record (`pipeline_runs`): one row per workflow run, written when it starts and when it
 * ends, keyed by (workflow id, run id) so a retried activity rewrites the same row.
 */

export type RunStatus = 'running' | 'completed' | 'degraded' | 'failed' | 'cancelled';

export interface RunStart {
  workflowId: string;
  runId: string;
  /** weekly, group, backfill, purge, check. */
  kind: string;
  /** The data window the run covers, [start, end) as ISO 8601 instants. */
  window?: { start: string; end: string };
  /** schedule, manual, backfill, canary. */
  trigger: string;
  /** Who started it (a user, a schedule id). */
  triggeredBy?: string;
  codeVersion?: string;
  /** @default the database's now() */
  startedAt?: string;
}

export interface RunFinish extends Partial<Omit<RunStart, 'workflowId' | 'runId'>> {
  workflowId: string;
  runId: string;
  status: Exclude<RunStatus, 'running'>;
  /** Merged into the stored counts. */
  counts?: Record<string, number>;
  /** Merged into the stored KPIs. */
  kpis?: Record<string, number | string | null>;
  error?: string;
  /**
   * Milliseconds per step; kept in `kpis.timingsMs` (pipeline_runs has no column of its own for
   * them; started_at and finished_at hold the run's span).
   */
  timings?: Record<string, number>;
  /** @default the database's now() */
  finishedAt?: string;
}

export interface RunRecord {
  workflowId: string;
  runId: string;
  kind: string;
  window: { start: string; end: string } | null;
  trigger: string;
  triggeredBy: string | null;
  status: RunStatus;
  counts: Record<string, number>;
  kpis: Record<string, unknown>;
  error: string | null;
  codeVersion: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** `writeRunStart` in a database span. */
export const startRun = tracedWrite('upsert', 'pipeline_runs', writeRunStart);

/**
 * Records that a run started (status `running`). Idempotent: a second call for the same run keeps
 * its first start time and whatever status it reached, and fills in fields it was missing.
 */
async function writeRunStart(db: Database, run: RunStart): Promise<void> {
  await db.pool.query(
    `INSERT INTO pipeline_runs AS r (workflow_id, run_id, kind, window_start, window_end, trigger,
                                     triggered_by, status, code_version, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, COALESCE($9::timestamptz, now()))
     ON CONFLICT (workflow_id, run_id) DO UPDATE SET
       kind = EXCLUDED.kind,
       window_start = COALESCE(EXCLUDED.window_start, r.window_start),
       window_end = COALESCE(EXCLUDED.window_end, r.window_end),
       trigger = EXCLUDED.trigger,
       triggered_by = COALESCE(EXCLUDED.triggered_by, r.triggered_by),
       code_version = COALESCE(EXCLUDED.code_version, r.code_version)`,
    [
      run.workflowId,
      run.runId,
      run.kind,
      run.window?.start ?? null,
      run.window?.end ?? null,
      run.trigger,
      run.triggeredBy ?? null,
      run.codeVersion ?? null,
      run.startedAt ?? null,
    ],
  );
}

/** `writeRunEnd` in a database span. */
export const finishRun = tracedWrite('upsert', 'pipeline_runs', writeRunEnd);

/**
 * Records how a run ended: status, counts and KPIs (merged into what is stored), error, finish
 * time. A run never started is inserted when kind and trigger are given, refused otherwise.
 */
async function writeRunEnd(db: Database, run: RunFinish): Promise<void> {
  const kpis = run.timings ? { ...run.kpis, timingsMs: run.timings } : (run.kpis ?? {});
  const values = [
    run.workflowId,
    run.runId,
    run.status,
    JSON.stringify(run.counts ?? {}),
    JSON.stringify(kpis),
    run.error ?? null,
    run.finishedAt ?? null,
    run.kind ?? null,
    run.window?.start ?? null,
    run.window?.end ?? null,
    run.trigger ?? null,
    run.triggeredBy ?? null,
    run.codeVersion ?? null,
  ];
  const updated = await db.pool.query(
    `UPDATE pipeline_runs SET
       status = $3, counts = counts || $4::jsonb, kpis = kpis || $5::jsonb, error = $6,
       finished_at = COALESCE($7::timestamptz, now()),
       kind = COALESCE($8, kind),
       window_start = COALESCE($9::timestamptz, window_start),
       window_end = COALESCE($10::timestamptz, window_end),
       trigger = COALESCE($11, trigger),
       triggered_by = COALESCE($12, triggered_by),
       code_version = COALESCE($13, code_version)
     WHERE workflow_id = $1 AND run_id = $2`,
    values,
  );
  if (updated.rowCount) return;
  if (!run.kind || !run.trigger) {
    throw new BadInputError(
      `run ${run.workflowId}/${run.runId} was never started; call startRun first, or give kind and trigger to finishRun`,
      { code: 'RUN_UNKNOWN' },
    );
  }
  await startRun(db, { ...run, kind: run.kind, trigger: run.trigger });
  await finishRun(db, run);
}

export interface ListRunsOptions {
  /** @default 20 */
  limit?: number;
  kind?: string;
  status?: RunStatus;
}

/** Newest runs first. */
export async function listRuns(db: Database, options: ListRunsOptions = {}): Promise<RunRecord[]> {
  const rows = await db.pool.query<RunRow>(
    `SELECT * FROM pipeline_runs
      WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2)
      ORDER BY started_at DESC, workflow_id, run_id
      LIMIT $3`,
    [options.kind ?? null, options.status ?? null, options.limit ?? DEFAULT_LIST_LIMIT],
  );
  return rows.rows.map(toRecord);
}

/** Runs shown unless asked for more: a screenful. */
const DEFAULT_LIST_LIMIT = 20;

/** One run; without a run id, the latest run of the workflow id. */
export async function getRun(
  db: Database,
  workflowId: string,
  runId?: string,
): Promise<RunRecord | undefined> {
  const rows = await db.pool.query<RunRow>(
    `SELECT * FROM pipeline_runs
      WHERE workflow_id = $1 AND ($2::text IS NULL OR run_id = $2)
      ORDER BY started_at DESC, run_id DESC LIMIT 1`,
    [workflowId, runId ?? null],
  );
  return rows.rows[0] && toRecord(rows.rows[0]);
}

interface RunRow {
  workflow_id: string;
  run_id: string;
  kind: string;
  window_start: Date | null;
  window_end: Date | null;
  trigger: string;
  triggered_by: string | null;
  status: RunStatus;
  counts: Record<string, number>;
  kpis: Record<string, unknown>;
  error: string | null;
  code_version: string | null;
  started_at: Date;
  finished_at: Date | null;
}

function toRecord(r: RunRow): RunRecord {
  return {
    workflowId: r.workflow_id,
    runId: r.run_id,
    kind: r.kind,
    window:
      r.window_start && r.window_end
        ? { start: r.window_start.toISOString(), end: r.window_end.toISOString() }
        : null,
    trigger: r.trigger,
    triggeredBy: r.triggered_by,
    status: r.status,
    counts: r.counts,
    kpis: r.kpis,
    error: r.error,
    codeVersion: r.code_version,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}
