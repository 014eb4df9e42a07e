import { Context, heartbeat } from '@temporalio/activity';
import { BadInputError } from '../core/errors';
import { resolveIndices } from '../core/indices/registry';
import { CLEAN_HARMONISATION } from '../core/raster/mask';
import type { BandId, Scene } from '../core/stac/scene';
import { computeSceneStatistics } from '../core/zonal/scene-statistics';
import { parcelsMissingObservations, upsertObservations } from '../store/db/observations-repo';
import { type GroupParcel, parcelsOfGroup } from '../store/db/parcels-repo';
import { getScene, getSceneGroup } from '../store/db/scenes-repo';
import type { ComputeInput, ComputeResult } from './contracts';
import type { ActivityDeps } from './deps';
import { groupParcelSet } from './parcel-cache';

/** Observation rows written per database round trip; each batch is a heartbeat and a resume point. */
const WRITE_BATCH = 2000;
/** Clean rasters are addressed as `datalake:<key>` in the scene the engine reads. */
const DATALAKE_HREF = 'datalake:';

interface Resume {
  sceneId: string;
  fromId: number;
  written: number;
}

export function computeActivities(deps: ActivityDeps) {
  const { db, config, datalake } = deps;
  return {
    /**
     * Per-parcel statistics of one scene for the watched parcels of a group in an id range that
     * lack a current observation (all of them with `reprocess`), read from the clean rasters and
     * upserted on (parcel, index, acquisition). Heartbeats after each batch of rows; a retry resumes
     * after the rows already written.
     */
    async computeIndices(input: ComputeInput): Promise<ComputeResult> {
      const context = Context.current();
      const stored = await getScene(db, input.sceneId);
      const state = await getSceneGroup(db, input.sceneId, input.groupId);
      if (!stored?.scene || !state) {
        throw new BadInputError(
          `scene ${input.sceneId}, group ${input.groupId}: not downloaded and masked yet`,
          { code: 'CLEAN_MISSING' },
        );
      }
      const indices = resolveIndices(input.indices);
      const parcels = await parcelsToCompute(input, stored.acquiredAt);
      if (parcels.length === 0) return { parcels: 0, observations: 0, written: 0, statuses: {} };
      const { set, dbIds } = groupParcelSet(input.groupId, parcels);
      const scene: Scene = {
        ...stored.scene,
        harmonisation: CLEAN_HARMONISATION,
        bands: Object.fromEntries(
          Object.entries(state.cleanKeys).map(([band, key]) => [
            band,
            {
              href: `${DATALAKE_HREF}${key}`,
              scale: CLEAN_HARMONISATION.scale,
              offset: CLEAN_HARMONISATION.offset,
              nodata: 0,
              gsd: 10,
            },
          ]),
        ) as Scene['bands'],
      };
      const missingBand = [...new Set(indices.flatMap((i) => [...i.bands, 'SCL' as BandId]))].find(
        (band) => !scene.bands[band],
      );
      if (missingBand)
        throw new BadInputError(
          `scene ${input.sceneId}, group ${input.groupId}: no clean ${missingBand} raster; mask the scene again`,
          { code: 'CLEAN_MISSING' },
        );

      const result = await computeSceneStatistics({
        scene,
        parcels: set,
        indices,
        bufferMetres: config.science.bufferMetres,
        okThreshold: config.science.okThreshold,
        validSclClasses: config.science.validSclClasses,
        openSource: (href) =>
          href.startsWith(DATALAKE_HREF)
            ? datalake.source(href.slice(DATALAKE_HREF.length))
            : deps.openSource(href),
        pool: deps.pool,
        signal: context.cancellationSignal,
        onProgress: (done, total) => heartbeat({ phase: 'pixels', done, total }),
      });
      const rows = result.observations.map((o) => ({
        ...o,
        flags:
          stored.offsetSuspect && !o.flags.includes('offset-suspect')
            ? [...o.flags, 'offset-suspect']
            : o.flags,
        parcelDbId: dbIds[o.parcel]!,
        acquiredAt: stored.acquiredAt,
        sceneId: input.sceneId,
      }));
      const resume = context.info.heartbeatDetails as Resume | undefined;
      const start =
        resume?.sceneId === input.sceneId && resume.fromId === input.fromId
          ? Math.min(resume.written, rows.length)
          : 0;
      let written = 0;
      for (let at = start; at < rows.length; at += WRITE_BATCH) {
        const batch = await upsertObservations(db, rows.slice(at, at + WRITE_BATCH), {
          algorithmVersion: input.algorithmVersion,
          runId: input.runId,
        });
        written += batch.written;
        heartbeat({
          sceneId: input.sceneId,
          fromId: input.fromId,
          written: Math.min(at + WRITE_BATCH, rows.length),
        } satisfies Resume);
      }
      const statuses: Record<string, number> = {};
      for (const o of result.observations) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
      return { parcels: parcels.length, observations: rows.length, written, statuses };
    },
  };

  async function parcelsToCompute(input: ComputeInput, acquiredAt: string): Promise<GroupParcel[]> {
    const inRange = await parcelsOfGroup(db, input.groupId, {
      watchedOnly: true,
      afterId: input.fromId - 1,
      limit: 1_000_000,
    });
    const range = inRange.filter((p) => p.id <= input.toId);
    if (input.reprocess) return range;
    const missing = new Set(
      await parcelsMissingObservations(db, {
        groupId: input.groupId,
        sceneId: input.sceneId,
        acquiredAt,
        indices: input.indices,
        algorithmVersion: input.algorithmVersion,
        watchedOnly: true,
      }),
    );
    return range.filter((p) => missing.has(p.id));
  }
}
