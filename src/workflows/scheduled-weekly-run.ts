import {
  defineSearchAttributeKey,
  SearchAttributeType,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/common';
import { executeChild, workflowInfo } from '@temporalio/workflow';
import { addIsoWeeks, formatIsoWeek, isoWeekOf } from '../core/time/iso-week';
import { type WeeklyRunInput, type WeeklyRunResult, weeklyRun } from './weekly-run';

/** Set by Temporal on runs started by a schedule: the time the run was due, and the schedule. */
const SCHEDULED_START = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);
const SCHEDULED_BY = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

export type ScheduledWeeklyRunInput = Omit<WeeklyRunInput, 'week' | 'trigger' | 'carried'>;

export interface ScheduledWeeklyRunResult {
  week: string;
  status: 'ran' | 'already-running';
  result?: WeeklyRunResult;
}

/**
 * What the weekly schedule starts: it works out the week that just ended from the time the run was
 * due (so a schedule backfill or a late catch-up processes the right week) and runs `weeklyRun` as
 * child `weekly-<week>`. A week already being run by hand is left to that run.
 */
export async function scheduledWeeklyRun(
  input: ScheduledWeeklyRunInput = {},
): Promise<ScheduledWeeklyRunResult> {
  const info = workflowInfo();
  const due = info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime;
  const week = formatIsoWeek(addIsoWeeks(isoWeekOf(due), -1));
  try {
    const result = await executeChild(weeklyRun, {
      workflowId: `weekly-${week}`,
      args: [
        {
          ...input,
          week,
          trigger: 'schedule',
          triggeredBy: info.typedSearchAttributes.get(SCHEDULED_BY) ?? info.workflowId,
        },
      ],
    });
    return { week, status: 'ran', result };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      return { week, status: 'already-running' };
    throw error;
  }
}
