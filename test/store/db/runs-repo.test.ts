import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import type { Database } from '../../../src/store/db/database';
import { finishRun, getRun, listRuns, startRun } from '../../../src/store/db/runs-repo';
import { isolatedDatabase } from './isolated-schema';

describe('runs repository (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: Database;
  const window = { start: '2026-11-23T00:00:00.000Z', end: '2026-11-30T00:00:00.000Z' };

  before(async () => {
    db = await isolatedDatabase('pw_runs');
  });
  after(async () => db?.close());

  it('records a started run, and keeps its start time when the start is recorded again', async () => {
    await startRun(db, {
      workflowId: 'weekly-2026-W48',
      runId: 'r1',
      kind: 'weekly',
      window,
      trigger: 'schedule',
      triggeredBy: 'schedule:weekly',
      codeVersion: '0.1.0',
      startedAt: '2026-11-30T02:00:00.000Z',
    });
    await startRun(db, {
      workflowId: 'weekly-2026-W48',
      runId: 'r1',
      kind: 'weekly',
      trigger: 'schedule',
      startedAt: '2026-11-30T02:05:00.000Z',
    });
    assert.deepEqual(await getRun(db, 'weekly-2026-W48', 'r1'), {
      workflowId: 'weekly-2026-W48',
      runId: 'r1',
      kind: 'weekly',
      window,
      trigger: 'schedule',
      triggeredBy: 'schedule:weekly',
      status: 'running',
      counts: {},
      kpis: {},
      error: null,
      codeVersion: '0.1.0',
      startedAt: '2026-11-30T02:00:00.000Z',
      finishedAt: null,
    });
  });

  it('records how a run ended, merging counts and KPIs and keeping step timings with the KPIs', async () => {
    await finishRun(db, {
      workflowId: 'weekly-2026-W48',
      runId: 'r1',
      status: 'degraded',
      counts: { groups: 12, scenes: 30 },
      kpis: { okShare: 0.82 },
      timings: { planGroups: 120, prepareTables: 4_500 },
      error: '2 groups failed',
      finishedAt: '2026-11-30T03:00:00.000Z',
    });
    await finishRun(db, {
      workflowId: 'weekly-2026-W48',
      runId: 'r1',
      status: 'degraded',
      counts: { observations: 1_000 },
      error: '2 groups failed',
      finishedAt: '2026-11-30T03:00:00.000Z',
    });
    const run = await getRun(db, 'weekly-2026-W48', 'r1');
    assert.equal(run?.status, 'degraded');
    assert.deepEqual(run?.counts, { groups: 12, scenes: 30, observations: 1_000 });
    assert.deepEqual(run?.kpis, {
      okShare: 0.82,
      timingsMs: { planGroups: 120, prepareTables: 4_500 },
    });
    assert.equal(run?.error, '2 groups failed');
    assert.equal(run?.finishedAt, '2026-11-30T03:00:00.000Z');
    assert.equal(run?.startedAt, '2026-11-30T02:00:00.000Z');
  });

  it('gives the latest run of a workflow when no run id is given', async () => {
    await startRun(db, {
      workflowId: 'weekly-2026-W48',
      runId: 'r2',
      kind: 'weekly',
      window,
      trigger: 'manual',
      triggeredBy: 'alice',
      startedAt: '2026-12-01T09:00:00.000Z',
    });
    assert.equal((await getRun(db, 'weekly-2026-W48'))?.runId, 'r2');
    assert.equal(await getRun(db, 'weekly-2026-W01'), undefined);
  });

  it('lists runs newest first, filtered by kind and status, up to a limit', async () => {
    await finishRun(db, {
      workflowId: 'backfill-2026',
      runId: 'b1',
      kind: 'backfill',
      trigger: 'backfill',
      status: 'completed',
      startedAt: '2026-10-01T00:00:00.000Z',
    });
    const ids = (runs: Awaited<ReturnType<typeof listRuns>>) =>
      runs.map((r) => `${r.workflowId}/${r.runId}`);
    assert.deepEqual(ids(await listRuns(db)), [
      'weekly-2026-W48/r2',
      'weekly-2026-W48/r1',
      'backfill-2026/b1',
    ]);
    assert.deepEqual(ids(await listRuns(db, { kind: 'backfill' })), ['backfill-2026/b1']);
    assert.deepEqual(ids(await listRuns(db, { status: 'running' })), ['weekly-2026-W48/r2']);
    assert.deepEqual(ids(await listRuns(db, { limit: 1 })), ['weekly-2026-W48/r2']);
  });

  it('refuses to finish a run never started unless told its kind and trigger', async () => {
    await assert.rejects(
      finishRun(db, { workflowId: 'ghost', runId: 'g1', status: 'failed' }),
      (e: unknown) => e instanceof BadInputError && /ghost\/g1 was never started/.test(e.message),
    );
    assert.equal(await getRun(db, 'ghost'), undefined);
  });
});
