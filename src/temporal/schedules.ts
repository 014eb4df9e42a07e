import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleDescription,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import { BadInputError } from '../core/errors';

/** Monday 03:00 UTC: last week's acquisitions are in the catalogue by then. */
export const DEFAULT_WEEKLY_CRON = '0 3 * * MON';
/** A week still running when the next is due: queue that one, never two in parallel. */
export const DEFAULT_OVERLAP: ScheduleOverlapPolicy = 'BUFFER_ONE';
/** After a Temporal outage, runs missed in the last three days are still taken. */
export const DEFAULT_CATCHUP_WINDOW = '3 days';

export const OVERLAP_POLICIES = [
  'SKIP',
  'BUFFER_ONE',
  'BUFFER_ALL',
  'CANCEL_OTHER',
  'TERMINATE_OTHER',
  'ALLOW_ALL',
] as const;

export interface WeeklyScheduleOptions {
  scheduleId: string;
  taskQueue: string;
  cron?: string;
  overlap?: ScheduleOverlapPolicy;
  catchupWindow?: string;
  paused?: boolean;
  note?: string;
  /** Input of each scheduled run (indices, tiles, …). */
  input?: Record<string, unknown>;
  /** The workflow each run starts. @default 'scheduledWeeklyRun' */
  workflowType?: string;
}

/**
 * Creates the weekly schedule, or updates it in place when it exists (same id): its runs start
 * `scheduledWeeklyRun`, which processes the week that just ended. Returns whether it was created.
 */
export async function upsertWeeklySchedule(
  client: Client,
  options: WeeklyScheduleOptions,
): Promise<'created' | 'updated'> {
  const cron = options.cron ?? DEFAULT_WEEKLY_CRON;
  if (cron.trim().split(/\s+/).length !== 5) {
    throw new BadInputError(
      `--cron "${cron}" is not a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "${DEFAULT_WEEKLY_CRON}"`,
      {
        code: 'SCHEDULE_BAD_CRON',
      },
    );
  }
  const spec = { cronExpressions: [cron] };
  const policies = {
    overlap: options.overlap ?? DEFAULT_OVERLAP,
    catchupWindow: options.catchupWindow ?? DEFAULT_CATCHUP_WINDOW,
    pauseOnFailure: false,
  };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: options.workflowType ?? 'scheduledWeeklyRun',
    args: [options.input ?? {}],
    taskQueue: options.taskQueue,
    workflowId: `${options.scheduleId}-run`,
  };
  try {
    await client.schedule.create({
      scheduleId: options.scheduleId,
      spec,
      action,
      policies,
      // The server turns cron into calendars; the memo keeps the expression as given, for describe.
      memo: { cron },
      state: { paused: options.paused ?? false, note: options.note },
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({
    ...previous,
    memo: { ...previous.memo, cron },
    spec,
    action,
    policies,
    state: {
      ...previous.state,
      ...(options.paused === undefined ? {} : { paused: options.paused }),
      note: options.note,
    },
  }));
  return 'updated';
}

/** Sunday 04:00 UTC: away from the Monday weekly run, on a quiet day. */
export const DEFAULT_PURGE_CRON = '0 4 * * SUN';
/** A purge still running when the next is due: skip that one (the next purge catches up). */
export const DEFAULT_PURGE_OVERLAP: ScheduleOverlapPolicy = 'SKIP';

/**
 * Creates or updates (same id) the purge schedule: its runs start `scheduledPurge`, which applies
 * the retention policy as of the time the run was due.
 */
export async function upsertPurgeSchedule(
  client: Client,
  options: Omit<WeeklyScheduleOptions, 'workflowType'>,
): Promise<'created' | 'updated'> {
  return upsertWeeklySchedule(client, {
    ...options,
    cron: options.cron ?? DEFAULT_PURGE_CRON,
    overlap: options.overlap ?? DEFAULT_PURGE_OVERLAP,
    workflowType: 'scheduledPurge',
  });
}

export interface ScheduleSummary {
  scheduleId: string;
  cron: string | undefined;
  paused: boolean;
  note: string | undefined;
  overlap: string;
  catchupWindowMs: number;
  workflowType: string;
  taskQueue: string;
  nextRuns: string[];
  recentRuns: Array<{ scheduledAt: string; takenAt: string; workflowId: string; runId: string }>;
  runningWorkflows: string[];
}

export async function describeSchedule(
  client: Client,
  scheduleId: string,
): Promise<ScheduleSummary> {
  const d: ScheduleDescription = await withSchedule(scheduleId, () =>
    client.schedule.getHandle(scheduleId).describe(),
  );
  return {
    scheduleId,
    cron: typeof d.memo?.cron === 'string' ? d.memo.cron : undefined,
    paused: d.state.paused,
    note: d.state.note,
    overlap: d.policies.overlap ?? 'SKIP',
    catchupWindowMs: d.policies.catchupWindow,
    workflowType: d.action.workflowType,
    taskQueue: d.action.taskQueue,
    nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      takenAt: a.takenAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
      runId: a.action.workflow.firstExecutionRunId,
    })),
    runningWorkflows: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
}

/** Runs an operation on a schedule, turning "not found" into an error that says what to do. */
export async function withSchedule<T>(scheduleId: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) {
      throw new BadInputError(
        `Schedule "${scheduleId}" does not exist; create it with \`parcelwatch schedule create\``,
        {
          code: 'SCHEDULE_NOT_FOUND',
        },
      );
    }
    throw error;
  }
}

/** The schedule settings as `schedule create` and `purge schedule` take them on the command line. */
export interface ScheduleFlags {
  cron?: string;
  overlap: string;
  catchup: string;
  paused?: boolean;
  note?: string;
}

/**
 * The settings the flags ask for, the cron falling back to `defaultCron` (the configured one):
 * what goes into the upsert and, as given, into the audit log.
 */
export function scheduleSettings(
  flags: ScheduleFlags,
  defaultCron: string,
): Pick<WeeklyScheduleOptions, 'overlap' | 'paused' | 'note'> & {
  cron: string;
  catchupWindow: string;
} {
  return {
    cron: flags.cron ?? defaultCron,
    overlap: parseOverlap(flags.overlap),
    catchupWindow: flags.catchup,
    paused: flags.paused,
    note: flags.note,
  };
}

export function parseOverlap(value: string): ScheduleOverlapPolicy {
  const upper = value.toUpperCase().replace(/-/g, '_');
  if (!(OVERLAP_POLICIES as readonly string[]).includes(upper)) {
    throw new BadInputError(
      `--overlap ${value}: choose among ${OVERLAP_POLICIES.join(', ').toLowerCase().replace(/_/g, '-')}`,
      {
        code: 'SCHEDULE_BAD_OVERLAP',
      },
    );
  }
  return ScheduleOverlapPolicy[upper as (typeof OVERLAP_POLICIES)[number]];
}
