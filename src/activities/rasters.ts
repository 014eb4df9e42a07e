import { Context, heartbeat } from '@temporalio/activity';
import { BadDataError, BadInputError } from '../core/errors';
import { bandsFor, resolveIndices } from '../core/indices/registry';
import { clipToTiles } from '../core/raster/clip';
import { type Cog, openCog } from '../core/raster/cog-reader';
import type { MaskedScene } from '../core/raster/mask';
import { type MaskInBytes, maskSceneBytes } from '../core/raster/mask-bytes';
import { ownedBytes } from '../core/raster/memory-source';
import type { BandId, Scene } from '../core/stac/scene';
import { neededTiles } from '../core/zonal/scene-layout';
import { sceneRasterKey } from '../store/datalake/keys';
import { getGroup } from '../store/db/groups';
import { parcelsOfGroup } from '../store/db/parcels-repo';
import {
  getScene,
  getSceneGroup,
  markScene,
  recordSceneGroup,
  upsertScenes,
} from '../store/db/scenes-repo';
import type { DownloadResult, MaskResult, SceneGroupInput } from './contracts';
import type { ActivityDeps } from './deps';
import { groupParcelSet } from './parcel-cache';

/** Parcels read per page when listing a whole group. */
const PAGE = 10_000;

export function rasterActivities(deps: ActivityDeps) {
  const { db, config, datalake } = deps;

  async function sceneOf(sceneId: string): Promise<Scene> {
    const stored = await getScene(db, sceneId);
    if (!stored?.scene)
      throw new BadInputError(
        `scene ${sceneId} is unknown; it must be found by searchScenes first`,
        { code: 'SCENE_UNKNOWN' },
      );
    return stored.scene;
  }

  async function watchedParcels(groupId: number) {
    const all = [];
    let afterId = 0;
    while (true) {
      const page = await parcelsOfGroup(db, groupId, { watchedOnly: true, afterId, limit: PAGE });
      all.push(...page);
      if (page.length < PAGE) return all;
      afterId = page[page.length - 1]!.id;
    }
  }

  return {
    /**
     * Copies, for each band the indices need, only the provider's internal tiles holding the group's
     * watched parcels into a clipped COG in the datalake (`raw/<tile>/<date>/<scene>/g<n>/<band>.tif`):
     * a few ranged reads, no decoding. Keys are deterministic; rasters already there are reused.
     */
    async downloadScene(input: SceneGroupInput): Promise<DownloadResult> {
      const scene = await sceneOf(input.sceneId);
      const group = await getGroup(db, input.groupId);
      if (!group)
        throw new BadInputError(
          `parcel group ${input.groupId} does not exist; plan the run again`,
          { code: 'GROUP_UNKNOWN' },
        );
      const bands = bandsFor(resolveIndices(input.indices));
      const keyOf = (band: BandId) =>
        sceneRasterKey({
          area: 'raw',
          tile: scene.tile,
          acquiredAt: scene.acquiredAt,
          sceneId: scene.id,
          groupNumber: group.groupNumber,
          band,
        });
      const keys = Object.fromEntries(bands.map((band) => [band, keyOf(band)]));
      if ((await Promise.all(bands.map((band) => datalake.exists(keys[band]!)))).every(Boolean)) {
        await recordSceneGroup(db, {
          sceneId: scene.id,
          groupId: group.groupId,
          status: 'downloaded',
          rawKeys: keys,
          runId: input.runId,
        });
        return { keys, bytesRead: 0, bytesWritten: 0, reused: true };
      }
      const parcels = groupParcelSet(group.groupId, await watchedParcels(group.groupId)).set;
      const signal = Context.current().cancellationSignal;
      const sources = bands.map((band) => {
        const href = scene.bands[band]?.href;
        if (!href)
          throw new BadDataError(`scene ${scene.id} has no ${band} asset; it cannot be processed`, {
            code: 'SCENE_MISSING_BAND',
          });
        return deps.openSource(href);
      });
      try {
        const cogs: Cog[] = [];
        for (const source of sources) cogs.push(await openCog(source, { signal }));
        const reference = cogs.reduce(
          (best, cog, i) =>
            bands[i] !== 'SCL' && cog.grid.pixelWidth < best.grid.pixelWidth ? cog : best,
          cogs[0]!,
        );
        const prepared = parcels.prepare(
          reference.grid,
          reference.tileWidth,
          config.science.bufferMetres,
        );
        let bytesRead = 0;
        let bytesWritten = 0;
        // Every band is read before any is stored: a broken band (a cut file, a corrupt tile) fails
        // the scene without leaving the bands read before it in the datalake.
        const clips: Uint8Array[] = [];
        for (let i = 0; i < bands.length; i++) {
          heartbeat({ band: bands[i] });
          const clipped = await clipToTiles(cogs[i]!, neededTiles(prepared, cogs[i]!, reference), {
            signal,
          });
          clips.push(clipped.bytes);
          bytesRead += clipped.bytesRead;
          bytesWritten += clipped.bytes.byteLength;
        }
        for (let i = 0; i < bands.length; i++) await datalake.put(keys[bands[i]!]!, clips[i]!);
        await recordSceneGroup(db, {
          sceneId: scene.id,
          groupId: group.groupId,
          status: 'downloaded',
          rawKeys: keys,
          runId: input.runId,
        });
        await upsertScenes(db, [scene], 'downloaded');
        return { keys, bytesRead, bytesWritten, reused: false };
      } finally {
        await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
      }
    },

    /**
     * Turns the clipped raw rasters of a scene and group into clean ones on the 10 m grid
     * (harmonised to one encoding, 20 m bands and SCL resampled by nearest neighbour, SCL mask
     * applied) in `clean/…`, and records the harmonisation check with the scene.
     */
    async maskScene(input: SceneGroupInput): Promise<MaskResult> {
      const scene = await sceneOf(input.sceneId);
      const state = await getSceneGroup(db, input.sceneId, input.groupId);
      const group = await getGroup(db, input.groupId);
      const bands = bandsFor(resolveIndices(input.indices));
      if (!state || !group || bands.some((band) => !state.rawKeys[band])) {
        throw new BadInputError(
          `scene ${input.sceneId}, group ${input.groupId}: raw rasters missing; run downloadScene first`,
          { code: 'RAW_MISSING' },
        );
      }
      const keyOf = (band: BandId) =>
        sceneRasterKey({
          area: 'clean',
          tile: scene.tile,
          acquiredAt: scene.acquiredAt,
          sceneId: scene.id,
          groupNumber: group.groupNumber,
          band,
        });
      heartbeat('reading raw rasters');
      const raw = async (band: BandId) => ({
        url: `${datalake.url}/${state.rawKeys[band]}`,
        bytes: ownedBytes(await datalake.get(state.rawKeys[band]!)),
      });
      const rasters: MaskInBytes = {
        bands: Object.fromEntries(
          await Promise.all(
            bands.filter((b) => b !== 'SCL').map(async (b) => [b, await raw(b)] as const),
          ),
        ),
        scl: await raw('SCL'),
        harmonisation: scene.harmonisation,
        validSclClasses: [...config.science.validSclClasses],
      };
      heartbeat('masking');
      // Decoding, resampling and encoding run in a worker thread: the event loop stays free for Temporal.
      const transfer = [...Object.values(rasters.bands), rasters.scl].map(
        (r) => r!.bytes.buffer as ArrayBuffer,
      );
      const masked = deps.maskPool
        ? await deps.maskPool.run<MaskedScene>(rasters, [...new Set(transfer)])
        : await maskSceneBytes(rasters, openCog);
      {
        const keys: Record<string, string> = {};
        let bytesWritten = 0;
        // Checked whole before the first write: an incomplete mask stores nothing.
        const outputs = bands.map((band) => {
          const bytes = band === 'SCL' ? masked.scl : masked.bands[band];
          if (!bytes)
            throw new BadDataError(`masking scene ${scene.id} produced no ${band} raster`, {
              code: 'MASK_INCOMPLETE',
            });
          return [band, bytes] as const;
        });
        for (const [band, bytes] of outputs) {
          keys[band] = keyOf(band);
          await datalake.put(keys[band]!, bytes);
          bytesWritten += bytes.byteLength;
          heartbeat({ written: band });
        }
        const offsetSuspect = masked.check.status === 'suspect';
        await recordSceneGroup(db, {
          sceneId: scene.id,
          groupId: group.groupId,
          status: 'masked',
          cleanKeys: keys,
          algorithmVersion: input.algorithmVersion,
          reason: offsetSuspect ? masked.check.reasons.join('; ') : undefined,
          runId: input.runId,
        });
        await upsertScenes(db, [scene], 'masked');
        if (offsetSuspect)
          await markScene(db, scene.id, 'masked', masked.check.reasons.join('; '), {
            offsetSuspect,
          });
        return { keys, offsetSuspect, bytesWritten, reused: false };
      }
    },
  };
}
