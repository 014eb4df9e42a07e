import {
  defineSearchAttributeKey,
  SearchAttributeType,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/common';
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { RetentionDaysInput } from '../activities/purge';
import { type PurgeResult, purge } from './purge';

/** Set by Temporal on runs started by a schedule: the time the run was due, and the schedule. */
const SCHEDULED_START = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);
const SCHEDULED_BY = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

/** The workflow id of every real purge: two purges never run at once. */
export const PURGE_WORKFLOW_ID = 'purge';

export type ScheduledPurgeInput = RetentionDaysInput;

export interface ScheduledPurgeResult {
  status: 'ran' | 'already-running';
  result?: PurgeResult;
}

/**
 * What the purge schedule starts: a `purge` child under the fixed id `purge`, counting retention
 * from the time the run was due (so a late catch-up purges what was due then). A purge already
 * running (started by hand) is left to finish.
 */
export async function scheduledPurge(
  input: ScheduledPurgeInput = {},
): Promise<ScheduledPurgeResult> {
  const info = workflowInfo();
  const due = info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime;
  try {
    const result = await executeChild(purge, {
      workflowId: PURGE_WORKFLOW_ID,
      args: [
        {
          rawDays: input.rawDays,
          cleanDays: input.cleanDays,
          observationsDays: input.observationsDays,
          now: due.toISOString(),
          trigger: 'schedule',
          triggeredBy: info.typedSearchAttributes.get(SCHEDULED_BY) ?? info.workflowId,
        },
      ],
    });
    return { status: 'ran', result };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { status: 'already-running' };
    throw error;
  }
}
