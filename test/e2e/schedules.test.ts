import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackfillWeek } from '../../src/workflows/backfill';
import { runCli } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import {
  assertSameObservations,
  directComputation,
  executeWithWorkers,
  type PipelineFixture,
  pipelineFixture,
  storedObservations,
  withPipelineWorkers,
} from '../helpers/pipeline';

describe('schedules and backfill (real Temporal dev server)', function () {
  this.timeout(600_000);
  let fixture: PipelineFixture;

  before(async () => {
    fixture = await pipelineFixture(
      'schedules',
      { seed: 41, parcels: 60, tinyParcels: 1, bands: ['B04', 'B08', 'B11', 'SCL'] },
      {
        PARCELWATCH_GROUP_MAX_PARCELS: '30',
        PARCELWATCH_LOOKBACK_WEEKS: '0',
        PARCELWATCH_SCHEDULE_ID: `pw-test-${process.pid}-${Date.now()}`,
      },
    );
  });
  after(async () => {
    await runCli(['schedule', 'delete'], fixture.env).catch(() => undefined);
    await fixture?.close();
  });

  it('creates the weekly schedule, triggers it and sees its run complete, pauses and unpauses it', async () => {
    const created = await runCli(
      [
        'schedule',
        'create',
        '--cron',
        '0 3 * * MON',
        '--overlap',
        'buffer-one',
        '--catchup',
        '2 days',
      ],
      fixture.env,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created/);
    const again = await runCli(
      [
        'schedule',
        'create',
        '--cron',
        '0 3 * * MON',
        '--overlap',
        'buffer-one',
        '--catchup',
        '2 days',
      ],
      fixture.env,
    );
    assert.match(again.stdout, /updated/, 'create on an existing schedule updates it');

    const described = JSON.parse(
      (await runCli(['schedule', 'describe', '--json'], fixture.env)).stdout,
    );
    assert.equal(described.cron, '0 3 * * MON');
    assert.equal(described.overlap, 'BUFFER_ONE');
    assert.equal(described.catchupWindowMs, 2 * 86_400_000);
    assert.equal(described.workflowType, 'scheduledWeeklyRun');
    assert.ok(
      described.nextRuns.length > 0 && new Date(described.nextRuns[0]).getUTCDay() === 1,
      'next run on a Monday',
    );

    await withPipelineWorkers(fixture, async () => {
      const triggered = await runCli(['schedule', 'trigger'], fixture.env);
      assert.equal(triggered.code, 0, triggered.stderr);
      let recent: Array<{ workflowId: string }> = [];
      for (let i = 0; i < 120 && recent.length === 0; i++) {
        await sleep(500);
        recent = JSON.parse(
          (await runCli(['schedule', 'describe', '--json'], fixture.env)).stdout,
        ).recentRuns;
      }
      assert.equal(recent.length, 1, 'the trigger started a run');
      const result = (await fixture.client.workflow.getHandle(recent[0]!.workflowId).result()) as {
        week: string;
        status: string;
      };
      assert.equal(result.status, 'ran');
      assert.match(result.week, /^\d{4}-W\d{2}$/);
      await recordHistory(fixture.client, 'scheduled-weekly-run', recent[0]!.workflowId);
    });

    assert.equal(
      (await runCli(['schedule', 'pause', '--note', 'maintenance'], fixture.env)).code,
      0,
    );
    let state = JSON.parse((await runCli(['schedule', 'describe', '--json'], fixture.env)).stdout);
    assert.equal(state.paused, true);
    assert.equal(state.note, 'maintenance');
    assert.equal((await runCli(['schedule', 'unpause'], fixture.env)).code, 0);
    state = JSON.parse((await runCli(['schedule', 'describe', '--json'], fixture.env)).stdout);
    assert.equal(state.paused, false);
  });

  it('runs a 6-week backfill to the end through continue-as-new, computing every scene once', async () => {
    const workflowId = `backfill-2024-W17-2024-W22-${Date.now()}`;
    const result = await executeWithWorkers<{ weeks: BackfillWeek[] }>(
      fixture,
      'backfill',
      workflowId,
      [{ from: '2024-W17', to: '2024-W22', weeksPerRun: 2 }],
    );
    // The synthetic season starts in W19: the two weeks before it have no scene (degraded, not failed).
    assert.deepEqual(
      result.weeks.map((w) => [w.week, w.status]),
      [
        ['2024-W17', 'degraded'],
        ['2024-W18', 'degraded'],
        ['2024-W19', 'completed'],
        ['2024-W20', 'completed'],
        ['2024-W21', 'completed'],
        ['2024-W22', 'degraded'],
      ],
    );
    const description = await fixture.client.workflow.getHandle(workflowId).describe();
    await recordHistory(fixture.client, 'backfill-first-run', workflowId, {
      runId: description.raw.workflowExecutionInfo?.firstRunId ?? undefined,
    });
    await recordHistory(fixture.client, 'backfill-last-run', workflowId);
    assert.notEqual(
      description.raw.workflowExecutionInfo?.firstRunId,
      description.runId,
      'the backfill continued as new',
    );
    assertSameObservations(await storedObservations(fixture), await directComputation(fixture));
  });

  it('refuses a reversed or malformed week range without retrying', async () => {
    await assert.rejects(
      executeWithWorkers(fixture, 'backfill', `backfill-bad-${Date.now()}`, [
        { from: '2024-W22', to: '2024-W17' },
      ]),
      (error: Error & { cause?: Error }) => /reversed/.test(error.cause?.message ?? ''),
    );
    const cli = await runCli(['backfill', '--from', '2024-22', '--to', '2024-W30'], fixture.env);
    assert.equal(cli.code, 2);
    assert.match(
      cli.stderr,
      /--from "2024-22" is not an ISO week; write it as YYYY-Www, e\.g\. 2024-W22/,
    );
  });
});
