import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { currentActor } from '../core/actor';
import { BadInputError } from '../core/errors';
import { addIsoWeeks, formatIsoWeek, isoWeekOf, parseIsoWeek } from '../core/time/iso-week';

/** Who starts a run from this machine: recorded with the run (input and memo) and in the audit log. */
export { currentActor };

export interface StartWeeklyOptions {
  week?: string;
  tiles?: string[];
  groupIds?: number[];
  indices?: string[];
  reprocess?: boolean;
  canary?: boolean | { groups: number };
  taskQueue: string;
}

/** The week a manual run processes by default: the last complete ISO week. */
export function lastCompleteWeek(now = new Date()): string {
  return formatIsoWeek(addIsoWeeks(isoWeekOf(now), -1));
}

/**
 * Starts `weeklyRun` for one week by hand, as `weekly-<week>`. A run of that week already in
 * progress is refused with a message naming it (the same week is never processed twice at once).
 */
export async function startWeekly(
  client: Client,
  options: StartWeeklyOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const week = formatIsoWeek(parseIsoWeek(options.week ?? lastCompleteWeek(), '--week'));
  const workflowId = `weekly-${week}`;
  try {
    return await client.workflow.start('weeklyRun', {
      taskQueue: options.taskQueue,
      workflowId,
      args: [
        {
          week,
          tiles: options.tiles,
          groupIds: options.groupIds,
          indices: options.indices,
          reprocess: options.reprocess,
          canary: options.canary,
          trigger: options.canary ? 'canary' : 'manual',
          triggeredBy: currentActor(),
        },
      ],
      memo: { triggeredBy: currentActor() },
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new BadInputError(
        `${workflowId} is already running; follow it with \`parcelwatch run --week ${week} --wait\` or in the Temporal UI, or cancel it first`,
        {
          code: 'RUN_ALREADY_RUNNING',
        },
      );
    }
    throw error;
  }
}

export interface StartBackfillOptions {
  from: string;
  to: string;
  tiles?: string[];
  groupIds?: number[];
  indices?: string[];
  reprocess?: boolean;
  canary?: boolean | { groups: number };
  weeksPerRun?: number;
  taskQueue: string;
}

/** Starts `backfill` over a week range as `backfill-<from>-<to>`. */
export async function startBackfill(
  client: Client,
  options: StartBackfillOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const from = formatIsoWeek(parseIsoWeek(options.from, '--from'));
  const to = formatIsoWeek(parseIsoWeek(options.to, '--to'));
  const workflowId = `backfill-${from}-${to}`;
  try {
    return await client.workflow.start('backfill', {
      taskQueue: options.taskQueue,
      workflowId,
      args: [
        {
          from,
          to,
          tiles: options.tiles,
          groupIds: options.groupIds,
          indices: options.indices,
          reprocess: options.reprocess,
          canary: options.canary,
          weeksPerRun: options.weeksPerRun,
          triggeredBy: currentActor(),
        },
      ],
      memo: { triggeredBy: currentActor() },
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new BadInputError(
        `${workflowId} is already running; follow it in the Temporal UI or cancel it first`,
        { code: 'RUN_ALREADY_RUNNING' },
      );
    }
    throw error;
  }
}

/**
 * Starts a new run of a closed workflow with the input its first run was given (the same id: a
 * failed week is retried as `weekly-<week>` again). Refuses a workflow still running.
 */
export async function retryRun(
  client: Client,
  workflowId: string,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') {
    throw new BadInputError(
      `${workflowId} is still running; wait for it to end, or cancel it, before retrying`,
      { code: 'RUN_STILL_RUNNING' },
    );
  }
  const firstRunId = description.raw.workflowExecutionInfo?.firstRunId ?? description.runId;
  const history = await client.workflow.getHandle(workflowId, firstRunId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const args = (started?.input?.payloads ?? []).map((payload) =>
    defaultPayloadConverter.fromPayload(payload),
  );
  return client.workflow.start(description.type, {
    taskQueue: description.taskQueue,
    workflowId,
    args,
    memo: { triggeredBy: currentActor(), retryOf: firstRunId },
  });
}

/** Polls the `progress` query of a run until it ends, reporting each new value. */
export async function followProgress<P>(
  handle: WorkflowHandle,
  report: (progress: P) => void,
  intervalMs = 2000,
): Promise<void> {
  let last = '';
  const done = handle.result().then(
    () => undefined,
    () => undefined,
  );
  while (true) {
    const ended = await Promise.race([
      done.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), intervalMs)),
    ]);
    if (ended) return;
    try {
      const progress = await handle.query<P>('progress');
      const text = JSON.stringify(progress);
      if (text !== last) report(progress);
      last = text;
    } catch {
      // Not answering yet (between runs of a continue-as-new): try again at the next tick.
    }
  }
}
