import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { BadInputError } from '../../core/errors';
import { formatIsoWeek, parseIsoWeek } from '../../core/time/iso-week';
import { withAuditLog } from '../audit';
import { withDatabase } from '../database';
import { printJson, printTable } from '../output';
import { parseIds, parseIndices, parseInteger, parseTiles } from '../parse';
import { createProgress } from '../progress';
import { workflowProgressState } from '../run-progress';
import { withTemporal } from '../temporal-client';

/** Loaded on use: the Temporal client is slow to load and most commands do not need it. */
const runs = () => require('../../temporal/runs') as typeof import('../../temporal/runs');
const replay = () => require('../../temporal/replay') as typeof import('../../temporal/replay');

interface RunOptions {
  canary?: boolean | string;
  week?: string;
  tiles?: string;
  groups?: string;
  index?: string;
  reprocess?: boolean;
  wait?: boolean;
  json?: boolean;
}

export function registerPipeline(program: Command): void {
  program
    .command('run')
    .description('Start the weekly run of one ISO week by hand (workflow weekly-<week>)')
    .option('--week <YYYY-Www>', 'the week to process (default: the last complete week)')
    .option('--tiles <list>', 'only these Sentinel-2 tiles, e.g. 33TWL,33TWM')
    .option('--groups <ids>', 'only these parcel group ids')
    .option('--index <list>', 'indices to compute (default: PARCELWATCH_INDICES)')
    .option('--reprocess', 'recompute observations that are already current')
    .option(
      '--canary [groups]',
      'process a sample of groups first (default 10 %) and stop before the rest if its KPIs are below the thresholds',
    )
    .option('--wait', 'follow the progress until the run ends; the exit code says how it ended')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ parcelwatch run --week 2026-W48 --wait
  $ parcelwatch run --week 2026-W48 --tiles 33TWL --reprocess
Equivalent with the Temporal CLI:
  $ temporal workflow start --type weeklyRun --task-queue parcelwatch-io --workflow-id weekly-2026-W48 --input '{"week":"2026-W48"}'`,
    )
    .action(async (options: RunOptions) => {
      const config = loadConfig();
      // Checked before Temporal is asked: a typo never becomes a run that finds nothing to do.
      const week = options.week === undefined ? undefined : parseWeek(options.week, '--week');
      const selection = runSelection(options);
      await withAuditLog((record) =>
        withTemporal(config, async (client) => {
          const handle = await runs().startWeekly(client, {
            week,
            ...selection,
            taskQueue: config.temporal.taskQueues.io,
          });
          await record(started('run.start', handle, { week, ...selection }));
          await reportStarted(handle, options);
        }),
      );
    });

  program
    .command('backfill')
    .description(
      'Run the weekly job over a range of past weeks (workflow backfill-<from>-<to>, one weekly-<week> child per week)',
    )
    .requiredOption('--from <YYYY-Www>', 'first week')
    .requiredOption('--to <YYYY-Www>', 'last week (included)')
    .option('--tiles <list>', 'only these Sentinel-2 tiles')
    .option('--groups <ids>', 'only these parcel group ids')
    .option('--index <list>', 'indices to compute (default: PARCELWATCH_INDICES)')
    .option('--reprocess', 'recompute observations that are already current')
    .option('--canary [groups]', 'run every week with a canary (see run --help)')
    .option('--weeks-per-run <n>', 'weeks handled before the workflow continues as new', '8')
    .option('--wait', 'follow the progress until the backfill ends')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ parcelwatch backfill --from 2026-W30 --to 2026-W47 --wait
Equivalent with the Temporal CLI:
  $ temporal workflow start --type backfill --task-queue parcelwatch-io --workflow-id backfill-2026-W30-2026-W47 --input '{"from":"2026-W30","to":"2026-W47"}'`,
    )
    .action(async (options: RunOptions & { from: string; to: string; weeksPerRun: string }) => {
      const config = loadConfig();
      const from = parseWeek(options.from, '--from');
      const to = parseWeek(options.to, '--to');
      if (from > to) {
        throw new BadInputError(`--from ${from} is after --to ${to}; give the earlier week first`, {
          code: 'OPTION_INVALID',
        });
      }
      const selection = runSelection(options);
      const weeksPerRun = parseInteger(options.weeksPerRun, '--weeks-per-run', 1);
      await withAuditLog((record) =>
        withTemporal(config, async (client) => {
          const handle = await runs().startBackfill(client, {
            from,
            to,
            ...selection,
            weeksPerRun,
            taskQueue: config.temporal.taskQueues.io,
          });
          await record(started('backfill.start', handle, { from, to, ...selection, weeksPerRun }));
          await reportStarted(handle, options);
        }),
      );
    });

  const runsCommand = program.command('runs').description('Pipeline runs');
  runsCommand
    .command('list')
    .description('The latest runs with their status and key KPIs (newest first)')
    .option('--limit <n>', 'how many', '20')
    .option('--kind <kind>', 'weekly, backfill, purge, …')
    .option('--status <status>', 'running, completed, degraded, failed, cancelled')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ parcelwatch runs list\n  $ parcelwatch runs list --status degraded --limit 5 --json',
    )
    .action(async (options: { limit: string; kind?: string; status?: string; json?: boolean }) => {
      const { listRuns } =
        require('../../store/db/runs-repo') as typeof import('../../store/db/runs-repo');
      await withDatabase(async (db) => {
        const runsFound = await listRuns(db, {
          limit: parseInteger(options.limit, '--limit', 1),
          kind: options.kind,
          status: options.status as import('../../store/db/runs-repo').RunStatus | undefined,
        });
        if (options.json) return printJson(runsFound);
        printTable(
          runsFound.map((r) => ({
            workflow: r.workflowId,
            kind: r.kind,
            status: r.status,
            trigger: r.triggeredBy ? `${r.trigger} (${r.triggeredBy})` : r.trigger,
            started: r.startedAt.slice(0, 19).replace('T', ' '),
            took: r.finishedAt ? duration(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : '',
            observed: share(r.kpis.parcelsObserved, r.kpis.parcelsExpected),
            ok: typeof r.kpis.okShare === 'number' ? `${Math.round(r.kpis.okShare * 100)} %` : '',
          })),
        );
      });
    });

  runsCommand
    .command('show <workflowId>')
    .description('One run in full: window, trigger, status, counts, KPIs, reason')
    .option('--run-id <runId>', 'a specific run (default: the latest of that workflow id)')
    .option('--json', 'print the result as JSON')
    .action(async (workflowId: string, options: { runId?: string; json?: boolean }) => {
      const { getRun } =
        require('../../store/db/runs-repo') as typeof import('../../store/db/runs-repo');
      await withDatabase(async (db) => {
        const run = await getRun(db, workflowId, options.runId);
        if (!run) {
          throw new BadInputError(
            `no run of ${workflowId} is recorded; see \`parcelwatch runs list\``,
            { code: 'RUN_UNKNOWN' },
          );
        }
        if (options.json) return printJson(run);
        console.log(`run:       ${run.workflowId} (${run.runId})`);
        console.log(`kind:      ${run.kind}, ${run.status.toUpperCase()}`);
        console.log(`trigger:   ${run.trigger}${run.triggeredBy ? ` by ${run.triggeredBy}` : ''}`);
        if (run.window) console.log(`window:    ${run.window.start} .. ${run.window.end}`);
        console.log(
          `started:   ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}`,
        );
        if (run.codeVersion) console.log(`code:      ${run.codeVersion}`);
        if (run.error) console.log(`reason:    ${run.error}`);
        for (const [name, value] of Object.entries(run.counts))
          console.log(`count      ${name}: ${value}`);
        for (const [name, value] of Object.entries(run.kpis))
          console.log(`kpi        ${name}: ${JSON.stringify(value)}`);
      });
    });

  runsCommand
    .command('retry <workflowId>')
    .description(
      "Start a new run of a failed (or finished) workflow with its first run's input, under the same id",
    )
    .option('--wait', 'follow the progress until the run ends')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ parcelwatch runs retry weekly-2026-W48 --wait\n  $ parcelwatch runs retry backfill-2026-W30-2026-W47',
    )
    .action(async (workflowId: string, options: RunOptions) => {
      await withAuditLog((record) =>
        withTemporal(loadConfig(), async (client) => {
          const handle = await runs().retryRun(client, workflowId);
          await record(started('run.retry', handle, {}));
          await reportStarted(handle, options);
        }),
      );
    });

  program
    .command('replay <workflowId>')
    .description(
      "Replay a run's history against the current workflow code and report any non-determinism",
    )
    .option('--run-id <runId>', 'a specific run (default: the latest)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nRun it before deploying workflow changes: a failure means running workflows would break.\n\nExamples:\n  $ parcelwatch replay weekly-2026-W48\n  $ parcelwatch replay weekly-2026-W48 --run-id 5f2c…',
    )
    .action(async (workflowId: string, options: { runId?: string; json?: boolean }) => {
      await withTemporal(loadConfig(), async (client) => {
        const outcome = await replay().replayFromServer(client, workflowId, options.runId);
        if (options.json) printJson(outcome);
        else if (outcome.ok)
          console.log(
            `${workflowId} (run ${outcome.runId}, ${outcome.events} events) replays cleanly on the current code`,
          );
        else
          console.error(
            `${workflowId} (run ${outcome.runId}) does NOT replay on the current code:\n${outcome.error}`,
          );
        if (!outcome.ok) process.exitCode = 1;
      });
    });
}

/** The audit entry of a workflow started by hand (its memo carries the same actor). */
function started(
  action: string,
  handle: import('@temporalio/client').WorkflowHandleWithFirstExecutionRunId,
  request: Record<string, unknown>,
) {
  return {
    action,
    target: `workflow:${handle.workflowId}`,
    details: { runId: handle.firstExecutionRunId, ...request },
  };
}

async function reportStarted(
  handle: import('@temporalio/client').WorkflowHandleWithFirstExecutionRunId,
  options: { wait?: boolean; json?: boolean },
): Promise<void> {
  const started = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  if (!options.wait) {
    if (options.json) printJson(started);
    else
      console.log(
        `started ${started.workflowId} (run ${started.runId}); follow it in the Temporal UI or with --wait`,
      );
    return;
  }
  if (!options.json)
    console.log(`started ${started.workflowId}; waiting (Ctrl-C stops waiting, not the run)…`);
  const bar = createProgress({ title: started.workflowId, enabled: !options.json });
  try {
    await runs().followProgress<Record<string, unknown>>(handle, (progress) =>
      bar.update(workflowProgressState(progress)),
    );
  } finally {
    bar.stop();
  }
  try {
    const result = await handle.result();
    if (options.json) printJson({ ...started, status: 'completed', result });
    else console.log(`${started.workflowId} completed: ${JSON.stringify(result)}`);
  } catch (error) {
    const cause =
      (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    if (options.json) printJson({ ...started, status: 'failed', error: cause });
    else console.error(`${started.workflowId} failed: ${cause}`);
    process.exitCode = 1;
  }
}

function share(part: unknown, whole: unknown): string {
  return typeof part === 'number' && typeof whole === 'number' && whole > 0
    ? `${part}/${whole}`
    : '';
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** `--canary` alone: the default sample; `--canary 3`: three groups. */
/** What a run or backfill computes, checked: tiles that exist, groups by id, known indices. */
function runSelection(options: RunOptions) {
  return {
    tiles: parseTiles(options.tiles, '--tiles'),
    groupIds: parseIds(options.groups, '--groups'),
    indices: parseIndices(options.index, '--index'),
    reprocess: options.reprocess,
    canary: canaryOption(options.canary),
  };
}

/** An ISO week option in its canonical form (`2026-W05`), which also sorts in time order. */
function parseWeek(value: string, option: string): string {
  return formatIsoWeek(parseIsoWeek(value, option));
}

function canaryOption(
  value: boolean | string | undefined,
): boolean | { groups: number } | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return true;
  return { groups: parseInteger(value, '--canary', 1) };
}
