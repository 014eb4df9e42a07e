import type { Database } from '../../store/db/database';
import { watchParcels } from '../../store/db/parcels-repo';
import { getParcel, listParcels, type ParcelSummary } from '../../store/exports/parcel-reads';
import { invalidParameter, notFound } from '../errors';
import { EXAMPLES } from '../examples';
import {
  decodeCursor,
  encodeCursor,
  limitParameter,
  MAX_LISTED_IDS,
  type ParcelQuery,
  parcelFilter,
  parcelRef,
  QUERY,
} from '../parameters';
import { type ApiRoute, fields } from '../route';
import { ParcelDetail, ParcelFeatureCollection, ParcelPage, WatchResult } from '../schemas';

/** Parcels per page unless asked, and at most. */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1_000;

export const PARCEL_PATH = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      minLength: 1,
      maxLength: 500,
      description: 'Parcel id (42) or source:externalId (default:FR-123, URL-encoded)',
    },
  },
};

export function parcelRoutes(db: Database): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/v1/parcels',
      operationId: 'listParcels',
      summary: 'List parcels',
      description:
        'Parcels matching every filter given, by id, a page at a time (follow `nextCursor`). `format=geojson` gives a FeatureCollection with geometries.',
      tag: 'parcels',
      scope: 'read',
      querystring: fields({
        ids: QUERY.ids,
        source: QUERY.source,
        externalIds: QUERY.externalIds,
        bbox: QUERY.bbox,
        crop: QUERY.crop,
        watched: QUERY.watched,
        q: {
          type: 'string',
          minLength: 1,
          maxLength: 200,
          description: 'Part of the external id (case-insensitive)',
        },
        limit: limitParameter(DEFAULT_PAGE, MAX_PAGE),
        cursor: QUERY.cursor,
        format: { type: 'string', enum: ['json', 'geojson'], default: 'json' },
      }),
      responses: {
        200: {
          description: 'A page of parcels',
          content: {
            'application/json': { schema: ParcelPage, example: EXAMPLES.parcelPage },
            'application/geo+json': {
              schema: ParcelFeatureCollection,
              example: EXAMPLES.parcelFeatures,
            },
          },
        },
      },
      handler: async (request, reply) => {
        const query = request.query as ParcelQuery & {
          limit: number;
          cursor?: string;
          format: 'json' | 'geojson';
        };
        const filter = parcelFilter(query);
        const afterId =
          query.cursor === undefined ? undefined : Number(decodeCursor(query.cursor, 'n')[0]);
        const cursorOf = (next: number | undefined) =>
          next === undefined ? null : encodeCursor([next]);
        const page = { afterId, limit: query.limit };
        if (query.format === 'json') {
          const summaries = await listParcels(db, filter, { ...page, withGeometry: false });
          return { items: summaries.items, nextCursor: cursorOf(summaries.next) };
        }
        const details = await listParcels(db, filter, { ...page, withGeometry: true });
        const features = details.items.map(({ geometry, ...properties }) => ({
          type: 'Feature',
          id: properties.id,
          geometry,
          properties: properties satisfies ParcelSummary,
        }));
        const nextCursor = cursorOf(details.next);
        return reply
          .type('application/geo+json')
          .send(JSON.stringify({ type: 'FeatureCollection', features, nextCursor }));
      },
    },
    {
      method: 'GET',
      url: '/v1/parcels/:id',
      operationId: 'getParcel',
      summary: 'One parcel, with its geometry',
      tag: 'parcels',
      scope: 'read',
      params: PARCEL_PATH,
      responses: {
        200: {
          description: 'The parcel',
          content: { 'application/json': { schema: ParcelDetail, example: EXAMPLES.parcelDetail } },
        },
      },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const parcel = await getParcel(db, parcelRef(id));
        if (!parcel) throw notFound(`no parcel ${id}; see GET /v1/parcels`);
        return parcel;
      },
    },
    watchRoute(db, true),
    watchRoute(db, false),
  ];
}

function watchRoute(db: Database, watched: boolean): ApiRoute {
  const verb = watched ? 'watch' : 'unwatch';
  return {
    method: 'POST',
    url: `/v1/parcels/${verb}`,
    operationId: `${verb}Parcels`,
    summary: watched ? 'Start watching parcels' : 'Stop watching parcels',
    description: `Parcels by \`ids\`, or by \`externalIds\` within \`source\` (default \`default\`), or a whole \`source\`. ${
      watched ? 'Watched parcels are computed by the next runs.' : 'Their data is kept.'
    }`,
    tag: 'parcels',
    scope: 'write',
    body: fields(
      {
        ids: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_LISTED_IDS,
          items: { type: 'integer', minimum: 1 },
        },
        externalIds: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_LISTED_IDS,
          items: { type: 'string', minLength: 1, maxLength: 500 },
        },
        source: { type: 'string', minLength: 1, maxLength: 200 },
      },
      { minProperties: 1 },
    ),
    responses: {
      200: {
        description: 'How many parcels changed',
        content: {
          'application/json': {
            schema: WatchResult,
            example: { ...EXAMPLES.watchResult, watched },
          },
        },
      },
    },
    handler: async (request) => {
      const body = request.body as { ids?: number[]; externalIds?: string[]; source?: string };
      if (body.ids && (body.externalIds || body.source !== undefined)) {
        throw invalidParameter('body', 'ids', 'cannot be combined with externalIds or source');
      }
      if (body.ids?.some((id) => !Number.isSafeInteger(id))) {
        throw invalidParameter('body', 'ids', 'must hold integer ids');
      }
      return { watched, changed: await watchParcels(db, body, watched) };
    },
  };
}
