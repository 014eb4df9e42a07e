/**
 * The corpus of workflow histories replayed by the suite (test/histories/*.binpb: binary protobuf,
 * the History message as the server sends it). Histories are
 * recorded from real runs on the dev server by the end-to-end tests when PARCELWATCH_RECORD_HISTORIES=1
 * (`npm run test:record-histories`), and committed: a later change that breaks them fails CI.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { REPO_ROOT } from './services';

export const HISTORIES_DIR = path.join(REPO_ROOT, 'test', 'histories');

export function recordingHistories(): boolean {
  return process.env.PARCELWATCH_RECORD_HISTORIES === '1';
}

/**
 * Saves the history of `workflowId` (latest run, or `runId`) as `<name>.binpb`, and, with
 * `children`, the histories of the child workflows it started of each given type.
 */
export async function recordHistory(
  client: Client,
  name: string,
  workflowId: string,
  options: { runId?: string; children?: Record<string, string> } = {},
): Promise<void> {
  if (!recordingHistories()) return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const history = await client.workflow.getHandle(workflowId, options.runId).fetchHistory();
  writeFileSync(
    path.join(HISTORIES_DIR, `${name}.binpb`),
    temporal.api.history.v1.History.encode(history).finish(),
  );
  for (const [type, childName] of Object.entries(options.children ?? {})) {
    const started = (history.events ?? [])
      .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
      .filter((a) => a?.workflowType?.name === type && a.workflowId);
    if (started.length === 0) throw new Error(`${workflowId} started no ${type} child to record`);
    for (const [i, child] of started.entries()) {
      await recordHistory(
        client,
        started.length === 1 ? childName : `${childName}-${i + 1}`,
        child!.workflowId!,
      );
    }
  }
}

/** Every history of the corpus, by name. */
export function loadHistories(): Array<{ name: string; history: temporal.api.history.v1.History }> {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.binpb'))
    .sort()
    .map((file) => ({
      name: file.replace(/\.binpb$/, ''),
      history: temporal.api.history.v1.History.decode(readFileSync(path.join(HISTORIES_DIR, file))),
    }));
}
