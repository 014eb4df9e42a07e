import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WeeklyRunResult } from '../../src/workflows/weekly-run';
import { recordHistory } from '../helpers/histories';
import {
  assertSameObservations,
  directComputation,
  executeWithWorkers,
  type PipelineFixture,
  pipelineFixture,
  spawnWorker,
  storedObservations,
} from '../helpers/pipeline';

const WEEK = '2024-W20';
const SYNTHETIC = {
  seed: 21,
  parcels: 120,
  tinyParcels: 2,
  bands: ['B04', 'B08', 'B11', 'SCL'] as const,
};
const SETTINGS = { PARCELWATCH_GROUP_MAX_PARCELS: '40', PARCELWATCH_LOOKBACK_WEEKS: '1' };

describe('weekly run under faults (real services)', function () {
  this.timeout(900_000);

  describe('a STAC API answering 429 and 5xx, and slow COG responses', () => {
    let fixture: PipelineFixture;
    before(async () => {
      fixture = await pipelineFixture(
        'faults',
        { ...SYNTHETIC, bands: [...SYNTHETIC.bands] },
        SETTINGS,
      );
    });
    after(async () => fixture?.close());

    it('still completes, with the same rows as an undisturbed computation', async () => {
      // Searches and tile reads meet 429 (with Retry-After) and 503 answers, and every COG answer is slow.
      fixture.stac.faults.set({
        status429Rate: 0.2,
        status5xxRate: 0.1,
        slowMs: 50,
        retryAfterSeconds: 1,
        pathPattern: '^/(search|cogs/)',
        seed: 3,
      });
      const started = fixture.stac.requests.length;
      const result = await executeWithWorkers<WeeklyRunResult>(
        fixture,
        'weeklyRun',
        `weekly-${WEEK}-faults-${Date.now()}`,
        [{ week: WEEK }],
      );
      fixture.stac.faults.set({ slowMs: 0 });
      assert.equal(result.status, 'completed');
      const answered = fixture.stac.requests.slice(started).map((r) => r.status);
      assert.ok(answered.includes(429), 'faults were injected (429)');
      assert.ok(answered.includes(503), 'faults were injected (503)');
      assertSameObservations(
        await storedObservations(fixture),
        await directComputation(fixture, scenesOfWindow(fixture)),
      );
    });
  });

  describe('a worker killed with SIGKILL in the middle of a run', () => {
    let fixture: PipelineFixture;
    before(async () => {
      fixture = await pipelineFixture(
        'killed',
        { ...SYNTHETIC, bands: [...SYNTHETIC.bands] },
        SETTINGS,
      );
    });
    after(async () => fixture?.close());

    it('completes after a restart with exactly the rows of an undisturbed run, none duplicated, none missing', async () => {
      // Slow COG answers keep the run busy long enough to be interrupted while it writes.
      fixture.stac.faults.set({ slowMs: 300, pathPattern: '^/cogs/' });
      let worker = spawnWorker(fixture);
      const handle = await fixture.client.workflow.start('weeklyRun', {
        taskQueue: fixture.config.temporal.taskQueues.io,
        workflowId: `weekly-${WEEK}-killed-${Date.now()}`,
        args: [{ week: WEEK }],
      });
      // Kill once the run has written some observations but not all of them.
      const expected = await directComputation(fixture, scenesOfWindow(fixture));
      let written = 0;
      for (let i = 0; i < 600 && written === 0; i++) {
        await sleep(250);
        written = Number(
          (
            await fixture.db.pool.query<{ n: string }>(
              'SELECT count(*) AS n FROM parcel_observations',
            )
          ).rows[0]?.n,
        );
      }
      assert.ok(
        written > 0 && written < expected.size,
        `killed mid-run (${written} of ${expected.size} rows written); worker said:\n${worker.output()}`,
      );
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker.once('exit', resolve));
      fixture.stac.faults.set({ slowMs: 0 });

      worker = spawnWorker(fixture);
      try {
        const result = (await handle.result()) as WeeklyRunResult;
        await recordHistory(fixture.client, 'weekly-run-after-worker-crash', handle.workflowId, {
          children: { processGroup: 'process-group-after-worker-crash' },
        });
        assert.equal(result.status, 'completed');
      } finally {
        worker.kill('SIGTERM');
        await new Promise((resolve) => worker.once('exit', resolve));
      }
      const stored = await storedObservations(fixture);
      const keys = stored.map(
        (r) => `${r.external_id}|${r.index_name}|${r.acquired_at.toISOString()}`,
      );
      assert.equal(new Set(keys).size, keys.length, 'no duplicated row');
      assertSameObservations(stored, expected);
    });
  });
});

/** Scenes a run of WEEK with one week of lookback sees: the last two weeks of the dataset. */
function scenesOfWindow(fixture: PipelineFixture): string[] {
  const start = Date.parse('2024-05-13T00:00:00Z'); // Monday of 2024-W20 minus one week
  const end = Date.parse('2024-05-20T00:00:00Z');
  return fixture.dataset.scenes
    .filter((s) => Date.parse(s.datetime) >= start - 7 * 86_400_000 && Date.parse(s.datetime) < end)
    .map((s) => s.id);
}
