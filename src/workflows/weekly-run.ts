import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  isCancellation,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { GroupResult, PlannedGroup, RunSettings, RunTrigger } from '../activities/contracts';
import {
  addIsoWeeks,
  formatIsoWeek,
  isoWeekOf,
  isoWeekWindow,
  parseIsoWeek,
} from '../core/time/iso-week';
import { io } from './activities';
import { processGroup } from './process-group';

export interface WeeklyRunInput {
  /** ISO week to process, e.g. `2026-W48`; default: the week before the run's (scheduled) start. */
  week?: string;
  /** Indices to compute; default: the workers' configuration. */
  indices?: string[];
  /** Only these parcel groups (ids) or tiles; default: every group with watched parcels. */
  groupIds?: number[];
  tiles?: string[];
  /** Recompute observations that are already current. */
  reprocess?: boolean;
  /** Most groups processed at once; default: the workers' configuration. */
  maxConcurrentGroups?: number;
  trigger?: RunTrigger;
  /** Who or what started the run (a user, a schedule id). */
  triggeredBy?: string;
  /** Internal: the state carried across continue-as-new. Leave it out when starting a run. */
  carried?: CarriedState;
}

/** Progress of a weekly run, answered by the `progress` query. */
export interface WeeklyProgress {
  week: string;
  total: number;
  done: number;
  failed: number;
  running: number;
  remaining: number;
}

export interface WeeklyRunResult {
  week: string;
  status: 'completed' | 'failed';
  groups: number;
  groupsFailed: number;
  groupsWithoutScenes: number;
  scenesProcessed: number;
  scenesFailed: number;
  /** Items left out by the searches (a missing asset, an unknown CRS, superseded duplicates). */
  scenesSkipped: number;
  observations: number;
  weeklyRows: number;
  failures: Array<{ groupId: number; tile: string; reason: string }>;
}

interface CarriedState {
  week: string;
  settings: RunSettings;
  runId: string;
  pending: PlannedGroup[];
  total: number;
  totals: Omit<WeeklyRunResult, 'week' | 'status' | 'weeklyRows' | 'groups'>;
  groupIds: number[];
}

export const progressQuery = defineQuery<WeeklyProgress>('progress');

/** Children started by one run before it continues as new, well below the 50k-event history limit. */
const CHILDREN_PER_RUN = 200;
/** Failure reasons kept in the result (the rest are counted). */
const MAX_FAILURES_KEPT = 50;

/**
 * The weekly job for one ISO week (workflow id `weekly-<week>`): plans the parcel groups holding
 * watched parcels (never all parcels), runs a `processGroup` child per group with bounded
 * concurrency (child id `group-<tile>-<number>-<week>`), then prepares the weekly tables and records
 * the run. Guarantees: re-running a week redoes nothing already done (children skip scenes whose
 * observations are current); a failed group does not stop the others, but fails the run at the end
 * with its reason recorded; cancelling the run cancels its children and their activities; long
 * runs continue as new before their history grows large. The `progress` query reports groups done,
 * failed and remaining.
 */
export async function weeklyRun(input: WeeklyRunInput = {}): Promise<WeeklyRunResult> {
  const info = workflowInfo();
  const state = input.carried ?? (await start(input));
  const { week, settings } = state;
  let running = 0;
  const progress = (): WeeklyProgress => ({
    week,
    total: state.total,
    done: state.total - state.pending.length - running,
    failed: state.totals.groupsFailed,
    running,
    remaining: state.pending.length,
  });
  setHandler(progressQuery, progress);

  const window = searchWindow(week, settings.lookbackWeeks);
  const limit = Math.max(1, input.maxConcurrentGroups ?? settings.maxConcurrentGroups);
  let started = 0;
  try {
    const inFlight: Promise<void>[] = [];
    while (state.pending.length > 0) {
      if (started >= CHILDREN_PER_RUN || info.continueAsNewSuggested) break;
      await condition(() => running < limit);
      const group = state.pending.shift()!;
      running++;
      started++;
      const child = await startChild(processGroup, {
        workflowId: `group-${group.tile}-${group.number}-${week}`,
        args: [
          {
            groupId: group.groupId,
            tile: group.tile,
            week,
            window,
            indices: input.indices ?? settings.indices,
            algorithmVersion: settings.algorithmVersion,
            cpuTaskQueue: settings.cpuTaskQueue,
            reprocess: input.reprocess,
            runId: state.runId,
          },
        ],
      });
      inFlight.push(
        child
          .result()
          .then((result) => tally(state, result))
          .catch((error: unknown) => {
            if (isCancellation(error)) throw error;
            tally(state, failedGroup(group, error));
          })
          .finally(() => {
            running--;
          }),
      );
    }
    await Promise.all(inFlight);
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() =>
        io.record.recordRun(
          runRecord(info.workflowId, state, input, 'cancelled', 'cancelled by request'),
        ),
      );
    }
    throw error;
  }

  if (state.pending.length > 0) {
    // Hand the rest to a fresh run of this workflow: same id, history starting over.
    await continueAsNew<typeof weeklyRun>({ ...input, carried: state });
  }

  const prepared = await io.tables.prepareTables({
    fromWeek: formatIsoWeek(addIsoWeeks(week, -settings.lookbackWeeks)),
    toWeek: week,
    groupIds: state.groupIds,
    runId: state.runId,
  });
  const failed = state.totals.groupsFailed > 0;
  const result: WeeklyRunResult = {
    week,
    status: failed ? 'failed' : 'completed',
    groups: state.total,
    weeklyRows: prepared.rows,
    ...state.totals,
  };
  const reason = failed
    ? `${state.totals.groupsFailed} of ${state.total} groups failed: ${state.totals.failures
        .slice(0, 3)
        .map((f) => `group ${f.tile}/${f.groupId}: ${f.reason}`)
        .join('; ')}`
    : undefined;
  await io.record.recordRun({
    ...runRecord(info.workflowId, state, input, failed ? 'failed' : 'completed', reason),
    counts: countsOf(result),
  });
  if (failed)
    throw ApplicationFailure.nonRetryable(
      `Weekly run ${week} failed: ${reason}`,
      'WeeklyRunFailed',
      result,
    );
  return result;
}

/** First run of a week: settings, the week, the run record, the plan. */
async function start(input: WeeklyRunInput): Promise<CarriedState> {
  const info = workflowInfo();
  const week = weekOf(input);
  const settings = await io.settings.runSettings();
  const runId = info.firstExecutionRunId;
  const initial: CarriedState = {
    week,
    settings,
    runId,
    pending: [],
    total: 0,
    groupIds: [],
    totals: {
      groupsFailed: 0,
      groupsWithoutScenes: 0,
      scenesProcessed: 0,
      scenesFailed: 0,
      scenesSkipped: 0,
      observations: 0,
      failures: [],
    },
  };
  await io.record.recordRun(runRecord(info.workflowId, initial, input, 'running'));
  const plan = await io.planning.planGroups({ tiles: input.tiles, groupIds: input.groupIds });
  return {
    ...initial,
    pending: plan.groups,
    total: plan.groups.length,
    groupIds: plan.groups.map((g) => g.groupId),
  };
}

/** The week asked for, else the one before the (scheduled) start: a Monday run processes last week. */
function weekOf(input: WeeklyRunInput): string {
  try {
    if (input.week) return formatIsoWeek(parseIsoWeek(input.week, 'week'));
    return formatIsoWeek(addIsoWeeks(isoWeekOf(workflowInfo().startTime), -1));
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'BadInputError');
  }
}

/** Acquisitions searched: the week and the weeks before it, for late scenes and newly watched parcels. */
export function searchWindow(week: string, lookbackWeeks: number) {
  return {
    start: isoWeekWindow(addIsoWeeks(week, -lookbackWeeks)).start,
    end: isoWeekWindow(week).end,
  };
}

function tally(state: CarriedState, result: GroupResult): void {
  const t = state.totals;
  if (result.status === 'failed') {
    t.groupsFailed++;
    if (t.failures.length < MAX_FAILURES_KEPT) {
      t.failures.push({
        groupId: result.groupId,
        tile: result.tile,
        reason: result.error ?? 'failed',
      });
    }
  }
  if (result.status === 'no-scenes') t.groupsWithoutScenes++;
  t.scenesProcessed += result.scenesProcessed;
  t.scenesFailed += result.scenesFailed.length;
  t.scenesSkipped += result.scenesSkipped;
  t.observations += result.observations;
}

function failedGroup(group: PlannedGroup, error: unknown): GroupResult {
  return {
    groupId: group.groupId,
    tile: group.tile,
    status: 'failed',
    scenesFound: 0,
    scenesProcessed: 0,
    scenesSkipped: 0,
    scenesFailed: [],
    observations: 0,
    bytesRead: 0,
    error: rootMessage(error),
  };
}

/** The innermost message of a child or activity failure: what actually went wrong. */
function rootMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  if (current instanceof ChildWorkflowFailure) return current.message;
  return current instanceof Error ? current.message : String(current);
}

function runRecord(
  workflowId: string,
  state: CarriedState,
  input: WeeklyRunInput,
  status: 'running' | 'completed' | 'failed' | 'cancelled',
  error?: string,
) {
  return {
    workflowId,
    runId: state.runId,
    kind: 'weekly' as const,
    window: isoWeekWindow(state.week),
    trigger: input.trigger ?? 'manual',
    triggeredBy: input.triggeredBy,
    status,
    error,
    codeVersion: state.settings.codeVersion,
  };
}

function countsOf(result: WeeklyRunResult): Record<string, number> {
  return {
    groups: result.groups,
    groupsFailed: result.groupsFailed,
    groupsWithoutScenes: result.groupsWithoutScenes,
    scenesProcessed: result.scenesProcessed,
    scenesFailed: result.scenesFailed,
    scenesSkipped: result.scenesSkipped,
    observations: result.observations,
    weeklyRows: result.weeklyRows,
  };
}
