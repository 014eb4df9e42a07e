import type { ProgressState } from './progress';

/**
 * What `--wait` shows while a run is followed: the `progress` query of a weekly run (groups) or of
 * a backfill (weeks), as a bar's state. Anything else a workflow answers is shown as its fields.
 */
export function workflowProgressState(progress: Record<string, unknown>): ProgressState {
  const n = (key: string) => (typeof progress[key] === 'number' ? (progress[key] as number) : 0);
  if (typeof progress.week === 'string' && typeof progress.total === 'number') {
    return {
      phase: `week ${progress.week}, groups`,
      done: n('done') + n('failed'),
      total: n('total'),
      unit: 'items',
      detail: `${n('running')} running, ${n('failed')} failed`,
    };
  }
  if (typeof progress.from === 'string' && typeof progress.remaining === 'number') {
    const current = typeof progress.current === 'string' ? `, now ${progress.current}` : '';
    return {
      phase: `backfill ${progress.from}..${progress.to}, weeks`,
      done: n('done') + n('failed'),
      total: n('done') + n('failed') + n('remaining'),
      unit: 'items',
      detail: `${n('failed')} failed${current}`,
    };
  }
  return {
    phase: 'running',
    done: 0,
    total: 0,
    unit: 'items',
    detail: Object.entries(progress)
      .map(([key, value]) => `${key} ${String(value)}`)
      .join(', '),
  };
}
