import { Readable } from 'node:stream';
import type { Database } from '../../store/db/database';
import { EXPORT_CONTENT_TYPES, type ExportRequest, exportChunks } from '../../store/exports/export';
import type { SeriesKind, SeriesSelection } from '../../store/exports/selection';
import { EXAMPLES } from '../examples';
import { indexList, type ParcelQuery, parcelSelector, QUERY, timeRange } from '../parameters';
import { type ApiRoute, fields, type JsonSchema } from '../route';
import { LatestFeatureCollection } from '../schemas';
import { LATEST_PARAMETERS, type LatestParameters, latestQuery } from './map';

/**
 * Exports over HTTP: the same selections and writers as `parcelwatch export`, streamed from the
 * database as they are read. An error after the first bytes can only cut the response short (the
 * chunked encoding then lacks its end, which HTTP clients report).
 */

const SERIES_PARAMETERS = fields({
  kind: {
    type: 'string',
    enum: ['observations', 'weekly'],
    default: 'observations',
    description: 'Raw observations (one row per acquisition) or the weekly series',
  },
  ids: QUERY.ids,
  source: QUERY.source,
  externalIds: QUERY.externalIds,
  bbox: QUERY.bbox,
  crop: QUERY.crop,
  watched: QUERY.watched,
  indices: QUERY.indices,
  from: QUERY.from,
  to: QUERY.to,
});

type SeriesParameters = ParcelQuery & {
  kind: SeriesKind;
  indices?: string;
  from?: string;
  to?: string;
};

export function seriesSelection(query: SeriesParameters): SeriesSelection {
  return {
    parcels: parcelSelector(query),
    indices: indexList(query.indices),
    time: timeRange(query),
    kind: query.kind,
  };
}

const BINARY: JsonSchema = { type: 'string', format: 'binary' };

export function exportRoutes(db: Database): ApiRoute[] {
  const seriesRoute = (format: 'csv' | 'parquet'): ApiRoute => ({
    method: 'GET',
    url: `/v1/exports/series.${format}`,
    operationId: `exportSeries${format === 'csv' ? 'Csv' : 'Parquet'}`,
    summary: `Series of a selection as ${format === 'csv' ? 'CSV (RFC 4180)' : 'Parquet'}, streamed`,
    description:
      'One row per parcel × index × acquisition (`kind=observations`) or × ISO week (`kind=weekly`), ordered by parcel id, index and time. Same selection as `parcelwatch export`.',
    tag: 'exports',
    scope: 'read',
    querystring: SERIES_PARAMETERS,
    responses: {
      200: {
        description: `The ${format === 'csv' ? 'CSV' : 'Parquet'} file`,
        content: { [EXPORT_CONTENT_TYPES[format]]: { schema: BINARY, binary: true } },
      },
    },
    handler: async (request, reply) => {
      const selection = seriesSelection(request.query as SeriesParameters);
      return send(db, reply, { format, selection }, `${selection.kind}.${format}`);
    },
  });
  return [
    seriesRoute('csv'),
    seriesRoute('parquet'),
    {
      method: 'GET',
      url: '/v1/exports/latest.geojson',
      operationId: 'exportLatestGeojson',
      summary: 'Latest value per parcel as GeoJSON, streamed (no size limit, full geometries)',
      tag: 'exports',
      scope: 'read',
      querystring: fields(LATEST_PARAMETERS, { required: ['index'] }),
      responses: {
        200: {
          description: 'A FeatureCollection, as GET /v1/map/latest gives without zoom',
          content: {
            'application/geo+json': { schema: LatestFeatureCollection, example: EXAMPLES.latest },
          },
        },
      },
      handler: async (request, reply) => {
        const latest = latestQuery(request.query as LatestParameters);
        return send(db, reply, { format: 'geojson', latest }, `latest-${latest.index}.geojson`);
      },
    },
  ];
}

function send(
  db: Database,
  reply: import('fastify').FastifyReply,
  request: ExportRequest,
  filename: string,
) {
  return reply
    .type(EXPORT_CONTENT_TYPES[request.format])
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(Readable.from(exportChunks(db, request)));
}
