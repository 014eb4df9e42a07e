import type { Database } from '../db/database';
import { allOf, type ParcelSelector, SqlParams, selectorConditions } from '../db/parcel-selector';
import { PERSONAL_DATA_JOIN, PERSONAL_DATA_PROPERTY } from './personal-data';
import type { TimeRange } from './selection';

/**
 * The latest `ok` value of one index per parcel, as GeoJSON features: what the map colours and
 * what `latest.geojson` exports. Each feature is built by PostgreSQL as JSON text (geometry
 * included), so the server only concatenates; numbers keep their exact shortest form.
 */

export interface LatestQuery {
  parcels: ParcelSelector;
  index: string;
  /** Only observations in this range count (its end: "as of"). */
  time: TimeRange;
  /**
   * Simplify each geometry to within half a screen pixel of this many degrees of longitude
   * (ST_SimplifyPreserveTopology), and round its coordinates to match; none when absent.
   */
  halfPixelDegrees?: number;
  /**
   * Each feature also carries its parcel's personal data (property `personalData`, see
   * ./personal-data): only `parcelwatch export --include-personal` asks; the API never does.
   */
  personalData?: boolean;
}

/** Coordinate digits when nothing is simplified: as stored (doubles from the parcel files). */
export const FULL_PRECISION_DIGITS = 15;
/**
 * A pixel of a web map spans cos(latitude) times fewer degrees of latitude than of longitude
 * (Mercator stretches latitudes). Scaled by the parcel's own latitude farthest from the equator
 * (up to 85°), the tolerance keeps errors under half a pixel both ways wherever the parcel lies.
 */
const LATITUDE_SCALE =
  'cos(radians(least(85, greatest(abs(ST_YMin(p.geom)), abs(ST_YMax(p.geom))))))';
/** Features per page of the export. */
export const LATEST_BATCH_FEATURES = 2_000;

export interface LatestPage {
  /** Feature JSON texts, by parcel id. */
  features: string[];
  /** Parcel id to continue after, when more follow. */
  next?: number;
  /** How many of the features carry personal data (0 unless the query asks for it). */
  withPersonalData: number;
}

/** One page of features (ordered by parcel id) after `afterId`. */
export async function readLatestFeatures(
  db: Database,
  query: LatestQuery,
  page: { afterId?: number; limit: number },
): Promise<LatestPage> {
  const params = new SqlParams();
  const index = params.add(query.index);
  const simplified = query.halfPixelDegrees !== undefined;
  const tolerance = simplified
    ? `CROSS JOIN LATERAL (SELECT ${params.add(query.halfPixelDegrees)}::float8 * ${LATITUDE_SCALE} AS tolerance) s`
    : '';
  const geometry = simplified
    ? 'ST_Multi(ST_SimplifyPreserveTopology(p.geom, s.tolerance))'
    : 'p.geom';
  const digits = simplified
    ? `least(${FULL_PRECISION_DIGITS}, greatest(1, ceil(-log(s.tolerance))::int + 1))`
    : `${FULL_PRECISION_DIGITS}`;
  const observed = [
    'o.parcel_id = p.id',
    `o.index_name = ${index}::text`,
    "o.status = 'ok'",
    'o.mean IS NOT NULL',
  ];
  if (query.time.from)
    observed.push(`o.acquired_at >= ${params.add(query.time.from)}::timestamptz`);
  if (query.time.to) observed.push(`o.acquired_at < ${params.add(query.time.to)}::timestamptz`);
  const where = selectorConditions(query.parcels, params);
  if (page.afterId !== undefined) where.push(`p.id > ${params.add(page.afterId)}::bigint`);
  const limit = params.add(page.limit + 1);
  const personal = query.personalData
    ? {
        property: `,\n                ${PERSONAL_DATA_PROPERTY}`,
        held: ', d.parcel_id IS NOT NULL AS personal_held',
        join: `\n       ${PERSONAL_DATA_JOIN}`,
      }
    : { property: '', held: '', join: '' };
  const result = await db.pool.query<{ id: string; feature: string; personal_held?: boolean }>(
    `SELECT p.id${personal.held}, json_build_object(
              'type', 'Feature',
              'id', p.id,
              'geometry', ST_AsGeoJSON(${geometry}, ${digits})::json,
              'properties', json_build_object(
                'parcelId', p.id, 'source', p.source, 'externalId', p.external_id,
                'crop', p.crop, 'watched', p.watched, 'index', ${index}::text, 'value', l.mean,
                'acquiredAt', to_char(l.acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')${personal.property})
            )::text AS feature
       FROM parcels p${personal.join}
       ${tolerance}
       LEFT JOIN LATERAL (
         SELECT o.mean, o.acquired_at FROM parcel_observations o
          WHERE ${observed.join(' AND ')}
          ORDER BY o.acquired_at DESC LIMIT 1
       ) l ON true
      WHERE ${allOf(where)}
      ORDER BY p.id
      LIMIT ${limit}`,
    params.values,
  );
  const rows = result.rows.slice(0, page.limit);
  return {
    features: rows.map((r) => r.feature),
    next: result.rows.length > page.limit ? Number(rows.at(-1)?.id) : undefined,
    withPersonalData: rows.filter((r) => r.personal_held).length,
  };
}

/** The opening of a FeatureCollection of latest values (foreign member `index` names the index). */
export function featureCollectionOpening(index: string): string {
  return `{"type":"FeatureCollection","index":${JSON.stringify(index)},"features":[`;
}

export const FEATURE_COLLECTION_CLOSING = ']}';

/**
 * The whole FeatureCollection, streamed page by page; `onFeatures` hears the running count, and
 * `onPersonalData` that of the features carrying personal data (when the query asks for it).
 */
export async function* latestGeoJsonChunks(
  db: Database,
  query: LatestQuery,
  options: {
    batchFeatures?: number;
    onFeatures?: (count: number) => void;
    onPersonalData?: (count: number) => void;
  } = {},
): AsyncGenerator<string> {
  yield featureCollectionOpening(query.index);
  let afterId: number | undefined;
  let count = 0;
  let withPersonalData = 0;
  do {
    const page = await readLatestFeatures(db, query, {
      afterId,
      limit: options.batchFeatures ?? LATEST_BATCH_FEATURES,
    });
    if (page.features.length > 0) {
      yield (count > 0 ? ',' : '') + page.features.join(',');
      count += page.features.length;
      options.onFeatures?.(count);
    }
    if (page.withPersonalData > 0) {
      withPersonalData += page.withPersonalData;
      options.onPersonalData?.(withPersonalData);
    }
    afterId = page.next;
  } while (afterId !== undefined);
  yield FEATURE_COLLECTION_CLOSING;
}
