import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  isCancellation,
  log,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { GroupResult, PlannedGroup, RunSettings, RunTrigger } from '../activities/contracts';
import type { RunKpis } from '../core/kpis';
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
  /**
   * Process a sample of groups first and stop, with a report, before touching the rest when their
   * KPIs fall below the thresholds. `true` samples 10 % of the groups (at least one).
   */
  canary?: boolean | { groups: number };
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
  status: 'completed' | 'degraded' | 'failed';
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
  /** Data-quality KPIs of the run, and the thresholds it missed (a `degraded` run). */
  kpis?: RunKpis;
  breaches?: string[];
}

interface CarriedState {
  week: string;
  settings: RunSettings;
  runId: string;
  pending: PlannedGroup[];
  total: number;
  totals: Omit<
    WeeklyRunResult,
    'week' | 'status' | 'weeklyRows' | 'groups' | 'kpis' | 'breaches'
  > & {
    scenesFound?: number;
    bytesDownloaded?: number;
  };
  groupIds: number[];
  /** Canary phase: the sample still to check before `pending` may start. */
  canary?: { pending: PlannedGroup[]; groupIds: number[]; passed: boolean };
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
  const pendingCount = () =>
    state.pending.length + (state.canary?.passed === false ? state.canary.pending.length : 0);
  setHandler(progressQuery, () => ({
    week,
    total: state.total,
    done: state.total - pendingCount() - running,
    failed: state.totals.groupsFailed,
    running,
    remaining: pendingCount(),
  }));

  const window = searchWindow(week, settings.lookbackWeeks);
  const limit = Math.max(1, input.maxConcurrentGroups ?? settings.maxConcurrentGroups);
  let started = 0;
  /** Runs queued groups as children, at most `limit` at once, until the queue empties or the history should restart. */
  const runGroups = async (queue: PlannedGroup[]): Promise<void> => {
    const inFlight: Promise<void>[] = [];
    while (queue.length > 0) {
      if (started >= CHILDREN_PER_RUN || info.continueAsNewSuggested) break;
      await condition(() => running < limit);
      const group = queue.shift()!;
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
      const outcome = child
        .result()
        .then((result) => tally(state, result))
        .catch((error: unknown) => {
          if (isCancellation(error)) throw error;
          tally(state, failedGroup(group, error));
        })
        .finally(() => {
          running--;
        });
      // Handled here too: when the run is cancelled while it waits to start the next child, this
      // loop is left before Promise.all, and the child's cancellation arriving later must not be
      // an unhandled rejection (that fails the workflow task and leaves the run RUNNING for good).
      outcome.catch(() => undefined);
      inFlight.push(outcome);
    }
    await Promise.all(inFlight);
  };

  try {
    if (state.canary && !state.canary.passed) {
      await runGroups(state.canary.pending);
      if (state.canary.pending.length > 0) {
        await continueAsNew<typeof weeklyRun>({ ...input, carried: state });
      }
      await checkCanary(info.workflowId, state, input, window);
      state.canary.passed = true;
    }
    await runGroups(state.pending);
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
  const { scenesFound: _found, bytesDownloaded: _bytes, ...totals } = state.totals;
  const result: WeeklyRunResult = {
    week,
    status: failed ? 'failed' : 'completed',
    groups: state.total,
    weeklyRows: prepared.rows,
    ...totals,
  };
  const reasons = failed
    ? [
        `${state.totals.groupsFailed} of ${state.total} groups failed: ${state.totals.failures
          .slice(0, 3)
          .map((f) => `group ${f.tile}/${f.groupId}: ${f.reason}`)
          .join('; ')}`,
      ]
    : [];
  // Runs recorded before KPIs existed replay without these steps.
  const withKpis = patched('run-kpis-and-alerts');
  if (withKpis) {
    const verdict = await io.record.computeRunKpis(kpiInput(state, state.groupIds, window));
    result.kpis = verdict.kpis;
    result.breaches = verdict.breaches;
    if (!failed && verdict.status === 'degraded') {
      result.status = 'degraded';
      reasons.push(...verdict.breaches);
    }
  }
  await io.record.recordRun({
    ...runRecord(
      info.workflowId,
      state,
      input,
      result.status,
      reasons.length ? reasons.join('; ') : undefined,
    ),
    counts: countsOf(result),
    kpis: result.kpis ? { ...result.kpis } : undefined,
  });
  if (withKpis && result.status !== 'completed') {
    await alert(info.workflowId, state, input, result.status, reasons, result.kpis);
  }
  if (failed) {
    throw ApplicationFailure.nonRetryable(
      `Weekly run ${week} failed: ${reasons[0]}`,
      'WeeklyRunFailed',
      result,
    );
  }
  return result;
}

/**
 * The canary's verdict: the sample's KPIs against the thresholds. Below them (or a sample group
 * failed), the run stops here with a report, recorded and alerted, before touching the rest.
 */
async function checkCanary(
  workflowId: string,
  state: CarriedState,
  input: WeeklyRunInput,
  window: { start: string; end: string },
): Promise<void> {
  const canary = state.canary!;
  const verdict = await io.record.computeRunKpis(kpiInput(state, canary.groupIds, window));
  const reasons = [...verdict.breaches];
  if (state.totals.groupsFailed > 0) {
    reasons.unshift(
      `${state.totals.groupsFailed} of ${canary.groupIds.length} canary groups failed: ${state.totals.failures[0]?.reason ?? ''}`,
    );
  }
  if (reasons.length === 0) return;
  const report = `canary of ${canary.groupIds.length} of ${state.total} groups fell below the thresholds; ${state.pending.length} groups were not processed: ${reasons.join('; ')}`;
  await io.record.recordRun({
    ...runRecord(workflowId, state, input, 'failed', report),
    counts: { canaryGroups: canary.groupIds.length, groupsNotProcessed: state.pending.length },
    kpis: { ...verdict.kpis },
  });
  await alert(workflowId, state, input, 'failed', [report], verdict.kpis);
  throw ApplicationFailure.nonRetryable(
    `Weekly run ${state.week} stopped by its canary: ${report}`,
    'CanaryFailed',
    verdict,
  );
}

/** Alerts go out best-effort: a webhook that stays down must not change the run's outcome. */
async function alert(
  workflowId: string,
  state: CarriedState,
  input: WeeklyRunInput,
  status: 'failed' | 'degraded',
  reasons: string[],
  kpis?: RunKpis,
): Promise<void> {
  try {
    await io.record.sendAlert({
      workflowId,
      runId: state.runId,
      kind: 'weekly',
      subject: state.week,
      status,
      reasons,
      trigger: triggerOf(input),
      triggeredBy: input.triggeredBy,
      kpis,
    });
  } catch (error) {
    if (isCancellation(error)) throw error;
    log.error('alert could not be sent', { workflowId, error: (error as Error).message });
  }
}

function kpiInput(state: CarriedState, groupIds: number[], window: { start: string; end: string }) {
  const t = state.totals;
  return {
    groupIds,
    window,
    scenesFound: t.scenesFound ?? 0,
    scenesUsed: t.scenesProcessed,
    scenesFailed: t.scenesFailed,
    failedActivities: t.scenesFailed + t.groupsFailed,
    bytesDownloaded: t.bytesDownloaded ?? 0,
  };
}

/** `canary` for runs started with a canary, unless a trigger was given. */
function triggerOf(input: WeeklyRunInput): RunTrigger {
  return input.trigger ?? (input.canary ? 'canary' : 'manual');
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
  const planned: CarriedState = {
    ...initial,
    pending: plan.groups,
    total: plan.groups.length,
    groupIds: plan.groups.map((g) => g.groupId),
  };
  if (input.canary) {
    const sample = canarySample(
      plan.groups,
      input.canary === true ? undefined : input.canary.groups,
    );
    const chosen = new Set(sample.map((g) => g.groupId));
    planned.pending = plan.groups.filter((g) => !chosen.has(g.groupId));
    planned.canary = { pending: sample, groupIds: sample.map((g) => g.groupId), passed: false };
  }
  return planned;
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

/** Share of groups a canary processes by default. */
const CANARY_SHARE = 0.1;

/** A deterministic sample spread over the plan (every k-th group, so every tile is likely represented). */
export function canarySample(groups: PlannedGroup[], size?: number): PlannedGroup[] {
  const n = Math.min(groups.length, Math.max(1, size ?? Math.ceil(groups.length * CANARY_SHARE)));
  const step = groups.length / n;
  return Array.from({ length: n }, (_, i) => groups[Math.floor(i * step)]!);
}

function tally(state: CarriedState, result: GroupResult): void {
  const t = state.totals;
  t.scenesFound = (t.scenesFound ?? 0) + result.scenesFound;
  t.bytesDownloaded = (t.bytesDownloaded ?? 0) + result.bytesRead;
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
  status: 'running' | 'completed' | 'degraded' | 'failed' | 'cancelled',
  error?: string,
) {
  return {
    workflowId,
    runId: state.runId,
    kind: 'weekly' as const,
    window: isoWeekWindow(state.week),
    trigger: triggerOf(input),
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
