import type { Database } from '../../../src/store/db/database';
import { finishRun, startRun } from '../../../src/store/db/runs-repo';

/** A run as the cost tests record it; no `end`: still running. */
export interface SeededRun {
  workflowId: string;
  kind: string;
  start: string;
  end?: string;
  status?: 'completed' | 'degraded' | 'failed' | 'cancelled';
  kpis?: Record<string, number | string | null>;
}

/**
 * Runs around the period 2026-01-01 .. 2026-02-28 (UTC): several kinds, a running run, a failed
 * one, runs without KPIs or with a KPI that is not a number, and runs just outside both ends.
 */
export const COST_RUNS: SeededRun[] = [
  {
    workflowId: 'weekly-2025-W52',
    kind: 'weekly',
    start: '2025-12-31T23:59:59.000Z',
    end: '2026-01-01T01:00:00.000Z',
    status: 'completed',
    kpis: { bytesDownloaded: 999, parcelsObserved: 9 },
  },
  {
    workflowId: 'weekly-2026-W01',
    kind: 'weekly',
    start: '2026-01-01T00:00:00.000Z',
    end: '2026-01-01T01:30:00.250Z',
    status: 'completed',
    kpis: { bytesDownloaded: 5_000_000_000, parcelsObserved: 280 },
  },
  {
    workflowId: 'weekly-2026-W02',
    kind: 'weekly',
    start: '2026-01-12T02:00:00.000Z',
    end: '2026-01-12T02:45:10.500Z',
    status: 'degraded',
    kpis: { bytesDownloaded: 1_234_567, parcelsObserved: 150 },
  },
  // UTC January, already February in a session at UTC+14.
  {
    workflowId: 'weekly-2026-W05',
    kind: 'weekly',
    start: '2026-01-31T23:30:00.000Z',
    end: '2026-02-01T00:10:00.000Z',
    status: 'failed',
    kpis: { bytesDownloaded: 42 },
  },
  {
    workflowId: 'purge-2026-01',
    kind: 'purge',
    start: '2026-01-20T03:00:00.000Z',
    end: '2026-01-20T03:02:03.125Z',
    status: 'completed',
    kpis: { mode: 'purge' },
  },
  {
    workflowId: 'check-1',
    kind: 'check',
    start: '2026-01-21T10:00:00.000Z',
    end: '2026-01-21T10:00:01.750Z',
    status: 'completed',
  },
  {
    workflowId: 'weekly-2026-W06',
    kind: 'weekly',
    start: '2026-02-02T02:00:00.000Z',
    end: '2026-02-02T04:00:00.000Z',
    status: 'completed',
    kpis: { bytesDownloaded: 7_000, parcelsObserved: 300 },
  },
  {
    workflowId: 'weekly-2026-W07',
    kind: 'weekly',
    start: '2026-02-09T02:00:00.000Z',
    end: '2026-02-09T02:20:00.000Z',
    status: 'cancelled',
    kpis: { bytesDownloaded: 'n/a', parcelsObserved: 12 },
  },
  { workflowId: 'weekly-2026-W08', kind: 'weekly', start: '2026-02-16T02:00:00.000Z' },
  {
    workflowId: 'purge-2026-02',
    kind: 'purge',
    start: '2026-02-28T23:59:59.999Z',
    end: '2026-03-01T00:00:30.000Z',
    status: 'completed',
  },
  {
    workflowId: 'weekly-2026-W09',
    kind: 'weekly',
    start: '2026-03-01T00:00:00.000Z',
    end: '2026-03-01T01:00:00.000Z',
    status: 'completed',
    kpis: { bytesDownloaded: 777, parcelsObserved: 7 },
  },
];

/** The period the tests ask for: --since 2026-01-01 --until 2026-02-28. */
export const COST_PERIOD = {
  since: '2026-01-01T00:00:00.000Z',
  until: '2026-03-01T00:00:00.000Z',
};

export async function seedCostRuns(db: Database, runs: SeededRun[] = COST_RUNS): Promise<void> {
  for (const run of runs) {
    const id = { workflowId: run.workflowId, runId: `${run.workflowId}-r1` };
    await startRun(db, { ...id, kind: run.kind, trigger: 'manual', startedAt: run.start });
    if (run.end) {
      await finishRun(db, {
        ...id,
        status: run.status ?? 'completed',
        kpis: run.kpis,
        finishedAt: run.end,
      });
    }
  }
}

/** What the report must say, computed here from the seeded runs (not by the code under test). */
export function expectedUsage(
  runs: SeededRun[],
  period: { since: string; until: string },
  key: (run: SeededRun) => string,
) {
  const inPeriod = runs.filter(
    (r) =>
      Date.parse(r.start) >= Date.parse(period.since) &&
      Date.parse(r.start) < Date.parse(period.until),
  );
  const groups = new Map<string, SeededRun[]>();
  for (const run of inPeriod) groups.set(key(run), [...(groups.get(key(run)) ?? []), run]);
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return new Map(
    [...groups].map(([k, group]) => {
      const finished = group.filter((r) => r.end);
      const wallMs = finished.reduce((s, r) => s + Date.parse(r.end!) - Date.parse(r.start), 0);
      return [
        k,
        {
          runs: group.length,
          finishedRuns: finished.length,
          runningRuns: group.length - finished.length,
          failedRuns: group.filter((r) => r.status === 'failed').length,
          wallSeconds: wallMs / 1000,
          meanWallSeconds: finished.length ? Math.round(wallMs / finished.length) / 1000 : null,
          bytesDownloaded: group.reduce((s, r) => s + num(r.kpis?.bytesDownloaded), 0),
          parcelsObserved: group.reduce((s, r) => s + num(r.kpis?.parcelsObserved), 0),
        },
      ];
    }),
  );
}
