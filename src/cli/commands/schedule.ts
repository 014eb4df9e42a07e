import type { Command } from 'commander';
import { loadConfig } from '../../config';
import type { ScheduleFlags } from '../../temporal/schedules';
import { withAuditLog } from '../audit';
import { printJson } from '../output';
import { parseInstant } from '../parse';
import { withTemporal } from '../temporal-client';

/** Loaded on use: the Temporal client is slow to load and most commands do not need it. */
const schedules = () =>
  require('../../temporal/schedules') as typeof import('../../temporal/schedules');

interface ScheduleCommonOptions {
  id?: string;
  json?: boolean;
}

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description(
      'The weekly schedule (Temporal Schedules): create, inspect, pause, trigger, backfill, delete',
    )
    .addHelpText(
      'after',
      `
The schedule starts scheduledWeeklyRun, which processes the ISO week that just ended as weekly-<week>.
Defaults: cron "0 3 * * MON" (UTC), overlap buffer-one, catch-up window 3 days; id from PARCELWATCH_SCHEDULE_ID.

Examples:
  $ parcelwatch schedule create
  $ parcelwatch schedule create --cron "30 2 * * TUE" --overlap skip --catchup "1 day"
  $ parcelwatch schedule describe --json
  $ parcelwatch schedule pause --note "datalake migration"
  $ parcelwatch schedule backfill --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z`,
    );
  const id = (options: ScheduleCommonOptions) => options.id ?? loadConfig().pipeline.scheduleId;

  schedule
    .command('create')
    .description('Create the weekly schedule, or update it in place if it exists')
    .option('--id <scheduleId>', 'schedule id (default: PARCELWATCH_SCHEDULE_ID)')
    .option(
      '--cron <expression>',
      'cron expression in UTC (default: PARCELWATCH_SCHEDULE_CRON, "0 3 * * MON")',
    )
    .option(
      '--overlap <policy>',
      'when a run is still going: skip, buffer-one, buffer-all, cancel-other, terminate-other, allow-all',
      'buffer-one',
    )
    .option(
      '--catchup <duration>',
      'missed runs within this window are still taken after an outage',
      '3 days',
    )
    .option('--paused', 'create it paused')
    .option('--note <text>', 'a note shown with the schedule')
    .option('--json', 'print the result as JSON')
    .action(async (options: ScheduleCommonOptions & ScheduleFlags) => {
      const { scheduleSettings, upsertWeeklySchedule } = schedules();
      const config = loadConfig();
      const spec = scheduleSettings(options, config.pipeline.scheduleCron);
      await withAuditLog((record) =>
        withTemporal(config, async (client) => {
          const outcome = await upsertWeeklySchedule(client, {
            scheduleId: id(options),
            taskQueue: config.temporal.taskQueues.io,
            ...spec,
          });
          await record({
            action: outcome === 'created' ? 'schedule.create' : 'schedule.update',
            target: `schedule:${id(options)}`,
            details: spec,
          });
          if (options.json) printJson({ scheduleId: id(options), outcome });
          else console.log(`schedule ${id(options)} ${outcome}`);
        }),
      );
    });

  schedule
    .command('describe')
    .description('Show the schedule: spec, policies, paused state, next and recent runs')
    .option('--id <scheduleId>', 'schedule id (default: PARCELWATCH_SCHEDULE_ID)')
    .option('--json', 'print the result as JSON')
    .action(async (options: ScheduleCommonOptions) => {
      const { describeSchedule } = schedules();
      await withTemporal(loadConfig(), async (client) => {
        const d = await describeSchedule(client, id(options));
        if (options.json) return printJson(d);
        console.log(
          `schedule:   ${d.scheduleId}${d.paused ? `  (PAUSED${d.note ? `: ${d.note}` : ''})` : ''}`,
        );
        console.log(`cron (UTC): ${d.cron ?? '(calendar spec)'}`);
        console.log(`starts:     ${d.workflowType} on ${d.taskQueue}`);
        console.log(
          `overlap:    ${d.overlap}, catch-up window ${Math.round(d.catchupWindowMs / 3_600_000)} h`,
        );
        console.log(`next:       ${d.nextRuns.slice(0, 3).join(', ') || '(none)'}`);
        console.log(`running:    ${d.runningWorkflows.join(', ') || '(none)'}`);
        for (const run of d.recentRuns.slice(-5))
          console.log(`recent:     ${run.scheduledAt} → ${run.workflowId}`);
      });
    });

  for (const [name, description] of [
    ['pause', 'Pause the schedule (no run starts until unpaused)'],
    ['unpause', 'Resume the schedule'],
  ] as const) {
    schedule
      .command(name)
      .description(description)
      .option('--id <scheduleId>', 'schedule id (default: PARCELWATCH_SCHEDULE_ID)')
      .option('--note <text>', 'why (shown with the schedule)')
      .action(async (options: ScheduleCommonOptions & { note?: string }) => {
        const { withSchedule } = schedules();
        await withAuditLog((record) =>
          withTemporal(loadConfig(), async (client) => {
            const handle = client.schedule.getHandle(id(options));
            await withSchedule(id(options), () =>
              name === 'pause' ? handle.pause(options.note) : handle.unpause(options.note),
            );
            await record({
              action: `schedule.${name}`,
              target: `schedule:${id(options)}`,
              details: { note: options.note },
            });
            console.log(`schedule ${id(options)} ${name === 'pause' ? 'paused' : 'unpaused'}`);
          }),
        );
      });
  }

  schedule
    .command('trigger')
    .description('Start the scheduled run now (it processes the week that just ended)')
    .option('--id <scheduleId>', 'schedule id (default: PARCELWATCH_SCHEDULE_ID)')
    .option('--overlap <policy>', 'overlap policy for this run', 'allow-all')
    .action(async (options: ScheduleCommonOptions & { overlap: string }) => {
      const { parseOverlap, withSchedule } = schedules();
      const overlap = parseOverlap(options.overlap);
      await withAuditLog((record) =>
        withTemporal(loadConfig(), async (client) => {
          await withSchedule(id(options), () =>
            client.schedule.getHandle(id(options)).trigger(overlap),
          );
          await record({
            action: 'schedule.trigger',
            target: `schedule:${id(options)}`,
            details: { overlap },
          });
          console.log(`schedule ${id(options)} triggered`);
        }),
      );
    });

  schedule
    .command('backfill')
    .description(
      'Take the runs the schedule would have taken between two instants (each processes the week before it)',
    )
    .requiredOption('--from <instant>', 'start, ISO 8601 (e.g. 2026-10-01T00:00:00Z)')
    .requiredOption('--to <instant>', 'end, ISO 8601')
    .option('--id <scheduleId>', 'schedule id (default: PARCELWATCH_SCHEDULE_ID)')
    .option('--overlap <policy>', 'overlap policy for the backfilled runs', 'buffer-all')
    .action(
      async (options: ScheduleCommonOptions & { from: string; to: string; overlap: string }) => {
        const { parseOverlap, withSchedule } = schedules();
        const start = parseInstant(options.from, '--from');
        const end = parseInstant(options.to, '--to');
        const overlap = parseOverlap(options.overlap);
        await withAuditLog((record) =>
          withTemporal(loadConfig(), async (client) => {
            await withSchedule(id(options), () =>
              client.schedule.getHandle(id(options)).backfill({ start, end, overlap }),
            );
            await record({
              action: 'schedule.backfill',
              target: `schedule:${id(options)}`,
              details: { start, end, overlap },
            });
            console.log(
              `schedule ${id(options)}: backfill ${start.toISOString()} .. ${end.toISOString()} requested`,
            );
          }),
        );
      },
    );

  schedule
    .command('delete')
    .description('Delete the schedule (runs already started go on)')
    .option('--id <scheduleId>', 'schedule id (default: PARCELWATCH_SCHEDULE_ID)')
    .action(async (options: ScheduleCommonOptions) => {
      const { withSchedule } = schedules();
      await withAuditLog((record) =>
        withTemporal(loadConfig(), async (client) => {
          await withSchedule(id(options), () => client.schedule.getHandle(id(options)).delete());
          await record({ action: 'schedule.delete', target: `schedule:${id(options)}` });
          console.log(`schedule ${id(options)} deleted`);
        }),
      );
    });
}
