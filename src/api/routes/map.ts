import type { Database } from '../../store/db/database';
import {
  FEATURE_COLLECTION_CLOSING,
  featureCollectionOpening,
  type LatestQuery,
  readLatestFeatures,
} from '../../store/exports/latest';
import { invalidParameter } from '../errors';
import { EXAMPLES } from '../examples';
import { type ParcelQuery, parcelSelector, QUERY, timeRange } from '../parameters';
import { type ApiRoute, fields } from '../route';
import { LatestFeatureCollection } from '../schemas';

/** Most features one map response holds (~5–10 MB of GeoJSON); beyond it the map must zoom in. */
export const MAP_MAX_FEATURES = 10_000;
/** Web-map tiles are 256 pixels wide. */
const TILE_PIXELS = 256;
/** From this zoom on a screen pixel is under ~2.5 m, a quarter of a Sentinel-2 pixel: no simplification. */
export const FULL_DETAIL_ZOOM = 16;

/**
 * Half a screen pixel at a web-map zoom, in degrees of longitude: at zoom z a pixel spans
 * 360 / (256 × 2^z) of them. The query scales it by each parcel's latitude (see latest.ts).
 * Undefined from FULL_DETAIL_ZOOM on: nothing is simplified.
 */
export function halfPixelDegrees(zoom: number): number | undefined {
  if (zoom >= FULL_DETAIL_ZOOM) return undefined;
  return (0.5 * 360) / (TILE_PIXELS * 2 ** zoom);
}

export type LatestParameters = ParcelQuery & { index: string; from?: string; to?: string };

/** The latest-values query of the map and of `latest.geojson`, from their common parameters. */
export function latestQuery(query: LatestParameters): LatestQuery {
  return { parcels: parcelSelector(query), index: query.index, time: timeRange(query) };
}

export const LATEST_PARAMETERS = {
  index: QUERY.index,
  ids: QUERY.ids,
  source: QUERY.source,
  externalIds: QUERY.externalIds,
  bbox: QUERY.bbox,
  crop: QUERY.crop,
  watched: QUERY.watched,
  from: { ...QUERY.from, description: 'Only observations from then on count' },
  to: { ...QUERY.to, description: 'Latest as of this date (included)' },
};

export function mapRoutes(db: Database, maxFeatures: number = MAP_MAX_FEATURES): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/v1/map/latest',
      operationId: 'mapLatest',
      summary: 'Latest value per parcel, as GeoJSON for a map',
      description: `Each parcel with the mean of its latest \`ok\` observation of the index and its time (null when none). With \`zoom\`, geometries are simplified to half a screen pixel (none from zoom ${FULL_DETAIL_ZOOM}). At most ${maxFeatures.toLocaleString('en')} parcels: beyond that, give (a smaller) \`bbox\`.`,
      tag: 'map',
      scope: 'read',
      querystring: fields(
        {
          ...LATEST_PARAMETERS,
          zoom: { type: 'integer', minimum: 0, maximum: 24, description: 'Web-map zoom level' },
        },
        { required: ['index'] },
      ),
      responses: {
        200: {
          description: 'A FeatureCollection ordered by parcel id',
          content: {
            'application/geo+json': { schema: LatestFeatureCollection, example: EXAMPLES.latest },
          },
        },
      },
      handler: async (request, reply) => {
        const query = request.query as LatestParameters & { zoom?: number };
        const latest = latestQuery(query);
        if (query.zoom !== undefined) latest.halfPixelDegrees = halfPixelDegrees(query.zoom);
        const page = await readLatestFeatures(db, latest, { limit: maxFeatures });
        if (page.next !== undefined) {
          throw invalidParameter(
            'query',
            'bbox',
            `${latest.parcels.bbox ? 'covers' : 'is missing and the filters select'} more than ${maxFeatures.toLocaleString('en')} parcels; give a smaller bbox (zoom in) or narrower filters`,
          );
        }
        return reply
          .type('application/geo+json')
          .send(
            featureCollectionOpening(latest.index) +
              page.features.join(',') +
              FEATURE_COLLECTION_CLOSING,
          );
      },
    },
  ];
}
