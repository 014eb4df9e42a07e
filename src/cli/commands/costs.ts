import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { BadInputError } from '../../core/errors';
import { calendarDay } from '../../core/time/calendar-day';
import type { DatalakeTally, PrefixTally } from '../../store/datalake/tally';
import type { ComputeReport, ComputeUsage, DatabaseStorage } from '../../store/db/costs';
import { withDatabase } from '../database';
import { printJson, printTable } from '../output';

const costs = () => require('../../store/db/costs') as typeof import('../../store/db/costs');
const tally = () =>
  require('../../store/datalake/tally') as typeof import('../../store/datalake/tally');
const datalakes = () =>
  require('../../store/datalake/open-datalake') as typeof import('../../store/datalake/open-datalake');

/** What `parcelwatch costs` reports (`--json`): compute, database storage, datalake storage. */
export interface CostReport {
  environment: string;
  /** Days, UTC, both included; until null: up to now. */
  period: { since: string; until: string | null };
  compute: ComputeReport;
  database: DatabaseStorage;
  /** Null unless --datalake was given. */
  datalake: (Omit<DatalakeTally, 'prefixes'> & { prefixes: DatalakePrefix[] }) | null;
}

/** A top-level prefix of the datalake with the catalog datasets kept under it. */
export interface DatalakePrefix extends PrefixTally {
  datasets: string[];
}

/** Months reported when --since is not given: six whole months back, plus the current one. */
const DEFAULT_MONTHS_BACK = 6;

export function registerCosts(program: Command): void {
  program
    .command('costs')
    .description(
      'What parcelwatch consumes: run time, downloads and parcels per month and run kind, bytes per table and dataset in PostgreSQL, and (--datalake) per prefix in the datalake',
    )
    .option(
      '--since <day>',
      `first day of runs counted, YYYY-MM-DD (UTC; default: the 1st of the month ${DEFAULT_MONTHS_BACK} months back)`,
    )
    .option('--until <day>', 'last day of runs counted, YYYY-MM-DD (UTC, included; default: now)')
    .option('--datalake', 'also count the objects and bytes of the datalake (lists all of it)')
    .option('--json', 'print the report as JSON (bytes as integers, wall time in seconds)')
    .addHelpText(
      'after',
      `
Compute counts the runs recorded in pipeline_runs by the UTC month they started and their kind
(backfilled weeks are weekly runs). Wall time is finished_at - started_at of finished runs
(completed, degraded, failed, cancelled alike); runs still running are counted apart and add no
time. Downloaded bytes and parcels observed are the runs' KPIs, summed. Storage is what the server
reports now: pg_total_relation_size per table (indexes and TOAST included; a partitioned table with
its partitions; hypertable_size() under TimescaleDB), grouped by the catalog's datasets. Sizes work
for the reader role; a server refusing them is reported, not fatal.

Examples:
  $ parcelwatch costs
  $ parcelwatch costs --since 2026-01-01 --until 2026-03-31
  $ parcelwatch costs --datalake
  $ parcelwatch costs --json | jq '.compute.kinds[] | {kind, wallSeconds, bytesDownloaded}'`,
    )
    .action(
      async (options: { since?: string; until?: string; datalake?: boolean; json?: boolean }) => {
        const period = costPeriod(options, new Date());
        const config = loadConfig();
        const report = await withDatabase(async (db): Promise<CostReport> => {
          const range = {
            since: `${period.since}T00:00:00.000Z`,
            until: period.until === null ? null : calendarDay(period.until)!.end,
          };
          const compute = await costs().computeUsage(db, range);
          const database = await costs().databaseStorage(db);
          let datalake: CostReport['datalake'] = null;
          if (options.datalake) {
            const places = await costs().datasetPlaces(db);
            const lake = datalakes().openDatalake(config.datalake);
            try {
              const counted = await tally().tallyDatalake(lake);
              datalake = {
                ...counted,
                prefixes: counted.prefixes.map((p) => ({
                  ...p,
                  datasets: places.datalakePrefixes.get(p.prefix) ?? [],
                })),
              };
            } finally {
              // The S3 datalake holds connections; the file one has nothing to release.
              await (lake as Partial<{ close(): Promise<void> }>).close?.();
            }
          }
          return { environment: config.environment, period, compute, database, datalake };
        });
        if (options.json) return printJson(report);
        printReport(report);
      },
    );
}

/** The days of --since and --until, checked; --since defaults to the 1st of the month six months back. */
export function costPeriod(
  options: { since?: string; until?: string },
  now: Date,
): CostReport['period'] {
  const since =
    options.since === undefined
      ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - DEFAULT_MONTHS_BACK, 1))
          .toISOString()
          .slice(0, 10)
      : checkedDay(options.since, '--since');
  const until = options.until === undefined ? null : checkedDay(options.until, '--until');
  if (until !== null && until < since) {
    throw new BadInputError(
      options.since === undefined
        ? `--until ${until} is before the default --since ${since} (${DEFAULT_MONTHS_BACK} months back); give --since too`
        : `--until ${until} is before --since ${since}; give an --until on or after the --since day`,
      { code: 'OPTION_INVALID' },
    );
  }
  return { since, until };
}

function checkedDay(text: string, option: string): string {
  const day = calendarDay(text);
  if (!day) {
    throw new BadInputError(
      `${option} "${text}" is not a calendar day written YYYY-MM-DD (UTC), e.g. 2026-01-01`,
      { code: 'OPTION_INVALID' },
    );
  }
  return day.day;
}

/** Tables a group's row names before "and N more": the table below lists them all. */
const GROUP_TABLES_SHOWN = 3;

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

function bytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function usageRow(month: string, kind: string, u: ComputeUsage): Record<string, unknown> {
  return {
    month,
    kind,
    runs: u.runs,
    running: u.runningRuns,
    failed: u.failedRuns,
    'wall time': duration(u.wallSeconds),
    'mean wall': duration(u.meanWallSeconds),
    downloaded: bytes(u.bytesDownloaded),
    'parcels observed': u.parcelsObserved,
  };
}

function printReport(r: CostReport): void {
  console.log(
    `parcelwatch costs (environment ${r.environment}): runs started ${r.period.since} .. ${r.period.until ?? 'now'} (UTC)`,
  );
  console.log('');
  console.log('Compute: pipeline runs by month of their start (UTC) and kind');
  const c = r.compute;
  if (c.total.runs === 0) console.log('(no run started in the period)');
  else {
    printTable([
      ...c.months.map((u) => usageRow(u.month ?? '', u.kind ?? '', u)),
      ...c.kinds.map((u) => usageRow('total', u.kind ?? '', u)),
      usageRow('total', 'all', c.total),
    ]);
    console.log(
      'Wall time counts finished runs (completed, degraded, failed, cancelled); running runs are counted, without time.',
    );
  }

  console.log('');
  const d = r.database;
  if (d.refused !== null || d.totalBytes === null) {
    console.log(`Storage in PostgreSQL, schema ${d.schema}: not available: ${d.refused}`);
  } else {
    console.log(`Storage in PostgreSQL, schema ${d.schema}: ${bytes(d.totalBytes)}`);
    printTable(
      d.groups.map((g) => ({
        datasets: g.datasets.length ? g.datasets.join(', ') : '(no dataset)',
        size: bytes(g.bytes),
        bytes: g.bytes,
        tables:
          g.tables.length > GROUP_TABLES_SHOWN
            ? `${g.tables.slice(0, GROUP_TABLES_SHOWN).join(', ')} and ${g.tables.length - GROUP_TABLES_SHOWN} more (below)`
            : g.tables.join(', '),
      })),
    );
    console.log('');
    printTable(
      d.tables.map((t) => ({
        table: t.table,
        size: bytes(t.bytes),
        bytes: t.bytes,
        parts: t.hypertable ? 'hypertable' : t.partitions || '',
        datasets: t.datasets.join(', '),
      })),
    );
  }

  console.log('');
  const l = r.datalake;
  if (!l) {
    console.log(
      'Storage in the datalake: not counted; add --datalake to list it (a large bucket takes a while)',
    );
    return;
  }
  console.log(`Storage in the datalake ${l.url}: ${bytes(l.bytes)} in ${l.objects} objects`);
  printTable(
    l.prefixes.map((p) => ({
      prefix: p.prefix || '(top level)',
      objects: p.objects,
      size: bytes(p.bytes),
      bytes: p.bytes,
      datasets: p.datasets.join(', '),
    })),
  );
}
