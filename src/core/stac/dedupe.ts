import type { Scene } from './scene';
import { normaliseTile } from './tile';

/**
 * One acquisition per tile. Catalogues list the same acquisition of one tile more than once when
 * it was reprocessed (`_0_L2A` beside `_1_L2A`, or a second processing baseline); a parcel's time
 * series must count it once, from the newest processing. The same datatake seen in two overlapping
 * tiles is not a duplicate here: each parcel is processed in its primary tile only.
 */

/**
 * Items of one tile and platform closer in time than this are one acquisition: a satellite passes a
 * tile in seconds, and its next pass over the same tile is at least one orbit (~100 min) later.
 */
export const SAME_ACQUISITION_TOLERANCE_MS = 5 * 60 * 1000;

export interface DroppedScene {
  scene: Scene;
  /** Id of the scene kept in its place. */
  supersededBy: string;
  reason: string;
}

export interface DedupeResult {
  /** One scene per acquisition and tile, oldest acquisition first. */
  kept: Scene[];
  dropped: DroppedScene[];
}

/** The scenes of `tile` (any spelling: `33TWL`, `T33TWL`, `MGRS-33TWL`). */
export function scenesOfTile(scenes: readonly Scene[], tile: string): Scene[] {
  const wanted = normaliseTile(tile) ?? tile;
  return scenes.filter((scene) => scene.tile === wanted);
}

/**
 * True when `a` and `b` are the same acquisition of the same tile: same tile and platform, and the
 * same datatake when both state one, else acquisition times within the tolerance.
 */
export function isSameAcquisition(a: Scene, b: Scene): boolean {
  if (a.tile !== b.tile) return false;
  if (a.platform !== null && b.platform !== null && a.platform !== b.platform) return false;
  if (a.datatake !== null && b.datatake !== null) return a.datatake === b.datatake;
  return (
    Math.abs(Date.parse(a.acquiredAt) - Date.parse(b.acquiredAt)) <= SAME_ACQUISITION_TOLERANCE_MS
  );
}

/**
 * Keeps the newest processing of every acquisition: highest reprocessing counter, then newest
 * processing baseline, then newest `updated`; the id breaks remaining ties so the result does not
 * depend on the order the catalogue listed the items in.
 */
export function dedupeScenes(scenes: readonly Scene[]): DedupeResult {
  const groups: Scene[][] = [];
  for (const scene of [...scenes].sort(byAcquisition)) {
    const group = groups.find((g) => g.some((member) => isSameAcquisition(member, scene)));
    if (group) group.push(scene);
    else groups.push([scene]);
  }
  const kept: Scene[] = [];
  const dropped: DroppedScene[] = [];
  for (const group of groups) {
    const [newest, ...older] = group.sort(newestFirst);
    kept.push(newest!);
    for (const scene of older) {
      const reason =
        scene.id === newest!.id
          ? `listed twice as ${scene.id}`
          : `superseded by ${newest!.id} (${whyNewer(newest!, scene)})`;
      dropped.push({ scene, supersededBy: newest!.id, reason });
    }
  }
  return { kept: kept.sort(byAcquisition), dropped };
}

function byAcquisition(a: Scene, b: Scene): number {
  return a.acquiredAt.localeCompare(b.acquiredAt) || a.tile.localeCompare(b.tile);
}

/** Negative when `a` is the newer processing. */
function newestFirst(a: Scene, b: Scene): number {
  return (
    b.reprocessing - a.reprocessing ||
    baselineValue(b) - baselineValue(a) ||
    (b.updatedAt ?? '').localeCompare(a.updatedAt ?? '') ||
    b.id.localeCompare(a.id)
  );
}

function whyNewer(newer: Scene, older: Scene): string {
  if (newer.reprocessing !== older.reprocessing) {
    return `reprocessing ${newer.reprocessing} > ${older.reprocessing}`;
  }
  if (baselineValue(newer) !== baselineValue(older)) {
    return `baseline ${newer.processingBaseline} > ${older.processingBaseline ?? 'unknown'}`;
  }
  if ((newer.updatedAt ?? '') !== (older.updatedAt ?? '')) {
    return `updated ${newer.updatedAt} > ${older.updatedAt ?? 'unknown'}`;
  }
  return 'same processing; the larger id is kept';
}

/** `05.09` → 5.09; an unknown baseline ranks below every known one. */
function baselineValue(scene: Scene): number {
  return scene.processingBaseline === null ? -1 : Number(scene.processingBaseline);
}
