import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Connection, Client as TemporalClient } from '@temporalio/client';
import { Client } from 'pg';
import type { AuditRecord } from '../../src/store/db/audit-log';
import type { Database } from '../../src/store/db/database';
import { roleNames } from '../../src/store/db/roles';
import { runCli } from '../helpers/cli';
import { testTemporal } from '../helpers/services';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { feature, scratchDir, square, writeCollection } from '../store/import/parcel-files';

const SCHEMA = 'e2e_audit';
const ACTOR = 'cli:auditor';

/**
 * Every admin action through the CLI, against real PostgreSQL and a real Temporal dev server (no
 * worker polls the task queue: runs only have to start), leaves exactly one audit row naming who,
 * what and on what; the audit table refuses UPDATE, DELETE and TRUNCATE to all but the owner role.
 */
describe('audit log of admin actions (real PostgreSQL and Temporal)', function () {
  this.timeout(600_000);
  let db: Database & { url: string };
  let connection: Connection;
  let temporal: TemporalClient;
  let env: Record<string, string>;
  const dir = scratchDir('pw-audit-');
  const stamp = `${process.pid}-${Date.now()}`;
  const weeklySchedule = `audit-weekly-${stamp}`;
  const purgeSchedule = `audit-purge-${stamp}`;
  const taskQueue = `audit-io-${stamp}`;
  /** [action, target] of each CLI action, in the order performed. */
  const expected: Array<[string, string]> = [];

  const cli = async (...args: string[]) => {
    const result = await runCli(args, env);
    assert.equal(result.code, 0, `parcelwatch ${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  const audited = async (action: string, target: string, ...args: string[]) => {
    const result = await cli(...args);
    expected.push([action, target]);
    return result;
  };
  const auditRows = async () =>
    (
      await db.pool.query<{ action: string; target: string; actor: string }>(
        'SELECT action, target, actor FROM audit_log ORDER BY id',
      )
    ).rows;
  const terminate = (workflowId: string) =>
    temporal.workflow
      .getHandle(workflowId)
      .terminate('audit test over')
      .catch(() => undefined); // already closed

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    const server = await testTemporal();
    connection = await Connection.connect({ address: server.address });
    temporal = new TemporalClient({ connection, namespace: server.namespace });
    env = {
      DATABASE_URL: db.url,
      PARCELWATCH_DB_SCHEMA: SCHEMA,
      TEMPORAL_ADDRESS: server.address,
      PARCELWATCH_TASK_QUEUE_IO: taskQueue,
      PARCELWATCH_TASK_QUEUE_CPU: `audit-cpu-${stamp}`,
      PARCELWATCH_SCHEDULE_ID: weeklySchedule,
      PARCELWATCH_PURGE_SCHEDULE_ID: purgeSchedule,
      PARCELWATCH_ACTOR: 'auditor',
    };
  });
  after(async () => {
    for (const id of [weeklySchedule, purgeSchedule]) {
      await temporal?.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    }
    // Whatever the actions started on this test's queue (no worker would ever end it).
    if (temporal) {
      for await (const run of temporal.workflow.list({
        query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
      })) {
        await terminate(run.workflowId);
      }
    }
    await connection?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records one row per admin action, with the actor, the action and its target', async () => {
    const file = writeCollection(dir, 'audit-fields.geojson', {
      type: 'FeatureCollection',
      features: [1, 2, 3].map((i) => feature(`f${i}`, square(5 + i * 0.01, 52))),
    });
    await audited(
      'parcels.import',
      'source:audit-src',
      'parcels',
      'import',
      file,
      '--source',
      'audit-src',
      '--no-progress',
    );
    // A dry run changes nothing and records nothing.
    await cli('parcels', 'import', file, '--source', 'audit-src', '--dry-run', '--no-progress');
    await audited('parcels.watch', 'source:audit-src', 'parcels', 'watch', '--source', 'audit-src');
    await audited(
      'parcels.unwatch',
      'source:audit-src',
      'parcels',
      'unwatch',
      '--source',
      'audit-src',
      '--external-ids',
      'f1,f2',
    );

    const schedule = `schedule:${weeklySchedule}`;
    await audited('schedule.create', schedule, 'schedule', 'create');
    await audited('schedule.update', schedule, 'schedule', 'create', '--cron', '0 4 * * TUE');
    await audited('schedule.pause', schedule, 'schedule', 'pause', '--note', 'audit test');
    await audited('schedule.unpause', schedule, 'schedule', 'unpause');
    await audited('schedule.trigger', schedule, 'schedule', 'trigger');
    await audited(
      'schedule.backfill',
      schedule,
      'schedule',
      'backfill',
      '--from',
      '2018-03-01T00:00:00Z',
      '--to',
      '2018-03-08T00:00:00Z',
    );
    await audited('schedule.delete', schedule, 'schedule', 'delete');

    const run = await audited(
      'run.start',
      'workflow:weekly-2018-W10',
      'run',
      '--week',
      '2018-W10',
      '--json',
    );
    const started = JSON.parse(run.stdout) as { workflowId: string; runId: string };
    const description = await temporal.workflow.getHandle(started.workflowId).describe();
    // The run carries its actor too: in its memo, where the Temporal UI shows it.
    assert.equal(description.memo?.triggeredBy, ACTOR);
    await terminate(started.workflowId);
    await audited(
      'run.retry',
      'workflow:weekly-2018-W10',
      'runs',
      'retry',
      'weekly-2018-W10',
      '--json',
    );
    await terminate(started.workflowId);
    await audited(
      'backfill.start',
      'workflow:backfill-2018-W11-2018-W12',
      'backfill',
      '--from',
      '2018-W11',
      '--to',
      '2018-W12',
      '--json',
    );
    await terminate('backfill-2018-W11-2018-W12');

    await cli('purge', '--dry-run', '--json');
    await terminate('purge-dry-run');
    await audited('purge.start', 'workflow:purge', 'purge', '--json');
    await terminate('purge');
    await audited(
      'schedule.create',
      `schedule:${purgeSchedule}`,
      'purge',
      'schedule',
      '--raw-days',
      '30',
    );
    await audited(
      'schedule.delete',
      `schedule:${purgeSchedule}`,
      'schedule',
      'delete',
      '--id',
      purgeSchedule,
    );

    // A key of a new team: the team gets its role first, and both are recorded.
    const created = await cli(
      'api',
      'keys',
      'create',
      '--name',
      'auditor-key',
      '--team',
      'team-audit',
      '--json',
    );
    const prefix = (JSON.parse(created.stdout) as { record: { prefix: string } }).record.prefix;
    expected.push(['team.add', 'team:team-audit'], ['api-key.create', `api-key:${prefix}`]);
    await audited('api-key.revoke', `api-key:${prefix}`, 'api', 'keys', 'revoke', prefix);
    await audited('team.add', 'team:team-x', 'teams', 'add', 'team-x');
    await audited('team.grant', 'team:team-x', 'teams', 'grant', 'team-x', '--read', 'team-audit');
    await audited(
      'team.revoke',
      'team:team-x',
      'teams',
      'revoke',
      'team-x',
      '--read',
      'team-audit',
    );
    // Repeating a grant-free revoke or an existing team changes nothing and records nothing.
    await cli('teams', 'revoke', 'team-x', '--read', 'team-audit');
    await cli('teams', 'add', 'team-x');

    const rows = await auditRows();
    assert.deepEqual(
      rows.map((r) => [r.action, r.target]),
      expected,
    );
    assert.deepEqual([...new Set(rows.map((r) => r.actor))], [ACTOR]);
  });

  it('keeps what each action did in its details, the environment, and lists them through `audit list`', async () => {
    const list = await cli('audit', 'list', '--json', '--limit', '1000');
    const entries = JSON.parse(list.stdout) as AuditRecord[];
    assert.equal(entries.length, expected.length);
    assert.ok(entries.every((e) => e.environment === SCHEMA));
    const byAction = (action: string) => entries.filter((e) => e.action === action);
    assert.deepEqual(
      byAction('parcels.import').map((e) => [e.details.inserted, e.details.read]),
      [[3, 3]],
    );
    assert.deepEqual(
      byAction('parcels.unwatch').map((e) => [e.details.selected, e.details.changed]),
      [[2, 2]],
    );
    assert.deepEqual(byAction('schedule.update')[0]?.details.cron, '0 4 * * TUE');
    assert.equal(typeof byAction('run.start')[0]?.details.runId, 'string');
    assert.equal(byAction('run.start')[0]?.details.week, '2018-W10');
    // Newest first; filters by area and actor.
    assert.equal(entries[0]?.action, 'team.revoke');
    const schedules = JSON.parse(
      (await cli('audit', 'list', '--action', 'schedule', '--json')).stdout,
    ) as AuditRecord[];
    assert.deepEqual([...new Set(schedules.map((e) => e.action))].sort(), [
      'schedule.backfill',
      'schedule.create',
      'schedule.delete',
      'schedule.pause',
      'schedule.trigger',
      'schedule.unpause',
      'schedule.update',
    ]);
    const nobody = JSON.parse(
      (await cli('audit', 'list', '--actor', 'cli:nobody', '--json')).stdout,
    );
    assert.deepEqual(nobody, []);
    const table = await cli('audit', 'list', '--limit', '3');
    assert.match(table.stdout, /cli:auditor +team\.revoke +team:team-x/);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of audit rows to the writer, the reader and a superuser; the owner may', async () => {
    const roles = roleNames(SCHEMA);
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    const attempt = async (role: string | null, sql: string) => {
      await admin.query('BEGIN');
      try {
        if (role) await admin.query(`SET LOCAL ROLE ${role}`);
        await admin.query(`SET LOCAL search_path TO ${SCHEMA}`);
        return await admin.query(sql);
      } finally {
        await admin.query('ROLLBACK');
      }
    };
    const changes = [
      "UPDATE audit_log SET actor = 'cli:someone-else'",
      'DELETE FROM audit_log',
      'TRUNCATE audit_log',
    ];
    try {
      const before = await auditRows();
      for (const sql of changes) {
        await assert.rejects(attempt(roles.writer, sql), /permission denied for table audit_log/);
        await assert.rejects(attempt(roles.reader, sql), /permission denied for table audit_log/);
        // A superuser passes every privilege check; the trigger still refuses.
        await assert.rejects(attempt(null, sql), /audit_log is append-only: \w+ refused for role/);
      }
      // Even granted the privilege, the writer is refused by the trigger.
      await admin.query('BEGIN');
      try {
        await admin.query(`GRANT UPDATE, DELETE ON ${SCHEMA}.audit_log TO ${roles.writer}`);
        await admin.query(`SET LOCAL ROLE ${roles.writer}`);
        await assert.rejects(
          admin.query(`DELETE FROM ${SCHEMA}.audit_log`),
          /audit_log is append-only: DELETE refused for role e2e_audit_writer/,
        );
      } finally {
        await admin.query('ROLLBACK');
      }
      // The writer appends, but the time and environment are the database's.
      const appended = await attempt(
        roles.writer,
        "INSERT INTO audit_log (actor, action, at, environment) VALUES ('cli:x', 'test.append', '2000-01-01', 'prod') RETURNING at, environment",
      );
      assert.equal(appended.rows[0].environment, SCHEMA);
      assert.ok((appended.rows[0].at as Date).getUTCFullYear() > 2000);
      await assert.rejects(
        attempt(roles.reader, 'SELECT count(*) FROM audit_log'),
        /permission denied for table audit_log/,
      );

      const updated = await attempt(roles.owner, "UPDATE audit_log SET actor = 'cli:redacted'");
      assert.equal(updated.rowCount, before.length);
      const deleted = await attempt(roles.owner, 'DELETE FROM audit_log');
      assert.equal(deleted.rowCount, before.length);
      await attempt(roles.owner, 'TRUNCATE audit_log');
      // Every attempt above was rolled back: the log is as it was.
      assert.deepEqual(await auditRows(), before);
    } finally {
      await admin.end();
    }
  });
});
