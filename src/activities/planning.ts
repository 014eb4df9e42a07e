import { heartbeat } from '@temporalio/activity';
import { algorithmVersion } from '../core/algorithm';
import { BadInputError } from '../core/errors';
import { bandsFor, resolveIndices } from '../core/indices/registry';
import { assignGroups, groupsToProcess } from '../store/db/groups';
import { parcelsMissingObservations } from '../store/db/observations-repo';
import { groupParcelCount, parcelsOfGroup } from '../store/db/parcels-repo';
import { getScene, getSceneGroup } from '../store/db/scenes-repo';
import { codeVersion } from '../version';
import type {
  PlanGroupsInput,
  PlanGroupsResult,
  RunSettings,
  SceneGroupInput,
  ScenePlan,
} from './contracts';
import type { ActivityDeps } from './deps';

export function planningActivities(deps: ActivityDeps) {
  const { db, config } = deps;
  return {
    /** The workers' settings for a run, read once so the workflow stays deterministic. */
    async runSettings(): Promise<RunSettings> {
      resolveIndices(config.science.indices);
      return {
        cpuTaskQueue: config.temporal.taskQueues.cpu,
        indices: config.science.indices,
        algorithmVersion: algorithmVersion(config.science),
        computeChunkParcels: config.pipeline.computeChunkParcels,
        maxConcurrentGroups: config.pipeline.maxConcurrentGroups,
        lookbackWeeks: config.pipeline.lookbackWeeks,
        codeVersion: codeVersion(),
      };
    },

    /**
     * Brings parcel groups up to date (only new or changed parcels move), then lists the groups
     * holding watched parcels — never all parcels.
     */
    async planGroups(input: PlanGroupsInput): Promise<PlanGroupsResult> {
      heartbeat('assigning groups');
      const assigned = await assignGroups(db, {
        maxParcels: config.pipeline.groupMaxParcels,
        tiles: input.tiles,
      });
      const groups = await groupsToProcess(db, { tiles: input.tiles, groupIds: input.groupIds });
      return {
        groups: groups.map((g) => ({
          groupId: g.groupId,
          tile: g.tile,
          number: g.groupNumber,
          watched: g.watchedCount,
        })),
        assigned: {
          parcels: assigned.parcelsAssigned,
          groupsCreated: assigned.groupsCreated,
          groupsSplit: assigned.groupsSplit,
          groupsDeleted: assigned.groupsDeleted,
        },
      };
    },

    /**
     * What is left to do for one scene and group: the watched parcels lacking a current observation
     * (all of them with `reprocess`), in id ranges of at most the chunk size, and whether the raw and
     * clean rasters are already in the datalake.
     */
    async planScene(input: SceneGroupInput): Promise<ScenePlan> {
      const scene = await getScene(db, input.sceneId);
      if (!scene)
        throw new BadInputError(
          `scene ${input.sceneId} is unknown; it must be found by searchScenes first`,
          { code: 'SCENE_UNKNOWN' },
        );
      let ids: number[];
      if (input.reprocess) {
        const all = await groupParcelCount(db, input.groupId, { watchedOnly: true });
        ids = (
          await parcelsOfGroup(db, input.groupId, { watchedOnly: true, limit: Math.max(all, 1) })
        ).map((p) => p.id);
      } else {
        ids = await parcelsMissingObservations(db, {
          groupId: input.groupId,
          sceneId: input.sceneId,
          acquiredAt: scene.acquiredAt,
          indices: input.indices,
          algorithmVersion: input.algorithmVersion,
          watchedOnly: true,
        });
      }
      const size = config.pipeline.computeChunkParcels;
      const chunks: ScenePlan['chunks'] = [];
      for (let i = 0; i < ids.length; i += size)
        chunks.push({ fromId: ids[i]!, toId: ids[Math.min(i + size, ids.length) - 1]! });
      const state = await getSceneGroup(db, input.sceneId, input.groupId);
      const bands = bandsFor(resolveIndices(input.indices));
      const ready = async (keys: Record<string, string> | undefined) =>
        keys !== undefined &&
        bands.every((b) => keys[b] !== undefined) &&
        (await Promise.all(bands.map((b) => deps.datalake.exists(keys[b]!)))).every(Boolean);
      const rawReady = await ready(state?.rawKeys);
      // Clean rasters depend on the science settings: another algorithm version masks again.
      const cleanReady =
        !input.reprocess &&
        state?.algorithmVersion === input.algorithmVersion &&
        (await ready(state?.cleanKeys));
      return { parcelsMissing: ids.length, chunks, rawReady, cleanReady };
    },
  };
}
