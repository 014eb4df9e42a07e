import assert from 'node:assert/strict';
import {
  formatBytes,
  formatDuration,
  formatShare,
  formatWindow,
  runFacts,
} from '../../../src/api/web/run-kpis.js';

function run(kpis: Record<string, unknown>) {
  return {
    workflowId: 'weekly-2024-W20',
    runId: 'r1',
    kind: 'weekly',
    window: { start: '2024-05-13T00:00:00.000Z', end: '2024-05-20T00:00:00.000Z' },
    trigger: 'schedule',
    triggeredBy: null,
    status: 'completed' as const,
    counts: {},
    kpis,
    error: null,
    codeVersion: null,
    startedAt: '2024-05-20T03:00:00.000Z',
    finishedAt: '2024-05-20T03:14:10.000Z',
  };
}

describe('web page run KPIs', () => {
  it("words a weekly run's KPIs: parcels, shares, scenes, failures, bytes", () => {
    const facts = runFacts(
      run({
        scenesFound: 6,
        scenesUsed: 5,
        scenesFailed: 1,
        parcelsExpected: 300,
        parcelsObserved: 297,
        okShare: 0.93,
        meanValidFraction: 0.8712,
        failedActivities: 1,
        bytesDownloaded: 12_345_678,
        timingsMs: { compute: 1200 },
      }),
    );
    assert.deepEqual(facts, [
      { label: 'Parcels observed', text: '297 of 300 (99.0 %)' },
      { label: 'Parcels with an ok value', text: '93.0 %' },
      { label: 'Mean valid fraction', text: '87.1 %' },
      { label: 'Scenes used', text: '5 of 6, 1 failed' },
      { label: 'Failed activities', text: '1' },
      { label: 'Downloaded', text: '12.3 MB' },
    ]);
  });

  it('says n/a for a KPI with nothing to measure, and shows KPIs it does not know by name', () => {
    const facts = runFacts(
      run({
        okShare: null,
        parcelsObserved: 0,
        mode: 'dry-run',
        objectsDeleted: 12,
        ratio: 0.123456,
      }),
    );
    assert.deepEqual(facts, [
      { label: 'Parcels observed', text: '0' },
      { label: 'Parcels with an ok value', text: 'n/a' },
      { label: 'mode', text: 'dry-run' },
      { label: 'objectsDeleted', text: '12' },
      { label: 'ratio', text: '0.1235' },
    ]);
  });

  it('formats shares, bytes, durations and windows', () => {
    assert.equal(formatShare(0.5), '50.0 %');
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(1500), '1.5 kB');
    assert.equal(formatBytes(3_200_000_000), '3.2 GB');
    assert.equal(formatDuration('2024-05-20T03:00:00Z', '2024-05-20T03:00:42Z'), '42 s');
    assert.equal(formatDuration('2024-05-20T03:00:00Z', '2024-05-20T03:14:10Z'), '14 min 10 s');
    assert.equal(formatDuration('2024-05-20T03:00:00Z', '2024-05-20T05:05:00Z'), '2 h 05 min');
    assert.equal(formatDuration('2024-05-20T03:00:00Z', '2024-05-23T07:30:00Z'), '3 d 4 h');
    const now = Date.parse('2024-05-20T03:01:00Z');
    assert.equal(formatDuration('2024-05-20T03:00:00Z', null, now), '1 min 0 s');
    // The stored end is exclusive: a week from Monday ends on Sunday.
    assert.equal(
      formatWindow({ start: '2024-05-13T00:00:00.000Z', end: '2024-05-20T00:00:00.000Z' }),
      '2024-05-13 – 2024-05-19',
    );
    assert.equal(formatWindow(null), '—');
  });
});
