import type { ParcelPixelMap } from './pixel-map';

/**
 * Where each assigned pixel's values go: every parcel owns a contiguous run of slots (its pixels
 * inside the grid), so per-pixel results can be written straight into shared arrays by any thread,
 * in any block order, and each parcel's values read back as one slice. Built once per pixel map.
 */
export interface PixelSlots {
  /** First slot of each parcel; parcel p owns [parcelStart[p], parcelStart[p + 1]). Length parcels + 1. */
  parcelStart: Uint32Array;
  /** Per block key: the slot of each entry of that block (parallel to BlockPixels.pixel). */
  blockSlots: Map<number, Uint32Array>;
  slotCount: number;
}

export function buildPixelSlots(map: ParcelPixelMap): PixelSlots {
  const n = map.parcelCount;
  const parcelStart = new Uint32Array(n + 1);
  for (let p = 0; p < n; p++)
    parcelStart[p + 1] = parcelStart[p]! + (map.totalPixels[p]! - map.outsidePixels[p]!);
  const cursor = parcelStart.slice(0, n);
  const blockSlots = new Map<number, Uint32Array>();
  // Block keys in ascending order give every run a deterministic slot order.
  for (const key of [...map.blocks.keys()].sort((a, b) => a - b)) {
    const block = map.blocks.get(key)!;
    const slots = new Uint32Array(block.parcel.length);
    for (let j = 0; j < slots.length; j++) slots[j] = cursor[block.parcel[j]!]!++;
    blockSlots.set(key, slots);
  }
  for (let p = 0; p < n; p++) {
    if (cursor[p] !== parcelStart[p + 1]) {
      throw new Error(
        `pixel map is inconsistent: parcel ${p} has ${cursor[p]! - parcelStart[p]!} block entries for ${parcelStart[p + 1]! - parcelStart[p]!} inside pixels`,
      );
    }
  }
  return { parcelStart, blockSlots, slotCount: parcelStart[n]! };
}
