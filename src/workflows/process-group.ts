import { ActivityFailure, ApplicationFailure, isCancellation, log } from '@temporalio/workflow';
import type { GroupResult, TimeWindow } from '../activities/contracts';
import { cpu, io } from './activities';

export interface ProcessGroupInput {
  groupId: number;
  tile: string;
  /** ISO week of the run, e.g. `2026-W48` (for ids and logs). */
  week: string;
  /** Acquisitions searched: the week plus its lookback. */
  window: TimeWindow;
  indices: string[];
  algorithmVersion: string;
  cpuTaskQueue: string;
  reprocess?: boolean;
  /** The weekly run's id, recorded with every row written. */
  runId: string;
}

/**
 * Brings one parcel group up to date for a window: finds its scenes, and for each scene still
 * lacking current observations for some watched parcel, downloads the group's window, masks it
 * and computes the statistics. Guarantees: a scene already processed is neither downloaded nor
 * computed again; bad data in one scene (a corrupt COG) fails that scene and not the group; a
 * provider that stays down fails the group with the reason. No scene in the window is an outcome
 * (`no-scenes`), not a failure.
 */
export async function processGroup(input: ProcessGroupInput): Promise<GroupResult> {
  const { groupId, tile } = input;
  const result: GroupResult = {
    groupId,
    tile,
    status: 'ok',
    scenesFound: 0,
    scenesProcessed: 0,
    scenesSkipped: 0,
    scenesFailed: [],
    observations: 0,
    bytesRead: 0,
  };
  const search = await io.search.searchScenes({ groupId, tile, window: input.window });
  result.scenesFound = search.scenes.length;
  result.scenesSkipped = search.skipped.length;
  for (const item of search.skipped)
    log.warn('scene skipped', { groupId, sceneId: item.id, reason: item.reason });
  if (search.scenes.length === 0) {
    result.status = 'no-scenes';
    return result;
  }
  const compute = cpu(input.cpuTaskQueue);
  const sceneInput = (sceneId: string) => ({
    sceneId,
    groupId,
    indices: input.indices,
    algorithmVersion: input.algorithmVersion,
    reprocess: input.reprocess,
    runId: input.runId,
  });

  for (const scene of search.scenes) {
    try {
      const plan = await io.planning.planScene(sceneInput(scene.id));
      if (plan.parcelsMissing === 0) continue; // already current for every watched parcel
      if (!plan.cleanReady) {
        if (!plan.rawReady) {
          const download = await io.download.downloadScene(sceneInput(scene.id));
          result.bytesRead += download.bytesRead;
        }
        await compute.maskScene(sceneInput(scene.id));
      }
      for (const chunk of plan.chunks) {
        const computed = await compute.computeIndices({ ...sceneInput(scene.id), ...chunk });
        result.observations += computed.observations;
      }
      await io.record.recordSceneOutcome({
        sceneId: scene.id,
        groupId,
        status: 'computed',
        runId: input.runId,
      });
      result.scenesProcessed++;
    } catch (error) {
      if (isCancellation(error)) throw error;
      const reason = badDataReason(error);
      if (reason === undefined) throw error; // transient failures that outlived their retries fail the group
      log.warn('scene failed, the group goes on', { sceneId: scene.id, groupId, reason });
      result.scenesFailed.push({ id: scene.id, reason });
      await io.record.recordSceneOutcome({
        sceneId: scene.id,
        groupId,
        status: 'failed',
        reason,
        runId: input.runId,
      });
    }
  }
  if (result.scenesFailed.length > 0) result.status = 'partial';
  return result;
}

/** The message of a non-retryable activity failure (bad data), or undefined for anything else. */
function badDataReason(error: unknown): string | undefined {
  if (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    error.cause.nonRetryable
  ) {
    return error.cause.message;
  }
  return undefined;
}
