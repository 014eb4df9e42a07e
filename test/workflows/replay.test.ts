import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { replayHistory } from '../../src/temporal/replay';
import { loadHistories } from '../helpers/histories';
import { ensureTestRuntime } from '../helpers/workers';

const corpus = loadHistories();

describe('replay of recorded workflow histories', function () {
  this.timeout(180_000);
  before(() => ensureTestRuntime());

  it('holds histories of every pipeline workflow, recorded from real runs', () => {
    const types = new Set(
      corpus.map(
        (c) => c.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name,
      ),
    );
    for (const type of [
      'weeklyRun',
      'processGroup',
      'backfill',
      'scheduledWeeklyRun',
      'checkDatabase',
    ]) {
      assert.ok(types.has(type), `no recorded history of ${type}`);
    }
  });

  for (const { name, history } of corpus) {
    it(`replays ${name} on the current workflow code`, async () => {
      const outcome = await replayHistory(history, name);
      assert.ok(outcome.ok, outcome.error);
      assert.ok(outcome.events > 3);
    });
  }

  it('catches workflow code that would take other steps than a recorded history (the test can fail)', async () => {
    const recorded = corpus.find(
      (c) =>
        c.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ===
        'processGroup',
    );
    assert.ok(recorded, 'a processGroup history is recorded');
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowsPath: require.resolve('./fixtures/changed-workflows'), replayName: 'changed' },
        recorded.history,
      ),
      (error: unknown) => error instanceof DeterminismViolationError,
    );
  });
});
