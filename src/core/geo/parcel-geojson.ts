import { BadInputError } from '../errors';
import { type CrsInput, resolveCrs } from './crs';
import { validateGeometry } from './geometry';
import type { ParcelGeometry } from './types';

/** Parcels read from a GeoJSON FeatureCollection: ids, geometries and their CRS. */
export interface ParcelFeatures {
  ids: string[];
  geometries: ParcelGeometry[];
  crs: CrsInput;
  /** Each feature's properties, in order. */
  properties: Array<Record<string, unknown>>;
}

/** Property names tried, in order, when no id field is given. */
export const ID_FIELD_GUESSES = ['id', 'parcel_id', 'external_id', 'ID', 'fid', 'FID'];

export interface ParcelGeoJsonOptions {
  /** Where the JSON came from, for messages (a file name). */
  source: string;
  /** Property holding the parcel id; guessed when absent. */
  idField?: string;
  /** CRS of the coordinates; default: the legacy `crs` member, else WGS 84 (RFC 7946). */
  srs?: string;
}

/**
 * Reads parcels from a GeoJSON FeatureCollection, refusing the whole file on the first unusable
 * feature: a missing or duplicated id, a geometry that is not a closed Polygon or MultiPolygon.
 * Each message names the file, the feature and what to do.
 */
export function parcelsFromGeoJson(json: unknown, options: ParcelGeoJsonOptions): ParcelFeatures {
  const collection = json as {
    type?: unknown;
    features?: unknown;
    crs?: { properties?: { name?: unknown } };
  };
  if (collection?.type !== 'FeatureCollection' || !Array.isArray(collection.features)) {
    throw new BadInputError(
      `${options.source} is not a GeoJSON FeatureCollection; give a file whose top level is {"type": "FeatureCollection", "features": [...]}`,
      {
        code: 'PARCELS_NOT_FEATURE_COLLECTION',
      },
    );
  }
  const legacyCrs = collection.crs?.properties?.name;
  const crs = resolveCrs(options.srs ?? (typeof legacyCrs === 'string' ? legacyCrs : 4326));
  const features = collection.features as Array<{
    id?: unknown;
    properties?: unknown;
    geometry?: unknown;
  }>;
  if (features.length === 0) {
    throw new BadInputError(`${options.source} holds no feature; nothing to compute`, {
      code: 'PARCELS_EMPTY',
    });
  }
  const idField = options.idField ?? guessIdField(features);
  const ids: string[] = [];
  const geometries: ParcelGeometry[] = [];
  const properties: Array<Record<string, unknown>> = [];
  const seen = new Map<string, number>();
  features.forEach((feature, i) => {
    const props = (feature?.properties ?? {}) as Record<string, unknown>;
    const raw = idField === undefined ? feature?.id : props[idField];
    if (raw === undefined || raw === null || raw === '') {
      throw new BadInputError(
        `${options.source}: feature ${i} has no ${idField === undefined ? 'id' : `"${idField}" property`}; ${idField === undefined ? `pass --id-field (properties seen: ${Object.keys(props).join(', ') || 'none'})` : 'give every feature an id or choose another --id-field'}`,
        { code: 'PARCEL_NO_ID' },
      );
    }
    const id = String(raw);
    const previous = seen.get(id);
    if (previous !== undefined) {
      throw new BadInputError(
        `${options.source}: features ${previous} and ${i} share the id "${id}"; ids must be unique`,
        {
          code: 'PARCEL_DUPLICATE_ID',
        },
      );
    }
    seen.set(id, i);
    const problems = validateGeometry(feature?.geometry, { geographic: crs.geographic });
    if (problems.length > 0) {
      throw new BadInputError(
        `${options.source}: feature ${i} (id "${id}"): ${problems.map((p) => p.message).join('; ')}; fix the geometry`,
        { code: `PARCEL_${problems[0]!.reason.toUpperCase().replace(/-/g, '_')}` },
      );
    }
    ids.push(id);
    geometries.push(feature.geometry as ParcelGeometry);
    properties.push(props);
  });
  return { ids, geometries, crs, properties };
}

function guessIdField(features: Array<{ id?: unknown; properties?: unknown }>): string | undefined {
  const first = (features[0]?.properties ?? {}) as Record<string, unknown>;
  return ID_FIELD_GUESSES.find((name) => first[name] !== undefined && first[name] !== null);
}
