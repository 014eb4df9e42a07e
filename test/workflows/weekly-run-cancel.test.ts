import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import type { PlannedGroup, RunSettings } from '../../src/activities/contracts';
import { withWorker } from '../helpers/workers';

/**
 * Cancelling a weekly run while a group's child runs and the run waits for room to start the next:
 * the child's cancellation can reach the run while it records itself as cancelled. Its outcome
 * must be handled there, or the run's workflow task fails on an unhandled rejection and the run
 * stays RUNNING for good. The activities here are the workflow's collaborators, scripted to hold
 * that moment open; Temporal is the real dev server.
 */
describe('weeklyRun cancelled while a group runs (real Temporal dev server)', function () {
  this.timeout(120_000);

  it("ends CANCELLED when its child's cancellation lands while the run records it", async () => {
    const recorded: string[] = [];
    let searchStarted!: () => void;
    const searching = new Promise<void>((resolve) => {
      searchStarted = resolve;
    });
    const group = (n: number): PlannedGroup => ({
      groupId: n,
      tile: '31UFU',
      number: n,
      watched: 1,
    });
    const settings: RunSettings = {
      cpuTaskQueue: 'unused',
      indices: ['ndvi'],
      algorithmVersion: 'test',
      computeChunkParcels: 100,
      maxConcurrentGroups: 1,
      lookbackWeeks: 0,
      codeVersion: 'test',
    };
    const activities = {
      async runSettings() {
        return settings;
      },
      async planGroups() {
        return {
          groups: [group(1), group(2)],
          assigned: { parcels: 0, groupsCreated: 0, groupsSplit: 0, groupsDeleted: 0 },
        };
      },
      async recordRun(record: { status: string }) {
        recorded.push(record.status);
        // Hold the run in its cancellation record while the child's cancellation arrives.
        if (record.status === 'cancelled') await sleep(3_000);
      },
      async searchScenes() {
        searchStarted();
        // The first group's search outlasts the cancel (the workflow does not wait for it).
        for (let i = 0; i < 50; i++) {
          Context.current().heartbeat();
          await sleep(200);
        }
        throw new Error('search held open past the test');
      },
    };

    await withWorker(activities, async ({ client, taskQueue }) => {
      const handle = await client.workflow.start('weeklyRun', {
        taskQueue,
        workflowId: `weekly-cancel-${Date.now()}`,
        args: [{ week: '2024-W20' }],
      });
      await searching;
      await handle.cancel();
      const outcome = await Promise.race([
        handle.result().then(
          () => 'completed',
          (error: unknown) => error,
        ),
        sleep(30_000).then(() => 'still running 30 s after the cancel'),
      ]);
      assert.ok(outcome instanceof WorkflowFailedError, String(outcome));
      assert.equal((await handle.describe()).status.name, 'CANCELLED');
      assert.deepEqual(recorded, ['running', 'cancelled']);
    });
  });
});
