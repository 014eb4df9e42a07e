import { BadInputError } from '../../core/errors';
import type { Scene } from '../../core/stac/scene';
import { tracedWrite } from '../../telemetry/spans';
import type { Database } from './database';

/**
 * Scenes found by the STAC search, and what the pipeline did with each scene for each parcel
 * group (`scene_groups`): the business keys that make download, mask and compute idempotent.
 */

export type SceneStatus =
  | 'found'
  | 'downloaded'
  | 'masked'
  | 'processed'
  | 'skipped'
  | 'superseded'
  | 'failed';

export type SceneGroupStatus = 'downloaded' | 'masked' | 'computed' | 'failed' | 'skipped';

/** `writeScenes` in a database span. */
export const upsertScenes = tracedWrite(
  'upsert',
  'scenes',
  writeScenes,
  (_db, scenes) => scenes.length,
);

/**
 * Inserts or refreshes scenes by STAC id, never moving a status backwards: `found` (seen again)
 * keeps whatever the scene reached; the progress statuses (downloaded < masked < processed)
 * replace only lower ones and `failed`; `failed` replaces anything but `processed`, `skipped`
 * and `superseded`; `skipped` and `superseded` (decisions about the item) always apply.
 * Metadata follow the item. Returns how many rows were inserted or changed.
 */
async function writeScenes(
  db: Database,
  scenes: readonly Scene[],
  status: SceneStatus,
): Promise<number> {
  // One row per id: a repeated id would make the upsert touch a row twice.
  scenes = [...new Map(scenes.map((s) => [s.id, s])).values()];
  if (scenes.length === 0) return 0;
  const result = await db.pool.query(
    `INSERT INTO scenes AS s (id, collection, tile, acquired_at, cloud_cover, processing_baseline,
                              datatake, harmonisation, assets, scene, status)
     SELECT t.id, t.collection, t.tile, t.acquired_at, t.cloud_cover, t.baseline, t.datatake,
            t.harmonisation, t.assets, t.scene, $10::text
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::real[], $6::text[],
                   $7::text[], $8::jsonb[], $9::jsonb[], $11::jsonb[])
            AS t(id, collection, tile, acquired_at, cloud_cover, baseline, datatake, harmonisation, assets, scene)
     ON CONFLICT (id) DO UPDATE SET
       collection = EXCLUDED.collection,
       tile = EXCLUDED.tile,
       acquired_at = EXCLUDED.acquired_at,
       cloud_cover = EXCLUDED.cloud_cover,
       processing_baseline = EXCLUDED.processing_baseline,
       datatake = EXCLUDED.datatake,
       harmonisation = EXCLUDED.harmonisation,
       assets = EXCLUDED.assets,
       scene = EXCLUDED.scene,
       status = ${MERGED_STATUS},
       status_reason = CASE WHEN ${MERGED_STATUS} = s.status THEN s.status_reason END,
       updated_at = now()
     WHERE (s.collection, s.tile, s.acquired_at, s.cloud_cover, s.processing_baseline, s.datatake,
            s.harmonisation, s.assets, s.scene, s.status)
           IS DISTINCT FROM
           (EXCLUDED.collection, EXCLUDED.tile, EXCLUDED.acquired_at, EXCLUDED.cloud_cover,
            EXCLUDED.processing_baseline, EXCLUDED.datatake, EXCLUDED.harmonisation,
            EXCLUDED.assets, EXCLUDED.scene, ${MERGED_STATUS})`,
    [
      scenes.map((s) => s.id),
      scenes.map((s) => s.collection),
      scenes.map((s) => s.tile),
      scenes.map((s) => s.acquiredAt),
      scenes.map((s) => s.cloudCover),
      scenes.map((s) => s.processingBaseline),
      scenes.map((s) => s.datatake),
      scenes.map((s) => JSON.stringify(s.harmonisation)),
      scenes.map((s) => JSON.stringify(assetHrefs(s))),
      status,
      scenes.map((s) => JSON.stringify(s)),
    ],
  );
  return result.rowCount ?? 0;
}

// Progress rank: failed 0 < found 1 < downloaded 2 < masked 3 < processed 4 (see upsertScenes).
const PROGRESS = "COALESCE(array_position(ARRAY['found','downloaded','masked','processed'], %), 0)";
const MERGED_STATUS = `(CASE
  WHEN EXCLUDED.status = 'found' THEN s.status
  WHEN EXCLUDED.status IN ('skipped', 'superseded') THEN EXCLUDED.status
  WHEN s.status IN ('skipped', 'superseded') THEN s.status
  WHEN EXCLUDED.status = 'failed' THEN CASE WHEN s.status = 'processed' THEN s.status ELSE EXCLUDED.status END
  WHEN ${PROGRESS.replace('%', 'EXCLUDED.status')} > ${PROGRESS.replace('%', 's.status')} THEN EXCLUDED.status
  ELSE s.status END)`;

/** Band id → href, what the `assets` column keeps. */
function assetHrefs(scene: Scene): Record<string, string> {
  return Object.fromEntries(
    Object.entries(scene.bands).flatMap(([band, b]) => (b ? [[band, b.href]] : [])),
  );
}

/** `writeSceneStatus` in a database span. */
export const markScene = tracedWrite('update', 'scenes', writeSceneStatus);

/**
 * Sets a scene's status as given (an explicit decision: no ordering rule), with the reason
 * (cleared when absent). Fails when the scene was never upserted.
 */
async function writeSceneStatus(
  db: Database,
  id: string,
  status: SceneStatus,
  reason?: string,
  options: { offsetSuspect?: boolean } = {},
): Promise<void> {
  const result = await db.pool.query(
    `UPDATE scenes SET status = $2, status_reason = $3,
            offset_suspect = COALESCE($4, offset_suspect), updated_at = now()
      WHERE id = $1`,
    [id, status, reason ?? null, options.offsetSuspect ?? null],
  );
  if (result.rowCount === 0) {
    throw new BadInputError(
      `scene ${id} is not in the scenes table; upsert it (upsertScenes) before marking it`,
      { code: 'SCENE_UNKNOWN' },
    );
  }
}

/** A stored scene row (what the database keeps of a Scene, plus its state). */
export interface StoredScene {
  id: string;
  collection: string;
  tile: string;
  acquiredAt: string;
  cloudCover: number | null;
  processingBaseline: string | null;
  datatake: string | null;
  harmonisation: Scene['harmonisation'];
  offsetSuspect: boolean;
  /** Band id → href. */
  assets: Record<string, string>;
  /** The parsed scene as the search stored it (null for rows written before it was kept). */
  scene: Scene | null;
  datalakeKeys: Record<string, unknown>;
  status: SceneStatus;
  statusReason: string | null;
}

/** One scene by STAC id, or undefined. */
export async function getScene(db: Database, id: string): Promise<StoredScene | undefined> {
  const rows = await db.pool.query<{
    id: string;
    collection: string;
    tile: string;
    acquired_at: Date;
    cloud_cover: number | null;
    processing_baseline: string | null;
    datatake: string | null;
    harmonisation: Scene['harmonisation'];
    offset_suspect: boolean;
    assets: Record<string, string>;
    scene: Scene | null;
    datalake_keys: Record<string, unknown>;
    status: SceneStatus;
    status_reason: string | null;
  }>('SELECT * FROM scenes WHERE id = $1', [id]);
  const r = rows.rows[0];
  if (!r) return undefined;
  return {
    id: r.id,
    collection: r.collection,
    tile: r.tile,
    acquiredAt: r.acquired_at.toISOString(),
    cloudCover: r.cloud_cover,
    processingBaseline: r.processing_baseline,
    datatake: r.datatake,
    harmonisation: r.harmonisation,
    offsetSuspect: r.offset_suspect,
    assets: r.assets,
    scene: r.scene,
    datalakeKeys: r.datalake_keys,
    status: r.status,
    statusReason: r.status_reason,
  };
}

/** What the pipeline did with one scene for one parcel group. */
export interface SceneGroupState {
  sceneId: string;
  groupId: number;
  status: SceneGroupStatus;
  /** Band id → datalake key of the clipped provider raster. */
  rawKeys: Record<string, string>;
  /** Band id → datalake key of the harmonised, resampled, masked raster. */
  cleanKeys: Record<string, string>;
  reason: string | null;
  algorithmVersion: string | null;
  observations: number;
  runId: string | null;
  updatedAt: string;
}

export async function getSceneGroup(
  db: Database,
  sceneId: string,
  groupId: number,
): Promise<SceneGroupState | undefined> {
  const rows = await db.pool.query<{
    scene_id: string;
    group_id: string;
    status: SceneGroupStatus;
    raw_keys: Record<string, string>;
    clean_keys: Record<string, string>;
    reason: string | null;
    algorithm_version: string | null;
    observations: number;
    run_id: string | null;
    updated_at: Date;
  }>('SELECT * FROM scene_groups WHERE scene_id = $1 AND group_id = $2', [sceneId, groupId]);
  const r = rows.rows[0];
  if (!r) return undefined;
  return {
    sceneId: r.scene_id,
    groupId: Number(r.group_id),
    status: r.status,
    rawKeys: r.raw_keys,
    cleanKeys: r.clean_keys,
    reason: r.reason,
    algorithmVersion: r.algorithm_version,
    observations: r.observations,
    runId: r.run_id,
    updatedAt: r.updated_at.toISOString(),
  };
}

export interface SceneGroupRecord {
  sceneId: string;
  groupId: number;
  status: SceneGroupStatus;
  /** Merged into the stored keys (a band given again replaces its key). */
  rawKeys?: Record<string, string>;
  cleanKeys?: Record<string, string>;
  /** Replaces the stored reason; absent clears it (a success has none). */
  reason?: string;
  /** Absent: keep the stored value. */
  algorithmVersion?: string;
  /** Absent: keep the stored value. */
  observations?: number;
  /** Absent: keep the stored value. */
  runId?: string;
}

/** `writeSceneGroup` in a database span. */
export const recordSceneGroup = tracedWrite('upsert', 'scene_groups', writeSceneGroup);

/** Records a step of the pipeline for (scene, group), upserting on that key and merging keys. */
async function writeSceneGroup(db: Database, record: SceneGroupRecord): Promise<void> {
  try {
    await db.pool.query(
      `INSERT INTO scene_groups AS sg (scene_id, group_id, status, raw_keys, clean_keys, reason,
                                       algorithm_version, observations, run_id)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, COALESCE($8, 0), $9)
       ON CONFLICT (scene_id, group_id) DO UPDATE SET
         status = EXCLUDED.status,
         raw_keys = sg.raw_keys || EXCLUDED.raw_keys,
         clean_keys = sg.clean_keys || EXCLUDED.clean_keys,
         reason = EXCLUDED.reason,
         algorithm_version = COALESCE($7, sg.algorithm_version),
         observations = COALESCE($8, sg.observations),
         run_id = COALESCE($9, sg.run_id),
         updated_at = now()`,
      [
        record.sceneId,
        record.groupId,
        record.status,
        JSON.stringify(record.rawKeys ?? {}),
        JSON.stringify(record.cleanKeys ?? {}),
        record.reason ?? null,
        record.algorithmVersion ?? null,
        record.observations ?? null,
        record.runId ?? null,
      ],
    );
  } catch (error) {
    if ((error as { code?: string }).code === '23503') {
      throw new BadInputError(
        `scene ${record.sceneId} or parcel group ${record.groupId} does not exist; upsert the scene and assign groups before recording their state`,
        { code: 'SCENE_GROUP_UNKNOWN', cause: error },
      );
    }
    throw error;
  }
}
