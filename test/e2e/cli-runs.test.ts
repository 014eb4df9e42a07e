import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import type { WeeklyProgress } from '../../src/workflows/weekly-run';
import { runCli } from '../helpers/cli';
import { type PipelineFixture, pipelineFixture, withPipelineWorkers } from '../helpers/pipeline';

/** Manual triggers as operators use them: the CLI, progress, cancellation, a failed run and its retry. */
describe('manual runs from the CLI (real services)', function () {
  this.timeout(600_000);
  let fixture: PipelineFixture;

  before(async () => {
    fixture = await pipelineFixture(
      'cli',
      { seed: 51, parcels: 60, tinyParcels: 1, bands: ['B04', 'B08', 'B11', 'SCL'] },
      {
        PARCELWATCH_GROUP_MAX_PARCELS: '20',
        PARCELWATCH_LOOKBACK_WEEKS: '0',
        PARCELWATCH_MAX_CONCURRENT_GROUPS: '1',
      },
    );
  });
  after(async () => fixture?.close());

  it('runs a week with `parcelwatch run --wait` and exits 0 with the result', async () => {
    const result = await withPipelineWorkers(fixture, () =>
      runCli(['run', '--week', '2024-W19', '--wait', '--json'], fixture.env),
    );
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.equal(out.workflowId, 'weekly-2024-W19');
    assert.equal(out.status, 'completed');
    assert.ok(out.result.observations > 0);
  });

  it('reports progress, refuses the same week twice at once, and cancels cleanly (children included)', async () => {
    fixture.stac.faults.set({ slowMs: 400, pathPattern: '^/cogs/' });
    try {
      await withPipelineWorkers(fixture, async () => {
        const started = await runCli(['run', '--week', '2024-W20', '--json'], fixture.env);
        assert.equal(started.code, 0, started.stderr);
        const handle = fixture.client.workflow.getHandle(JSON.parse(started.stdout).workflowId);
        let progress: WeeklyProgress | undefined;
        for (let i = 0; i < 100; i++) {
          progress = await handle.query<WeeklyProgress>('progress').catch(() => undefined);
          if (progress && progress.running > 0) break;
          await sleep(200);
        }
        assert.ok(
          progress && progress.total >= 2 && progress.running === 1,
          `progress ${JSON.stringify(progress)}`,
        );
        assert.equal(progress.week, '2024-W20');

        const again = await runCli(['run', '--week', '2024-W20'], fixture.env);
        assert.equal(again.code, 2);
        assert.match(again.stderr, /weekly-2024-W20 is already running/);

        await handle.cancel();
        await assert.rejects(handle.result(), WorkflowFailedError);
        assert.equal((await handle.describe()).status.name, 'CANCELLED');
        const groups = await fixture.db.pool.query<{ tile: string; group_number: number }>(
          'SELECT tile, group_number FROM parcel_groups',
        );
        let seen = 0;
        for (const g of groups.rows) {
          const child = await fixture.client.workflow
            .getHandle(`group-${g.tile}-${g.group_number}-2024-W20`)
            .describe()
            .catch(() => undefined); // never started: nothing to stop
          if (!child) continue;
          seen++;
          assert.notEqual(
            child.status.name,
            'RUNNING',
            `group ${g.tile}/${g.group_number} still running`,
          );
        }
        assert.ok(seen >= 1, 'at least one child had started');
        const run = await fixture.db.pool.query<{ status: string }>(
          "SELECT status FROM pipeline_runs WHERE workflow_id = 'weekly-2024-W20'",
        );
        assert.deepEqual(run.rows, [{ status: 'cancelled' }]);
      });
    } finally {
      fixture.stac.faults.set({});
    }
  });

  it('records a failed run with its reason, and `runs retry` reruns it with the same input', async () => {
    // The catalogue refuses every search: the groups fail, and so does the run, saying why.
    fixture.stac.faults.set({ failNext: { count: 1000, status: 400, pathPattern: '^/search' } });
    await withPipelineWorkers(fixture, async () => {
      const failed = await runCli(['run', '--week', '2024-W21', '--wait'], fixture.env);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /weekly-2024-W21 failed: .*HTTP 400/);
    });
    const row = await fixture.db.pool.query<{ status: string; error: string }>(
      "SELECT status, error FROM pipeline_runs WHERE workflow_id = 'weekly-2024-W21'",
    );
    assert.equal(row.rows[0]?.status, 'failed');
    assert.match(row.rows[0]?.error ?? '', /groups failed: .*STAC API .*HTTP 400/);

    fixture.stac.faults.set({});
    const retried = await withPipelineWorkers(fixture, () =>
      runCli(['runs', 'retry', 'weekly-2024-W21', '--wait', '--json'], fixture.env),
    );
    assert.equal(retried.code, 0, retried.stderr);
    const out = JSON.parse(retried.stdout);
    assert.equal(out.status, 'completed');
    assert.equal(out.result.week, '2024-W21', "the retry got the failed run's input");
  });

  it('says at a glance what runs, whether workers poll, and the last runs with their KPIs', async () => {
    const status = await withPipelineWorkers(fixture, () =>
      runCli(['status', '--json'], fixture.env),
    );
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.database.reachable, true);
    assert.equal(report.database.parcels, 61);
    assert.ok(
      report.temporal.pollers.io >= 1 && report.temporal.pollers.cpu >= 1,
      JSON.stringify(report.temporal),
    );
    assert.ok(
      report.lastRuns.some((r: { workflowId: string }) => r.workflowId === 'weekly-2024-W19'),
    );
    const text = await runCli(['status'], fixture.env);
    assert.match(text.stdout, /database +e2e_cli: 61 parcels, 61 watched, \d+ groups/);
    assert.match(text.stdout, /temporal .*NO WORKER POLLING|temporal .*workers polling/);
    assert.match(text.stdout, /last run .*weekly-2024-W19/);
    const down = await runCli(['status'], { ...fixture.env, TEMPORAL_ADDRESS: '127.0.0.1:9' });
    assert.equal(down.code, 3);
    assert.match(down.stdout, /temporal +UNREACHABLE at 127\.0\.0\.1:9/);
  });

  it('replays a finished run on the current code with `parcelwatch replay`', async () => {
    const result = await runCli(['replay', 'weekly-2024-W19'], fixture.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /weekly-2024-W19 \(run .*, \d+ events\) replays cleanly on the current code/,
    );
  });
});
