import proj4 from 'proj4';
import { BadInputError } from '../errors';
import { CRS_DEFINITIONS } from './crs-registry';
import type { MultiPolygon, ParcelGeometry, Polygon, Position, Ring } from './types';

/**
 * A resolved coordinate reference system. Coordinates are always x/easting/longitude first,
 * whatever axis order the authority declares (GeoJSON and GDAL's traditional GIS order).
 */
export interface Crs {
  /** `EPSG:n` for registered systems, `PROJ4:<definition>` for a user-given definition. */
  id: string;
  epsg: number | undefined;
  proj4: string;
  /** True for longitude/latitude systems (degrees, not metres). */
  geographic: boolean;
}

/** Anything `resolveCrs` accepts. */
export type CrsInput = string | number | Crs;

const EPSG_PATTERNS = [
  /^EPSG:(\d+)$/i,
  /^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$/i,
  /^https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/[\d.]+\/(\d+)$/i,
];
const CRS84_NAMES = new Set([
  'OGC:CRS84',
  'CRS84',
  'URN:OGC:DEF:CRS:OGC:1.3:CRS84',
  'URN:OGC:DEF:CRS:OGC::CRS84',
  'HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84',
]);
const GEOGRAPHIC_PROJ = /\+proj=(longlat|latlong|lonlat|latlon)\b/;

const resolved = new Map<string, Crs>();

/**
 * Resolves `EPSG:n`, a number, `urn:ogc:def:crs:EPSG::n`, `OGC:CRS84` or a proj4 string
 * (`+proj=…`) to a `Crs`. Unknown codes fail with a `BadInputError` that says how to proceed.
 */
export function resolveCrs(input: CrsInput): Crs {
  if (typeof input === 'object') return input;
  const key = String(input).trim();
  const cached = resolved.get(key);
  if (cached) return cached;
  const crs = resolveUncached(key);
  resolved.set(key, crs);
  return crs;
}

function resolveUncached(key: string): Crs {
  if (key.startsWith('+')) return fromProj4(key);
  if (CRS84_NAMES.has(key.toUpperCase())) return fromEpsg(4326, key);
  const code = /^\d+$/.test(key) ? key : EPSG_PATTERNS.map((p) => p.exec(key)?.[1]).find(Boolean);
  if (code === undefined) {
    throw new BadInputError(
      `CRS "${key}" is not understood; give EPSG:<code>, urn:ogc:def:crs:EPSG::<code>, OGC:CRS84 or a proj4 definition (+proj=…) with --srs`,
      { code: 'CRS_UNKNOWN' },
    );
  }
  return fromEpsg(Number(code), key);
}

function fromEpsg(epsg: number, asGiven: string): Crs {
  const def = CRS_DEFINITIONS.get(epsg);
  if (!def) {
    throw new BadInputError(
      `CRS "${asGiven}" (EPSG:${epsg}) is not in parcelwatch's CRS registry; pass --srs with a proj4 definition, e.g. the output of \`gdalsrsinfo -o proj4 EPSG:${epsg}\` (add +towgs84 if the datum is not WGS 84-compatible)`,
      { code: 'CRS_UNKNOWN' },
    );
  }
  return {
    id: `EPSG:${epsg}`,
    epsg,
    proj4: def.proj4,
    geographic: GEOGRAPHIC_PROJ.test(def.proj4),
  };
}

function fromProj4(definition: string): Crs {
  try {
    proj4(definition, CRS_DEFINITIONS.get(4326)!.proj4);
  } catch (error) {
    throw new BadInputError(
      `proj4 definition "${definition}" cannot be parsed (${(error as Error).message}); check it with \`projinfo '${definition}'\``,
      { code: 'CRS_INVALID', cause: error },
    );
  }
  return {
    id: `PROJ4:${definition}`,
    epsg: undefined,
    proj4: definition,
    geographic: GEOGRAPHIC_PROJ.test(definition),
  };
}

/** True when `epsg` is a registered geographic (degree-based) system. Unknown codes: false. */
export function isGeographicEpsg(epsg: number): boolean {
  const def = CRS_DEFINITIONS.get(epsg);
  return def !== undefined && GEOGRAPHIC_PROJ.test(def.proj4);
}

/** Transforms one position; returns a new tuple. */
export type PointTransform = (x: number, y: number) => Position;

const converters = new Map<string, PointTransform>();

/** A cached point transform between two systems (identity when both definitions are equal). */
export function crsTransform(from: CrsInput, to: CrsInput): PointTransform {
  const a = resolveCrs(from);
  const b = resolveCrs(to);
  const key = `${a.proj4}\u0000${b.proj4}`;
  let transform = converters.get(key);
  if (!transform) {
    if (a.proj4 === b.proj4) {
      transform = (x, y) => [x, y];
    } else {
      const converter = proj4(a.proj4, b.proj4);
      transform = (x, y) => converter.forward([x, y]) as Position;
    }
    converters.set(key, transform);
  }
  return transform;
}

/** Transforms one position between two systems. */
export function reprojectPoint(position: Position, from: CrsInput, to: CrsInput): Position {
  return crsTransform(from, to)(position[0], position[1]);
}

/**
 * Transforms interleaved coordinates [x0, y0, x1, y1, …] into `out` (a new array by default; may be
 * `xy` itself to transform in place).
 */
export function reprojectFlat(
  xy: Float64Array,
  from: CrsInput,
  to: CrsInput,
  out: Float64Array = new Float64Array(xy.length),
): Float64Array {
  const transform = crsTransform(from, to);
  for (let i = 0; i + 1 < xy.length; i += 2) {
    const [x, y] = transform(xy[i], xy[i + 1]);
    out[i] = x;
    out[i + 1] = y;
  }
  return out;
}

/** Returns a copy of `geometry` with every position transformed from `from` to `to`. */
export function reprojectGeometry<G extends ParcelGeometry>(
  geometry: G,
  from: CrsInput,
  to: CrsInput,
): G {
  const transform = crsTransform(from, to);
  const ring = (r: Ring): Ring => r.map((p) => transform(p[0], p[1]));
  if (geometry.type === 'Polygon') {
    const out: Polygon = { type: 'Polygon', coordinates: geometry.coordinates.map(ring) };
    return out as G;
  }
  const out: MultiPolygon = {
    type: 'MultiPolygon',
    coordinates: geometry.coordinates.map((polygon) => polygon.map(ring)),
  };
  return out as G;
}
