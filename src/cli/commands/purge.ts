import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { BadInputError } from '../../core/errors';
import type { ScheduleFlags } from '../../temporal/schedules';
import type { PurgeInput, PurgeResult } from '../../workflows/purge';
import { type RecordAction, withAuditLog } from '../audit';
import { printJson } from '../output';
import { parseInstant } from '../parse';
import { withTemporal } from '../temporal-client';

/** Loaded on use: the Temporal client is slow to load and most commands do not need it. */
const runs = () => require('../../temporal/runs') as typeof import('../../temporal/runs');
const schedules = () =>
  require('../../temporal/schedules') as typeof import('../../temporal/schedules');

/** Every real purge runs as this workflow id, so two never run at once (see scheduledPurge). */
const PURGE_ID = 'purge';
/** Dry runs change nothing, so they get an id of their own and never block a real purge. */
const DRY_RUN_ID = 'purge-dry-run';

interface DaysOptions {
  rawDays?: string;
  cleanDays?: string;
  observationsDays?: string;
}

interface PurgeOptions extends DaysOptions {
  dryRun?: boolean;
  now?: string;
  wait?: boolean;
  json?: boolean;
}

function withDays(command: Command): Command {
  return command
    .option('--raw-days <n>', 'days to keep raw rasters (default: PARCELWATCH_RETENTION_RAW_DAYS)')
    .option(
      '--clean-days <n>',
      'days to keep clean rasters (default: PARCELWATCH_RETENTION_CLEAN_DAYS)',
    )
    .option(
      '--observations-days <n>',
      'days to keep observations (default: PARCELWATCH_RETENTION_OBSERVATIONS_DAYS); an index whose datasets row sets retention_days keeps that',
    );
}

export function registerPurge(program: Command): void {
  const purge = withDays(
    program
      .command('purge')
      .description(
        'Apply the retention policy: archive expired observations to the datalake (verified), then delete them and old rasters',
      ),
  )
    .option('--dry-run', 'list what would be archived and deleted; change nothing')
    .option('--now <instant>', 'count retention back from this instant (default: now; never later)')
    .option('--wait', 'wait for the purge to end and print what it did; the exit code says how')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Observations older than their retention are written to archive/observations/<yyyy-mm>/<index>/… in
the datalake as gzipped CSV with a manifest, read back and verified, and only then deleted. Raw and
clean rasters go when their acquisition day is past retention. An archive failure deletes nothing.

Examples:
  $ parcelwatch purge --dry-run --wait
  $ parcelwatch purge --observations-days 730 --wait
  $ parcelwatch purge schedule                       # every Sunday 04:00 UTC
Equivalent with the Temporal CLI:
  $ temporal workflow start --type purge --task-queue parcelwatch-io --workflow-id purge-dry-run --input '{"dryRun":true}'`,
    )
    .action(async (options: PurgeOptions) => {
      const input: PurgeInput = {
        ...days(options),
        dryRun: options.dryRun,
        now:
          options.now === undefined ? undefined : parseInstant(options.now, '--now').toISOString(),
        trigger: 'manual',
        triggeredBy: runs().currentActor(),
      };
      const config = loadConfig();
      // A dry run changes nothing: it is not an admin action and needs no audit log.
      const audited = <T>(fn: (record: RecordAction) => Promise<T>) =>
        options.dryRun ? fn(async () => undefined) : withAuditLog(fn);
      await audited((record) =>
        withTemporal(config, async (client) => {
          const workflowId = options.dryRun ? DRY_RUN_ID : PURGE_ID;
          let handle: WorkflowHandleWithFirstExecutionRunId;
          try {
            handle = await client.workflow.start('purge', {
              taskQueue: config.temporal.taskQueues.io,
              workflowId,
              args: [input],
              memo: { triggeredBy: input.triggeredBy },
            });
          } catch (error) {
            const { WorkflowExecutionAlreadyStartedError } =
              require('@temporalio/client') as typeof import('@temporalio/client');
            if (error instanceof WorkflowExecutionAlreadyStartedError) {
              throw new BadInputError(
                `${workflowId} is already running; wait for it (Temporal UI) or cancel it first`,
                { code: 'RUN_ALREADY_RUNNING' },
              );
            }
            throw error;
          }
          await record({
            action: 'purge.start',
            target: `workflow:${handle.workflowId}`,
            details: { runId: handle.firstExecutionRunId, ...input },
          });
          await report(handle, options);
        }),
      );
    });

  withDays(
    purge
      .command('schedule')
      .description('Create the purge schedule, or update it in place if it exists'),
  )
    .option('--id <scheduleId>', 'schedule id (default: PARCELWATCH_PURGE_SCHEDULE_ID)')
    .option(
      '--cron <expression>',
      'cron expression in UTC (default: PARCELWATCH_PURGE_SCHEDULE_CRON, "0 4 * * SUN")',
    )
    .option('--overlap <policy>', 'when a purge is still going', 'skip')
    .option('--catchup <duration>', 'missed runs within this window are still taken', '1 day')
    .option('--paused', 'create it paused')
    .option('--note <text>', 'a note shown with the schedule')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Its runs start scheduledPurge, which purges as of the time the run was due, as workflow "purge".
Inspect, pause, trigger or delete it with the schedule commands and its id:
  $ parcelwatch schedule describe --id parcelwatch-purge
  $ parcelwatch schedule pause --id parcelwatch-purge --note "audit in progress"`,
    )
    .action(async (options: DaysOptions & ScheduleFlags & { id?: string; json?: boolean }) => {
      const { scheduleSettings, upsertPurgeSchedule } = schedules();
      const config = loadConfig();
      const scheduleId = options.id ?? config.retention.scheduleId;
      const input = days(options);
      const spec = scheduleSettings(options, config.retention.scheduleCron);
      await withAuditLog((record) =>
        withTemporal(config, async (client) => {
          const outcome = await upsertPurgeSchedule(client, {
            scheduleId,
            taskQueue: config.temporal.taskQueues.io,
            ...spec,
            input: { ...input },
          });
          await record({
            action: outcome === 'created' ? 'schedule.create' : 'schedule.update',
            target: `schedule:${scheduleId}`,
            details: { ...spec, purge: input },
          });
          if (options.json) printJson({ scheduleId, outcome });
          else console.log(`schedule ${scheduleId} ${outcome}`);
        }),
      );
    });
}

/** The retention days given on the command line (absent ones fall to the workers' settings). */
function days(
  options: DaysOptions,
): Pick<PurgeInput, 'rawDays' | 'cleanDays' | 'observationsDays'> {
  const parse = (value: string | undefined, option: string): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
      throw new BadInputError(`${option} "${value}" is not a whole number of days (1 or more)`, {
        code: 'OPTION_INVALID',
      });
    }
    return n;
  };
  const out: Pick<PurgeInput, 'rawDays' | 'cleanDays' | 'observationsDays'> = {};
  const raw = parse(options.rawDays, '--raw-days');
  const clean = parse(options.cleanDays, '--clean-days');
  const observations = parse(options.observationsDays, '--observations-days');
  if (raw !== undefined) out.rawDays = raw;
  if (clean !== undefined) out.cleanDays = clean;
  if (observations !== undefined) out.observationsDays = observations;
  return out;
}

async function report(
  handle: WorkflowHandleWithFirstExecutionRunId,
  options: PurgeOptions,
): Promise<void> {
  const started = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  if (!options.wait) {
    if (options.json) printJson(started);
    else console.log(`started ${started.workflowId} (run ${started.runId}); follow it with --wait`);
    return;
  }
  if (!options.json) console.log(`started ${started.workflowId}; waiting…`);
  await runs().followProgress<Record<string, unknown>>(handle, (progress) => {
    if (!options.json)
      console.log(
        `  ${Object.entries(progress)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
  });
  try {
    const result = (await handle.result()) as PurgeResult;
    if (options.json) printJson({ ...started, status: 'completed', result });
    else console.log(describePurge(result));
  } catch (error) {
    const cause =
      (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    if (options.json) printJson({ ...started, status: 'failed', error: cause });
    else console.error(`${started.workflowId} failed: ${cause}`);
    process.exitCode = 1;
  }
}

/** What a purge did (or would do), for people. */
export function describePurge(result: PurgeResult): string {
  const o = result.observations;
  const verb = result.dryRun ? 'would' : 'did';
  const overrides = Object.entries(result.policy.observationsDaysByIndex)
    .map(([index, d]) => `${index} ${d}`)
    .join(', ');
  const lines = [
    `purge${result.dryRun ? ' (dry run: nothing archived or deleted)' : ''} as of ${result.now}`,
    `observations: keep ${result.policy.observationsDays} days${overrides ? ` (${overrides})` : ''}; acquired before ${result.cutoffs.observations.default}`,
    `  expired: ${o.expiredRows} rows${o.expired.length ? ` (${o.expired.map((e) => `${e.month} ${e.index} ${e.rows}`).join(', ')})` : ''}`,
  ];
  if (!result.dryRun) {
    lines.push(
      `  archived: ${o.archived} rows in ${o.archiveObjectCount} objects (${o.archiveObjectsWritten} written)`,
      `  deleted: ${o.deleted} rows${o.partitionsDropped.length ? `; partitions dropped: ${o.partitionsDropped.join(', ')}` : ''}${o.notArchived ? `; ${o.notArchived} expired rows kept, not in a verified archive yet` : ''}`,
    );
  }
  for (const r of [result.raw, result.clean]) {
    const kept = r.area === 'raw' ? result.policy.rawDays : result.policy.cleanDays;
    lines.push(
      `${r.area} rasters: keep ${kept} days; acquisition days ending by ${r.cutoff}`,
      `  ${verb === 'would' ? 'would delete' : 'deleted'} ${result.dryRun ? r.objects : r.deleted} objects (${r.bytes} bytes) of ${r.sceneGroupCount} scene groups${r.unrecognised ? `; ${r.unrecognised} objects off the layout left alone` : ''}`,
      ...r.sceneGroups.slice(0, 20).map((g) => `    ${g}`),
    );
    if (r.sceneGroupCount > 20) lines.push(`    … and ${r.sceneGroupCount - 20} more`);
  }
  const personal = result.raw.personalData;
  if (personal) {
    lines.push(
      `personal data: keep ${personal.days} days after the last import that carried it; imported before ${personal.cutoff}`,
      `  ${result.dryRun ? `would erase ${personal.expired}` : `erased ${personal.erased}`} records (parcels stay)`,
    );
  }
  return lines.join('\n');
}
