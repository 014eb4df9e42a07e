import assert from 'node:assert/strict';
import { describeProgress } from '../../src/cli/progress';
import { workflowProgressState } from '../../src/cli/run-progress';
import type { BackfillProgress } from '../../src/workflows/backfill';
import type { WeeklyProgress } from '../../src/workflows/weekly-run';

describe('progress of a followed run', () => {
  it('counts a weekly run in groups, failed ones done too', () => {
    const progress: WeeklyProgress = {
      week: '2024-W20',
      total: 8,
      done: 3,
      failed: 1,
      running: 2,
      remaining: 4,
    };
    const state = workflowProgressState({ ...progress });
    assert.deepEqual([state.done, state.total], [4, 8]);
    assert.equal(describeProgress(state), 'week 2024-W20, groups 50 % 4 of 8, 2 running, 1 failed');
  });

  it('counts a backfill in weeks and names the week under way', () => {
    const progress: BackfillProgress = {
      from: '2024-W19',
      to: '2024-W28',
      done: 5,
      failed: 0,
      remaining: 5,
      current: '2024-W24',
    };
    const state = workflowProgressState({ ...progress });
    assert.deepEqual([state.done, state.total], [5, 10]);
    assert.match(
      describeProgress(state),
      /^backfill 2024-W19\.\.2024-W28, weeks 50 % 5 of 10, 0 failed, now 2024-W24$/,
    );
  });

  it('shows the fields of any other progress without a bar', () => {
    const state = workflowProgressState({ step: 'archive', partitions: 3 });
    assert.equal(state.total, 0);
    assert.equal(describeProgress(state), 'running step archive, partitions 3');
  });
});
