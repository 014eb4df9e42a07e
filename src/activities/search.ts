import { heartbeat } from '@temporalio/activity';
import { BadInputError } from '../core/errors';
import { bandsFor, resolveIndices } from '../core/indices/registry';
import { dedupeScenes, scenesOfTile } from '../core/stac/dedupe';
import { REMOTE_ASSET_SCHEMES, scenesFromItems } from '../core/stac/items';
import { getGroup } from '../store/db/groups';
import { upsertScenes } from '../store/db/scenes-repo';
import type { SearchScenesInput, SearchScenesResult } from './contracts';
import type { ActivityDeps } from './deps';

export function searchActivities(deps: ActivityDeps) {
  const { db, config, stac } = deps;
  return {
    /**
     * The scenes of a group's tile over its parcels in a window: STAC search (retried on 429/5xx),
     * items parsed (one lacking a needed asset is skipped with the reason), reprocessed duplicates
     * dropped (the newest kept), the rest stored in `scenes` with their harmonisation decision.
     * Only scenes of the group's own tile are returned: each parcel is processed in its primary tile.
     */
    async searchScenes(input: SearchScenesInput): Promise<SearchScenesResult> {
      const group = await getGroup(db, input.groupId);
      if (!group?.bbox) {
        throw new BadInputError(
          `parcel group ${input.groupId} does not exist or holds no parcel; plan the run again`,
          { code: 'GROUP_UNKNOWN' },
        );
      }
      heartbeat('searching');
      const search = await stac.search({
        intersects: group.bbox,
        datetime: `${input.window.start}/${input.window.end}`,
        maxCloudCover: config.stac.maxCloudCover,
        tile: input.tile,
      });
      const requiredBands = bandsFor(resolveIndices(config.science.indices));
      const parsed = scenesFromItems(search.items, {
        requiredBands,
        assetSchemes: REMOTE_ASSET_SCHEMES,
      });
      const deduped = dedupeScenes(scenesOfTile(parsed.scenes, input.tile));
      await upsertScenes(db, deduped.kept, 'found');
      await upsertScenes(
        db,
        deduped.dropped.map((d) => d.scene),
        'superseded',
      );
      const skipped = [
        ...parsed.rejected.map((r) => ({ id: r.id, reason: r.reason })),
        ...deduped.dropped.map((d) => ({ id: d.scene.id, reason: d.reason })),
      ];
      const scenes = deduped.kept
        .map((s) => ({ id: s.id, acquiredAt: s.acquiredAt, cloudCover: s.cloudCover }))
        .sort((a, b) => a.acquiredAt.localeCompare(b.acquiredAt) || a.id.localeCompare(b.id));
      return { scenes, skipped };
    },
  };
}
