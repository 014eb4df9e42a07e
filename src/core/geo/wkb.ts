import { BadDataError } from '../errors';
import type { MultiPolygon, Polygon, Position, Ring } from './types';

/**
 * Well-Known Binary (ISO SQL/MM and PostGIS EWKB flavours) and GeoPackage geometry blobs, decoded
 * to GeoJSON-shaped objects in two dimensions: Z and M ordinates are read and dropped, since
 * parcels are planar footprints.
 */

export interface Point {
  type: 'Point';
  coordinates: Position;
}
export interface LineString {
  type: 'LineString';
  coordinates: Position[];
}
export interface MultiPoint {
  type: 'MultiPoint';
  coordinates: Position[];
}
export interface MultiLineString {
  type: 'MultiLineString';
  coordinates: Position[][];
}
export interface GeometryCollection {
  type: 'GeometryCollection';
  geometries: WkbGeometry[];
}
export type WkbGeometry =
  | Point
  | LineString
  | Polygon
  | MultiPoint
  | MultiLineString
  | MultiPolygon
  | GeometryCollection;

const TYPE_NAMES = [
  undefined,
  'Point',
  'LineString',
  'Polygon',
  'MultiPoint',
  'MultiLineString',
  'MultiPolygon',
  'GeometryCollection',
] as const;
/** ISO names of the curve and surface types we do not decode, for the error message. */
const UNSUPPORTED_NAMES: Record<number, string> = {
  8: 'CircularString',
  9: 'CompoundCurve',
  10: 'CurvePolygon',
  11: 'MultiCurve',
  12: 'MultiSurface',
  15: 'PolyhedralSurface',
  16: 'TIN',
  17: 'Triangle',
};
/** PostGIS EWKB flags in the high bits of the type word. */
const EWKB_Z = 0x80000000;
const EWKB_M = 0x40000000;
const EWKB_SRID = 0x20000000;
/** Nesting deeper than this is not a parcel; it guards against crafted recursion. */
const MAX_DEPTH = 8;

class WkbCursor {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number): void {
    if (this.offset + n > this.bytes.byteLength) {
      throw new BadDataError(
        `WKB is truncated: ${n} more bytes needed at offset ${this.offset} of ${this.bytes.byteLength}`,
        { code: 'WKB_TRUNCATED' },
      );
    }
  }

  uint8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }

  uint32(little: boolean): number {
    this.need(4);
    const value = this.view.getUint32(this.offset, little);
    this.offset += 4;
    return value;
  }

  float64(little: boolean): number {
    const value = this.view.getFloat64(this.offset, little);
    this.offset += 8;
    return value;
  }
}

/** Decodes one WKB geometry (ISO or EWKB, either byte order, any of XY, XYZ, XYM, XYZM). */
export function decodeWkb(bytes: Uint8Array): WkbGeometry {
  const cursor = new WkbCursor(bytes);
  const geometry = readGeometry(cursor, 0);
  return geometry;
}

function readGeometry(cursor: WkbCursor, depth: number): WkbGeometry {
  if (depth > MAX_DEPTH) {
    throw new BadDataError(`WKB nests collections deeper than ${MAX_DEPTH} levels`, {
      code: 'WKB_TOO_DEEP',
    });
  }
  const order = cursor.uint8();
  if (order > 1) {
    throw new BadDataError(
      `WKB byte-order mark is ${order} at offset ${cursor.offset - 1}; expected 0 or 1`,
      {
        code: 'WKB_INVALID',
      },
    );
  }
  const little = order === 1;
  const word = cursor.uint32(little);
  let dims = 2;
  if (word & EWKB_Z) dims++;
  if (word & EWKB_M) dims++;
  if (word & EWKB_SRID) cursor.uint32(little);
  const iso = word & 0x0fffffff;
  const type = iso % 1000;
  const isoDims = Math.floor(iso / 1000);
  if (isoDims === 1 || isoDims === 2) dims = 3;
  else if (isoDims === 3) dims = 4;
  const name = TYPE_NAMES[type];
  if (name === undefined || isoDims > 3) {
    const known = UNSUPPORTED_NAMES[type];
    throw new BadDataError(
      `WKB geometry type ${iso}${known ? ` (${known})` : ''} is not supported; convert curves to polygons first (e.g. ogr2ogr -nlt MULTIPOLYGON)`,
      { code: 'WKB_TYPE_UNSUPPORTED' },
    );
  }
  const point = (): Position => {
    cursor.need(8 * dims);
    const x = cursor.float64(little);
    const y = cursor.float64(little);
    cursor.offset += 8 * (dims - 2);
    return [x, y];
  };
  const points = (): Position[] => {
    const n = cursor.uint32(little);
    cursor.need(n * 8 * dims);
    const out: Position[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = point();
    return out;
  };
  const rings = (): Ring[] => {
    const n = cursor.uint32(little);
    const out: Ring[] = [];
    for (let i = 0; i < n; i++) out.push(points());
    return out;
  };
  const parts = <T extends WkbGeometry>(expected: T['type']): T[] => {
    const n = cursor.uint32(little);
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      const part = readGeometry(cursor, depth + 1);
      if (expected !== 'GeometryCollection' && part.type !== expected) {
        throw new BadDataError(`WKB ${name} holds a ${part.type}; expected ${expected} parts`, {
          code: 'WKB_INVALID',
        });
      }
      out.push(part as T);
    }
    return out;
  };
  switch (name) {
    case 'Point':
      return { type: name, coordinates: point() };
    case 'LineString':
      return { type: name, coordinates: points() };
    case 'Polygon':
      return { type: name, coordinates: rings() };
    case 'MultiPoint':
      return { type: name, coordinates: parts<Point>('Point').map((p) => p.coordinates) };
    case 'MultiLineString':
      return {
        type: name,
        coordinates: parts<LineString>('LineString').map((l) => l.coordinates),
      };
    case 'MultiPolygon':
      return { type: name, coordinates: parts<Polygon>('Polygon').map((p) => p.coordinates) };
    case 'GeometryCollection':
      return { type: name, geometries: parts<WkbGeometry>('GeometryCollection') };
  }
}

/** A GeoPackage geometry blob: its header's SRS id and empty flag, and the geometry. */
export interface GeoPackageGeometry {
  srsId: number;
  /** The header says the geometry is empty (the WKB then holds an empty geometry or NaNs). */
  empty: boolean;
  geometry: WkbGeometry;
}

/** Bytes of the envelope for each value of the header's envelope indicator (GeoPackage 1.x §2.1.3). */
const ENVELOPE_BYTES = [0, 32, 48, 48, 64];

/** Decodes a GeoPackage binary geometry: the `GP` header, an optional envelope, then WKB. */
export function decodeGeoPackageGeometry(blob: Uint8Array): GeoPackageGeometry {
  if (blob.byteLength < 8 || blob[0] !== 0x47 || blob[1] !== 0x50) {
    throw new BadDataError(
      'GeoPackage geometry does not start with the "GP" magic; the column does not hold GeoPackage geometries',
      { code: 'GPKG_GEOMETRY_INVALID' },
    );
  }
  const flags = blob[3];
  if (flags & 0x20) {
    throw new BadDataError(
      'GeoPackage geometry uses an extended (non-standard) geometry type; convert it with ogr2ogr first',
      { code: 'GPKG_GEOMETRY_EXTENDED' },
    );
  }
  const little = (flags & 0x01) === 1;
  const envelope = ENVELOPE_BYTES[(flags >> 1) & 0x07];
  if (envelope === undefined) {
    throw new BadDataError(
      `GeoPackage geometry header has an invalid envelope indicator ${(flags >> 1) & 0x07}`,
      {
        code: 'GPKG_GEOMETRY_INVALID',
      },
    );
  }
  const srsId = new DataView(blob.buffer, blob.byteOffset + 4, 4).getInt32(0, little);
  const geometry = decodeWkb(blob.subarray(8 + envelope));
  return { srsId, empty: (flags & 0x10) !== 0, geometry };
}
