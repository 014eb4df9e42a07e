import { createHash } from 'node:crypto';
import { ParcelSet } from '../core/zonal/parcel-set';
import type { GroupParcel } from '../store/db/parcels-repo';

/** Parcel sets kept per worker process: a group's parcels are rasterised once per grid, then reused scene after scene. */
const MAX_SETS = 16;
const sets = new Map<string, { set: ParcelSet; dbIds: number[] }>();

/**
 * The ParcelSet of these parcels of a group, reused while the same parcels come back (the next
 * scene of the group: "warm"); any change of membership or geometry makes a new one.
 */
export function groupParcelSet(
  groupId: number,
  parcels: readonly GroupParcel[],
): { set: ParcelSet; dbIds: number[] } {
  const hash = createHash('sha1');
  // Everything the set holds is in the key: workers of two environments may share this process.
  for (const p of parcels) hash.update(`${p.id}:${p.externalId}:${JSON.stringify(p.geometry)}\n`);
  const key = `${groupId}:${hash.digest('hex')}`;
  let entry = sets.get(key);
  if (entry) {
    sets.delete(key);
    sets.set(key, entry); // most recently used last
    return entry;
  }
  entry = {
    set: new ParcelSet(
      parcels.map((p) => p.externalId),
      parcels.map((p) => p.geometry),
    ),
    dbIds: parcels.map((p) => p.id),
  };
  if (sets.size >= MAX_SETS) sets.delete(sets.keys().next().value!);
  sets.set(key, entry);
  return entry;
}
