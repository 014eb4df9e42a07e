import {
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RunTrigger } from '../activities/contracts';
import type {
  PurgeCutoffs,
  PurgePlan,
  PurgePolicy,
  RasterPurgeResult,
  RetentionDaysInput,
} from '../activities/purge';
import { io, NON_RETRYABLE } from './activities';

export interface PurgeInput extends RetentionDaysInput {
  /** Report what would be archived and deleted; archive and delete nothing. */
  dryRun?: boolean;
  /** The instant retention counts back from (ISO 8601); default: the run's start. Never later. */
  now?: string;
  trigger?: RunTrigger;
  /** Who or what started the purge (a user, a schedule id). */
  triggeredBy?: string;
}

export interface PurgeProgress {
  phase:
    | 'planning'
    | 'archiving'
    | 'deleting observations'
    | 'listing rasters'
    | 'deleting rasters'
    | 'done';
  months: number;
  monthsArchived: number;
  monthsDeleted: number;
}

export interface PurgeResult {
  dryRun: boolean;
  now: string;
  policy: PurgePolicy;
  cutoffs: PurgeCutoffs;
  observations: {
    /** Expired rows per month and index when the purge planned. */
    expired: PurgePlan['observations'];
    expiredRows: number;
    /** Rows now in a verified archive. */
    archived: number;
    deleted: number;
    /** Expired rows kept because no verified archive holds them (they go with the next purge). */
    notArchived: number;
    /** Archive objects holding the expired rows (the first ones; see archiveObjectCount). */
    archiveObjects: string[];
    archiveObjectCount: number;
    /** Objects (re)written this time; the others already held every expired row. */
    archiveObjectsWritten: number;
    partitionsDropped: string[];
  };
  raw: RasterPurgeResult;
  clean: RasterPurgeResult;
}

export const purgeProgressQuery = defineQuery<PurgeProgress>('progress');

/** Archive object keys kept in the result (the rest are counted): keeps the payload small. */
const MAX_LISTED_OBJECTS = 200;

/** Reads only: a plan lists the whole datalake area and counts expired rows. */
const plan = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});
/**
 * Archive and delete: one month per call, object by object with heartbeats. A transient datalake or
 * database error is retried; a verification failure is not (it is BadDataError).
 */
const retention = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    maximumInterval: '2 minutes',
    maximumAttempts: 6,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});

/**
 * Applies the retention policy as of `now`: days to keep raw rasters, clean rasters and
 * observations (the input's, else the configuration's; an index whose `datasets` row sets
 * `retention_days` keeps that for its observations).
 * Guarantees: every expired observation is first archived to the datalake (gzipped CSV per month,
 * index and block of parcels, with a manifest), read back and verified; only when every month is
 * archived are rows deleted — exactly those a verified archive holds — and then rasters whose
 * acquisition day is past retention, forgotten by `scene_groups` first. An archive failure deletes
 * nothing and fails the run with the reason. Re-running finds less to do and duplicates nothing. A
 * dry run reports the same sets and changes nothing. Recorded in `pipeline_runs` as kind `purge`.
 */
export async function purge(input: PurgeInput = {}): Promise<PurgeResult> {
  const info = workflowInfo();
  const dryRun = input.dryRun ?? false;
  const progress: PurgeProgress = {
    phase: 'planning',
    months: 0,
    monthsArchived: 0,
    monthsDeleted: 0,
  };
  setHandler(purgeProgressQuery, () => ({ ...progress }));
  const now = nowOf(input);
  const record = (
    status: 'running' | 'completed' | 'failed' | 'cancelled',
    extra: { counts?: Record<string, number>; kpis?: Record<string, string>; error?: string } = {},
  ) =>
    io.record.recordRun({
      workflowId: info.workflowId,
      runId: info.runId,
      kind: 'purge',
      trigger: input.trigger ?? 'manual',
      triggeredBy: input.triggeredBy,
      status,
      ...extra,
    });
  await record('running', { kpis: { mode: dryRun ? 'dry-run' : 'purge', now } });

  let step = 'planning';
  try {
    const planned = await plan.planPurge({
      now,
      rawDays: input.rawDays,
      cleanDays: input.cleanDays,
      observationsDays: input.observationsDays,
    });
    const months = [...new Set(planned.observations.map((o) => o.month))].sort();
    progress.months = months.length;
    const result = emptyResult(dryRun, planned);

    if (!dryRun) {
      progress.phase = 'archiving';
      const objects: string[] = [];
      try {
        for (const month of months) {
          step = `archiving observations of ${month}`;
          const archived = await retention.archiveObservations({
            month,
            cutoffs: planned.cutoffs.observations,
          });
          result.observations.archived += archived.archived;
          result.observations.archiveObjectsWritten += archived.written;
          objects.push(...archived.objects);
          progress.monthsArchived++;
        }
      } catch (error) {
        if (isCancellation(error)) throw error;
        throw new PurgeStepFailure(`${step} failed: ${rootMessage(error)}; nothing was deleted`);
      }
      result.observations.archiveObjects = objects.slice(0, MAX_LISTED_OBJECTS);
      result.observations.archiveObjectCount = objects.length;

      progress.phase = 'deleting observations';
      for (const month of months) {
        step = `deleting the archived observations of ${month}`;
        const deleted = await retention.deleteArchivedObservations({
          month,
          cutoffs: planned.cutoffs.observations,
        });
        result.observations.deleted += deleted.deleted;
        result.observations.notArchived += deleted.notArchived;
        if (deleted.partitionDropped)
          result.observations.partitionsDropped.push(deleted.partitionDropped);
        progress.monthsDeleted++;
      }
    }

    progress.phase = dryRun ? 'listing rasters' : 'deleting rasters';
    step = 'purging raw rasters';
    result.raw = await plan.purgeRasters({ area: 'raw', cutoff: planned.cutoffs.raw, dryRun });
    step = 'purging clean rasters';
    result.clean = await plan.purgeRasters({
      area: 'clean',
      cutoff: planned.cutoffs.clean,
      dryRun,
    });
    progress.phase = 'done';
    await record('completed', { counts: countsOf(result), kpis: kpisOf(result) });
    return result;
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() =>
        record('cancelled', { error: `cancelled by request while ${step}` }),
      );
      throw error;
    }
    const reason =
      error instanceof PurgeStepFailure ? error.message : `${step} failed: ${rootMessage(error)}`;
    await record('failed', { error: reason });
    await alert(info.workflowId, info.runId, now, input, reason);
    throw ApplicationFailure.nonRetryable(`Purge failed: ${reason}`, 'PurgeFailed');
  }
}

/** A failed step whose message already says what happened and what was (not) deleted. */
class PurgeStepFailure extends Error {}

function nowOf(input: PurgeInput): string {
  const start = workflowInfo().startTime;
  if (input.now === undefined) return start.toISOString();
  const ms = Date.parse(input.now);
  if (!/^\d{4}-\d{2}-\d{2}/.test(input.now) || Number.isNaN(ms)) {
    throw ApplicationFailure.nonRetryable(
      `purge: now "${input.now}" is not an ISO 8601 instant, e.g. 2026-11-01T00:00:00Z`,
      'BadInputError',
    );
  }
  if (ms > start.getTime()) {
    throw ApplicationFailure.nonRetryable(
      `purge: now ${input.now} is later than the run's start (${start.toISOString()}); a purge never counts retention from the future — shorten the retention days instead`,
      'BadInputError',
    );
  }
  return new Date(ms).toISOString();
}

function emptyRasters(area: 'raw' | 'clean', cutoff: string): RasterPurgeResult {
  return {
    area,
    cutoff,
    objects: 0,
    bytes: 0,
    deleted: 0,
    sceneGroups: [],
    sceneGroupCount: 0,
    unrecognised: 0,
  };
}

function emptyResult(dryRun: boolean, planned: PurgePlan): PurgeResult {
  return {
    dryRun,
    now: planned.now,
    policy: planned.policy,
    cutoffs: planned.cutoffs,
    observations: {
      expired: planned.observations,
      expiredRows: planned.observations.reduce((n, o) => n + o.rows, 0),
      archived: 0,
      deleted: 0,
      notArchived: 0,
      archiveObjects: [],
      archiveObjectCount: 0,
      archiveObjectsWritten: 0,
      partitionsDropped: [],
    },
    raw: emptyRasters('raw', planned.cutoffs.raw),
    clean: emptyRasters('clean', planned.cutoffs.clean),
  };
}

function countsOf(result: PurgeResult): Record<string, number> {
  const o = result.observations;
  return {
    observationsExpired: o.expiredRows,
    observationsArchived: o.archived,
    observationsDeleted: o.deleted,
    observationsNotArchived: o.notArchived,
    archiveObjects: o.archiveObjectCount,
    archiveObjectsWritten: o.archiveObjectsWritten,
    partitionsDropped: o.partitionsDropped.length,
    rawObjectsExpired: result.raw.objects,
    rawObjectsDeleted: result.raw.deleted,
    rawBytesExpired: result.raw.bytes,
    cleanObjectsExpired: result.clean.objects,
    cleanObjectsDeleted: result.clean.deleted,
    cleanBytesExpired: result.clean.bytes,
  };
}

function kpisOf(result: PurgeResult): Record<string, string> {
  return {
    mode: result.dryRun ? 'dry-run' : 'purge',
    now: result.now,
    rawCutoff: result.cutoffs.raw,
    cleanCutoff: result.cutoffs.clean,
    observationsCutoff: result.cutoffs.observations.default,
  };
}

/**
 * What actually went wrong: the message of the activity's own failure (its typed error), not of the
 * wrappers around it, nor of the low-level cause inside it (`unexpected end of file`).
 */
function rootMessage(error: unknown): string {
  let current: unknown = error;
  while (
    current instanceof Error &&
    !(current instanceof ApplicationFailure) &&
    current.cause instanceof Error
  )
    current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** Alerts go out best-effort: a webhook that stays down must not change the purge's outcome. */
async function alert(
  workflowId: string,
  runId: string,
  now: string,
  input: PurgeInput,
  reason: string,
): Promise<void> {
  try {
    await io.record.sendAlert({
      workflowId,
      runId,
      kind: 'purge',
      subject: `retention as of ${now}`,
      status: 'failed',
      reasons: [reason],
      trigger: input.trigger ?? 'manual',
      triggeredBy: input.triggeredBy,
    });
  } catch (error) {
    if (isCancellation(error)) throw error;
    log.error('alert could not be sent', { workflowId, error: (error as Error).message });
  }
}
