import type { Database } from '../../store/db/database';
import { unknownExternalIds, unknownParcelIds, watchParcels } from '../../store/db/parcels-repo';
import { getParcel, listParcels, type ParcelSummary } from '../../store/exports/parcel-reads';
import { apiActor, keyOf, ownTeamOnly } from '../auth';
import { invalidParameter, notFound } from '../errors';
import { EXAMPLES } from '../examples';
import {
  decodeCursor,
  encodeCursor,
  limitParameter,
  MAX_LISTED_IDS,
  type ParcelQuery,
  parcelRef,
  parcelSelector,
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

/**
 * `db` serves the reads (the API passes the read view of the key's team); `server`, the server's
 * own database, serves the watch writes, which the routes restrict to the key's team themselves.
 */
export function parcelRoutes(db: Database, server: Database = db): ApiRoute[] {
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
        const selector = parcelSelector(query);
        const afterId =
          query.cursor === undefined ? undefined : Number(decodeCursor(query.cursor, 'n')[0]);
        const cursorOf = (next: number | undefined) =>
          next === undefined ? null : encodeCursor([next]);
        const page = { afterId, limit: query.limit };
        if (query.format === 'json') {
          const summaries = await listParcels(db, selector, { ...page, withGeometry: false });
          return { items: summaries.items, nextCursor: cursorOf(summaries.next) };
        }
        const details = await listParcels(db, selector, { ...page, withGeometry: true });
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
    watchRoute(db, server, true),
    watchRoute(db, server, false),
  ];
}

/**
 * `reads` is the key's team view (it checks the named parcels exist for the key), `db` the
 * server's own database, which writes (restricted to the key's team by the route itself).
 */
function watchRoute(reads: Database, db: Database, watched: boolean): ApiRoute {
  const verb = watched ? 'watch' : 'unwatch';
  return {
    method: 'POST',
    url: `/v1/parcels/${verb}`,
    operationId: `${verb}Parcels`,
    summary: watched ? 'Start watching parcels' : 'Stop watching parcels',
    description: `Parcels by database \`ids\`, by \`externalIds\` of one \`source\` (required with them: external ids are unique only within their source), or a whole \`source\`. ${
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
          description: 'Database ids (alone: not with source or externalIds)',
        },
        externalIds: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_LISTED_IDS,
          items: { type: 'string', minLength: 1, maxLength: 500 },
          description: 'External ids of `source` (required with them)',
        },
        source: {
          type: 'string',
          minLength: 1,
          maxLength: 200,
          description: 'The source of `externalIds`; alone: every parcel of the source',
        },
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
      if (body.externalIds && body.source === undefined) {
        throw invalidParameter(
          'body',
          'source',
          'is required with externalIds (external ids are unique only within their source); add the source they come from, e.g. {"source": "lpis-2024", "externalIds": [...]} (GET /v1/parcels?externalIds=… shows each parcel\'s source)',
        );
      }
      if (body.ids?.some((id) => !Number.isSafeInteger(id))) {
        throw invalidParameter('body', 'ids', 'must hold integer ids');
      }
      // A key changes its own team's parcels only, and the change is audited with it.
      const key = keyOf(request);
      // As on the command line, ids naming no parcel the key can see refuse the whole request, so a
      // typo never silently changes fewer parcels.
      const named = (unknown: { ids: Array<string | number>; count: number }) =>
        `${unknown.ids.map((id) => JSON.stringify(id)).join(', ')}${unknown.count > unknown.ids.length ? ', …' : ''}`;
      if (body.ids) {
        const unknown = await unknownParcelIds(reads, body.ids);
        if (unknown.count > 0) {
          throw invalidParameter(
            'body',
            'ids',
            `names ${unknown.count} id(s) of no parcel of team ${key.team}: ${named(unknown)}; nothing was changed (GET /v1/parcels lists the ids)`,
          );
        }
      }
      if (body.externalIds && body.source !== undefined) {
        const unknown = await unknownExternalIds(reads, body.source, body.externalIds);
        if (unknown.count > 0) {
          throw invalidParameter(
            'body',
            'externalIds',
            `names ${unknown.count} external id(s) that are no parcel of source ${body.source} for team ${key.team}: ${named(unknown)}; nothing was changed`,
          );
        }
      }
      const selector = { ...body, where: [ownTeamOnly(key)] };
      const audit = {
        actor: apiActor(key),
        action: `parcels.${verb}`,
        target: body.source === undefined ? 'parcels' : `source:${body.source}`,
        details: { selector: body, key: key.prefix },
      };
      return { watched, changed: await watchParcels(db, selector, watched, { audit }) };
    },
  };
}
