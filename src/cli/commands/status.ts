import type { Command } from 'commander';
import { type Config, loadConfig } from '../../config';
import { printJson } from '../output';

/** What `parcelwatch status` reports; each part says `reachable: false` with the reason rather than failing. */
export interface StatusReport {
  /** PARCELWATCH_ENV: which environment these settings point at. */
  environment: string;
  database: {
    reachable: boolean;
    error?: string;
    schema?: string;
    pendingMigrations?: string[];
    parcels?: number;
    watched?: number;
    groups?: number;
  };
  temporal: {
    reachable: boolean;
    error?: string;
    address: string;
    namespace?: string;
    pollers?: { io: number; cpu: number };
    running?: Array<{ workflowId: string; type: string; startedAt: string }>;
    schedule?: { id: string; paused: boolean; nextRun?: string } | null;
  };
  lastRuns?: Array<{
    workflowId: string;
    kind: string;
    status: string;
    startedAt: string;
    observed?: string;
    okShare?: number | null;
    error?: string | null;
  }>;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'At a glance: what is running, whether workers poll, the schedule, the data, and the last runs with their KPIs',
    )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExit code 3 when the database or Temporal does not answer.\n\nExamples:\n  $ parcelwatch status\n  $ parcelwatch status --json | jq .lastRuns',
    )
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const report: StatusReport = {
        environment: config.environment,
        database: { reachable: false },
        temporal: { reachable: false, address: config.temporal.address },
      };
      await Promise.all([databaseStatus(config, report), temporalStatus(config, report)]);
      if (options.json) printJson(report);
      else printReport(report);
      if (!report.database.reachable || !report.temporal.reachable) process.exitCode = 3;
    });
}

async function databaseStatus(config: Config, report: StatusReport): Promise<void> {
  const { openDatabase } =
    require('../../store/db/database') as typeof import('../../store/db/database');
  const { schemaStatus } =
    require('../../store/db/status') as typeof import('../../store/db/status');
  const { listRuns } =
    require('../../store/db/runs-repo') as typeof import('../../store/db/runs-repo');
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    db = await openDatabase(config.database, 'parcelwatch-cli');
    const schema = await schemaStatus(db.pool, config.database.schema);
    report.database = { reachable: true, schema: schema.schema, pendingMigrations: schema.pending };
    if (schema.pending.length === 0) {
      const counts = await db.pool.query<{ parcels: number; watched: number; groups: number }>(
        'SELECT (SELECT count(*) FROM parcels)::int AS parcels, (SELECT count(*) FROM parcels WHERE watched)::int AS watched, (SELECT count(*) FROM parcel_groups)::int AS groups',
      );
      Object.assign(report.database, counts.rows[0]);
      report.lastRuns = (await listRuns(db, { limit: 5 })).map((r) => ({
        workflowId: r.workflowId,
        kind: r.kind,
        status: r.status,
        startedAt: r.startedAt,
        observed:
          typeof r.kpis.parcelsObserved === 'number'
            ? `${r.kpis.parcelsObserved}/${r.kpis.parcelsExpected}`
            : undefined,
        okShare: typeof r.kpis.okShare === 'number' ? r.kpis.okShare : null,
        error: r.error,
      }));
    }
  } catch (error) {
    report.database = { reachable: false, error: (error as Error).message };
  } finally {
    await db?.close();
  }
}

async function temporalStatus(config: Config, report: StatusReport): Promise<void> {
  const { connectClient } =
    require('../../temporal/connection') as typeof import('../../temporal/connection');
  let client: Awaited<ReturnType<typeof connectClient>> | undefined;
  try {
    client = await connectClient(config.temporal);
    const c = client;
    const pollers = async (taskQueue: string, workflow: boolean) => {
      const response = await c.workflowService.describeTaskQueue({
        namespace: config.temporal.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: workflow ? 1 : 2, // WORKFLOW : ACTIVITY
      });
      return response.pollers?.length ?? 0;
    };
    const running: NonNullable<StatusReport['temporal']['running']> = [];
    const query = `ExecutionStatus = "Running" AND TaskQueue = "${config.temporal.taskQueues.io}"`;
    for await (const execution of client.workflow.list({ query, pageSize: 20 })) {
      running.push({
        workflowId: execution.workflowId,
        type: execution.type,
        startedAt: execution.startTime.toISOString(),
      });
      if (running.length >= 20) break;
    }
    let schedule: StatusReport['temporal']['schedule'] = null;
    try {
      const d = await client.schedule.getHandle(config.pipeline.scheduleId).describe();
      schedule = {
        id: config.pipeline.scheduleId,
        paused: d.state.paused,
        nextRun: d.info.nextActionTimes[0]?.toISOString(),
      };
    } catch {
      schedule = null; // no schedule yet
    }
    report.temporal = {
      reachable: true,
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      pollers: {
        io: await pollers(config.temporal.taskQueues.io, false),
        cpu: await pollers(config.temporal.taskQueues.cpu, false),
      },
      running,
      schedule,
    };
  } catch (error) {
    report.temporal = {
      reachable: false,
      address: config.temporal.address,
      error: (error as Error).message,
    };
  } finally {
    await client?.connection.close();
  }
}

function printReport(r: StatusReport): void {
  console.log(`environment ${r.environment}`);
  const d = r.database;
  if (d.reachable) {
    console.log(
      `database   ${d.schema}: ${d.pendingMigrations?.length ? `PENDING MIGRATIONS ${d.pendingMigrations.join(', ')} — run parcelwatch db migrate` : `${d.parcels} parcels, ${d.watched} watched, ${d.groups} groups`}`,
    );
  } else {
    console.log(`database   UNREACHABLE: ${d.error}`);
  }
  const t = r.temporal;
  if (t.reachable) {
    const workers =
      t.pollers!.io + t.pollers!.cpu === 0
        ? 'NO WORKER POLLING — start one with `parcelwatch worker`'
        : `workers polling: io ${t.pollers!.io}, cpu ${t.pollers!.cpu}`;
    console.log(`temporal   ${t.address} (${t.namespace}): ${workers}`);
    console.log(
      `schedule   ${t.schedule ? `${t.schedule.id}${t.schedule.paused ? ' PAUSED' : ''}, next ${t.schedule.nextRun ?? '—'}` : 'none (parcelwatch schedule create)'}`,
    );
    if (t.running!.length === 0) console.log('running    nothing');
    for (const w of t.running!)
      console.log(`running    ${w.workflowId} (${w.type}) since ${w.startedAt}`);
  } else {
    console.log(`temporal   UNREACHABLE at ${t.address}: ${t.error}`);
  }
  for (const run of r.lastRuns ?? []) {
    const kpis = [
      run.observed ? `observed ${run.observed}` : '',
      typeof run.okShare === 'number' ? `ok ${Math.round(run.okShare * 100)} %` : '',
    ]
      .filter(Boolean)
      .join(', ');
    console.log(
      `last run   ${run.startedAt.slice(0, 16).replace('T', ' ')}  ${run.workflowId}  ${run.status.toUpperCase()}${kpis ? `  ${kpis}` : ''}${run.error ? `  — ${run.error.slice(0, 120)}` : ''}`,
    );
  }
}
