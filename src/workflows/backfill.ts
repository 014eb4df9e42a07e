import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  executeChild,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { formatIsoWeek, isoWeekRange, parseIsoWeek } from '../core/time/iso-week';
import { type WeeklyRunResult, weeklyRun } from './weekly-run';

export interface BackfillInput {
  /** First ISO week, e.g. `2026-W40`. */
  from: string;
  /** Last ISO week, included. */
  to: string;
  groupIds?: number[];
  tiles?: string[];
  indices?: string[];
  reprocess?: boolean;
  /** Each week runs with a canary (see weeklyRun). */
  canary?: boolean | { groups: number };
  triggeredBy?: string;
  /** Weeks per run before continuing as new (keeps the history short). @default 8 */
  weeksPerRun?: number;
  /** Internal: carried across continue-as-new. */
  carried?: { next: string; weeks: BackfillWeek[] };
}

export interface BackfillWeek {
  week: string;
  status: 'completed' | 'degraded' | 'failed' | 'already-running';
  observations: number;
  reason?: string;
}

export interface BackfillProgress {
  from: string;
  to: string;
  done: number;
  failed: number;
  remaining: number;
  current: string | null;
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

/** Weeks handled by one run of the backfill before it continues as new. */
const DEFAULT_WEEKS_PER_RUN = 8;

/**
 * Runs the weekly job over a range of past weeks, oldest first, one `weeklyRun` child per week
 * (ids `weekly-<week>`, so a week already running is not started twice and a week already done
 * is only brought up to date). A failed week is recorded and the backfill goes on; it continues
 * as new every few weeks, so any range fits in the history limits. The `progress` query reports
 * weeks done, failed and remaining.
 */
export async function backfill(input: BackfillInput): Promise<{ weeks: BackfillWeek[] }> {
  let weeks: string[];
  try {
    weeks = isoWeekRange(
      formatIsoWeek(parseIsoWeek(input.from, 'from')),
      formatIsoWeek(parseIsoWeek(input.to, 'to')),
    );
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'BadInputError');
  }
  const done = input.carried?.weeks ?? [];
  const next = input.carried?.next ?? weeks[0]!;
  const todo = weeks.slice(weeks.indexOf(next));
  let current: string | null = null;
  setHandler(backfillProgressQuery, () => ({
    from: input.from,
    to: input.to,
    done: done.length,
    failed: done.filter((w) => w.status === 'failed').length,
    remaining: todo.length,
    current,
  }));
  const perRun = Math.max(1, input.weeksPerRun ?? DEFAULT_WEEKS_PER_RUN);
  let handled = 0;
  while (todo.length > 0) {
    if (handled >= perRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof backfill>({ ...input, carried: { next: todo[0]!, weeks: done } });
    }
    current = todo.shift()!;
    done.push(await runWeek(input, current));
    current = null;
    handled++;
  }
  return { weeks: done };
}

async function runWeek(input: BackfillInput, week: string): Promise<BackfillWeek> {
  try {
    const result: WeeklyRunResult = await executeChild(weeklyRun, {
      workflowId: `weekly-${week}`,
      args: [
        {
          week,
          groupIds: input.groupIds,
          tiles: input.tiles,
          indices: input.indices,
          reprocess: input.reprocess,
          canary: input.canary,
          trigger: 'backfill',
          triggeredBy: input.triggeredBy ?? workflowInfo().workflowId,
        },
      ],
    });
    return {
      week,
      status: result.status === 'degraded' ? 'degraded' : 'completed',
      observations: result.observations,
      reason: result.breaches?.join('; ') || undefined,
    };
  } catch (error) {
    if (isCancellation(error)) throw error;
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        week,
        status: 'already-running',
        observations: 0,
        reason: 'a run of this week is in progress',
      };
    }
    const cause = (error as Error).cause;
    return {
      week,
      status: 'failed',
      observations: 0,
      reason: cause instanceof Error ? cause.message : (error as Error).message,
    };
  }
}
