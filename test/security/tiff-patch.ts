/**
 * Just enough of classic little-endian TIFF to damage a real COG on purpose: find the entries of
 * each IFD, overwrite a tag's value or count, and rewrite the tile arrays. Used on temporary
 * copies of the Sentinel-2 fixture COGs.
 */

export const TAG = {
  ImageWidth: 256,
  BitsPerSample: 258,
  Compression: 259,
  TileWidth: 322,
  TileOffsets: 324,
  TileByteCounts: 325,
} as const;

const TYPE_BYTES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 12: 8, 16: 8 };

export interface Entry {
  /** Where the 12-byte entry starts. */
  at: number;
  tag: number;
  type: number;
  count: number;
  /** Where the values are: inside the entry when they fit in 4 bytes, else at the offset it holds. */
  valuesAt: number;
}

/** Offsets of every IFD of the file, in chain order. */
export function ifdOffsets(bytes: Buffer): number[] {
  if (bytes.toString('latin1', 0, 4) !== 'II*\0')
    throw new Error('not a classic little-endian TIFF');
  const offsets: number[] = [];
  for (let at = bytes.readUInt32LE(4); at !== 0 && offsets.length < 64; ) {
    offsets.push(at);
    at = bytes.readUInt32LE(at + 2 + 12 * bytes.readUInt16LE(at));
  }
  return offsets;
}

/** The entries of the IFD at `ifd` (the first one by default), by tag. */
export function entries(bytes: Buffer, ifd = ifdOffsets(bytes)[0]!): Map<number, Entry> {
  const found = new Map<number, Entry>();
  const n = bytes.readUInt16LE(ifd);
  for (let i = 0; i < n; i++) {
    const at = ifd + 2 + 12 * i;
    const tag = bytes.readUInt16LE(at);
    const type = bytes.readUInt16LE(at + 2);
    const count = bytes.readUInt32LE(at + 4);
    const size = (TYPE_BYTES[type] ?? 1) * count;
    found.set(tag, {
      at,
      tag,
      type,
      count,
      valuesAt: size <= 4 ? at + 8 : bytes.readUInt32LE(at + 8),
    });
  }
  return found;
}

function entry(bytes: Buffer, tag: number): Entry {
  const found = entries(bytes).get(tag);
  if (!found) throw new Error(`the first IFD has no tag ${tag}`);
  return found;
}

/** Sets a one-value SHORT or LONG tag of the first IFD (a LONG beyond 65535 needs the LONG type). */
export function setValue(bytes: Buffer, tag: number, value: number): void {
  const e = entry(bytes, tag);
  if (e.type === 3 && value <= 0xffff) {
    bytes.writeUInt16LE(value, e.valuesAt);
  } else {
    bytes.writeUInt16LE(4, e.at + 2);
    bytes.writeUInt32LE(value, e.at + 8);
  }
}

/** Overwrites the value count of a tag of the first IFD (its values stay where they were). */
export function setCount(bytes: Buffer, tag: number, count: number): void {
  bytes.writeUInt32LE(count, entry(bytes, tag).at + 4);
}

/** The LONG values of a tag of the first IFD (tile offsets, byte counts). */
export function longs(bytes: Buffer, tag: number): number[] {
  const e = entry(bytes, tag);
  if (e.type !== 4) throw new Error(`tag ${tag} is not LONG`);
  return Array.from({ length: e.count }, (_, i) => bytes.readUInt32LE(e.valuesAt + 4 * i));
}

/** Rewrites one LONG value of a tag of the first IFD. */
export function setLong(bytes: Buffer, tag: number, index: number, value: number): void {
  bytes.writeUInt32LE(value, entry(bytes, tag).valuesAt + 4 * index);
}

/** Makes the last IFD's next pointer lead back to the first IFD: a loop. */
export function loopIfds(bytes: Buffer): void {
  const offsets = ifdOffsets(bytes);
  const last = offsets.at(-1)!;
  bytes.writeUInt32LE(offsets[0]!, last + 2 + 12 * bytes.readUInt16LE(last));
}
