import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOWS_PATH } from '../workers/worker';

export interface ReplayOutcome {
  workflowId: string;
  runId: string;
  events: number;
  ok: boolean;
  /** What differs, when the current code does not replay the history. */
  error?: string;
}

/**
 * Replays one recorded history against the current workflow code. Non-determinism (the code
 * would now take other steps than the history recorded) is reported, not thrown.
 */
export async function replayHistory(
  history: History,
  workflowId: string,
  runId = '',
): Promise<ReplayOutcome> {
  const events = history.events?.length ?? 0;
  try {
    await Worker.runReplayHistory(
      { workflowsPath: WORKFLOWS_PATH, replayName: 'parcelwatch-replay' },
      history,
      workflowId,
    );
    return { workflowId, runId, events, ok: true };
  } catch (error) {
    if (error instanceof DeterminismViolationError)
      return { workflowId, runId, events, ok: false, error: error.message };
    throw error;
  }
}

/** Fetches a run's history from the server (the latest run without `runId`) and replays it. */
export async function replayFromServer(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<ReplayOutcome> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const history = await handle.fetchHistory();
  const description = await handle.describe();
  return replayHistory(history, workflowId, description.runId);
}
