/**
 * Serialisation of classic little-endian TIFF image file directories (IFDs): the tag table of one
 * image plus the tag values too long to sit inline, laid out right after the table.
 */

/** TIFF field types we write, with their size in bytes. */
export const FieldType = {
  ASCII: 2,
  SHORT: 3,
  LONG: 4,
  DOUBLE: 12,
} as const;
export type FieldType = (typeof FieldType)[keyof typeof FieldType];

const FIELD_BYTES: Record<FieldType, number> = { 2: 1, 3: 2, 4: 4, 12: 8 };

/** Tag numbers from TIFF 6.0, the GeoTIFF 1.1 standard and GDAL's private tags. */
export const Tag = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  PhotometricInterpretation: 262,
  SamplesPerPixel: 277,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  ExtraSamples: 338,
  SampleFormat: 339,
  ModelPixelScale: 33550,
  ModelTiepoint: 33922,
  GeoKeyDirectory: 34735,
  GdalMetadata: 42112,
  GdalNodata: 42113,
} as const;

export interface IfdEntry {
  tag: number;
  type: FieldType;
  /** Numbers for SHORT/LONG/DOUBLE; a string (NUL appended on write) for ASCII. */
  values: readonly number[] | string;
}

/** Size of the header of a classic TIFF: byte order, magic 42, offset of the first IFD. */
export const TIFF_HEADER_BYTES = 8;
/** Largest offset a classic TIFF (32-bit LONG offsets) can address. */
export const CLASSIC_TIFF_MAX_BYTES = 0xffffffff;

function valueCount(entry: IfdEntry): number {
  return typeof entry.values === 'string' ? entry.values.length + 1 : entry.values.length;
}

function valueBytes(entry: IfdEntry): number {
  return valueCount(entry) * FIELD_BYTES[entry.type];
}

/** Bytes taken by the values stored outside the tag table, each kept at an even offset. */
function outOfLineBytes(entry: IfdEntry): number {
  const bytes = valueBytes(entry);
  return bytes <= 4 ? 0 : bytes + (bytes % 2);
}

/** Total bytes of one IFD: count, 12-byte entries, next-IFD offset, then out-of-line values. */
export function ifdByteLength(entries: readonly IfdEntry[]): number {
  let size = 2 + entries.length * 12 + 4;
  for (const entry of entries) size += outOfLineBytes(entry);
  return size;
}

function writeValues(view: DataView, bytes: Uint8Array, at: number, entry: IfdEntry): void {
  if (typeof entry.values === 'string') {
    for (let i = 0; i < entry.values.length; i++) {
      const code = entry.values.charCodeAt(i);
      // TIFF ASCII is 7-bit; anything else would be mangled by readers.
      if (code > 127)
        throw new RangeError(`TIFF ASCII tag ${entry.tag} holds a non-ASCII character`);
      bytes[at + i] = code;
    }
    bytes[at + entry.values.length] = 0;
    return;
  }
  const size = FIELD_BYTES[entry.type];
  entry.values.forEach((value, i) => {
    const offset = at + i * size;
    if (entry.type === FieldType.SHORT) view.setUint16(offset, value, true);
    else if (entry.type === FieldType.LONG) view.setUint32(offset, value, true);
    else view.setFloat64(offset, value, true);
  });
}

/**
 * Writes one IFD at `offset` of `bytes`: entries sorted by tag as TIFF requires, values that fit in
 * four bytes inline, the rest after the table. `nextIfdOffset` chains to the next image (0 = last).
 */
export function writeIfd(
  bytes: Uint8Array,
  offset: number,
  entries: readonly IfdEntry[],
  nextIfdOffset: number,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  view.setUint16(offset, sorted.length, true);
  let dataAt = offset + 2 + sorted.length * 12 + 4;
  sorted.forEach((entry, i) => {
    const at = offset + 2 + i * 12;
    view.setUint16(at, entry.tag, true);
    view.setUint16(at + 2, entry.type, true);
    view.setUint32(at + 4, valueCount(entry), true);
    if (valueBytes(entry) <= 4) {
      writeValues(view, bytes, at + 8, entry);
    } else {
      view.setUint32(at + 8, dataAt, true);
      writeValues(view, bytes, dataAt, entry);
      dataAt += outOfLineBytes(entry);
    }
  });
  view.setUint32(offset + 2 + sorted.length * 12, nextIfdOffset, true);
}
