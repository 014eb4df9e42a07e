import { formatIsoWeek, isoWeekMonday, isoWeekOf, parseIsoWeek } from '../../core/time/iso-week';
import type { Database } from '../../store/db/database';
import { weeklySeries } from '../../store/db/weekly';
import { resolveParcelId } from '../../store/exports/parcel-reads';
import type { SeriesRow } from '../../store/exports/series-columns';
import { readSeriesPage } from '../../store/exports/series-reads';
import { invalidParameter, notFound, parseParameter } from '../errors';
import { EXAMPLES } from '../examples';
import {
  decodeCursor,
  encodeCursor,
  limitParameter,
  parcelRef,
  QUERY,
  timeRange,
} from '../parameters';
import { type ApiRoute, fields } from '../route';
import { ObservationPage, WeeklySeries } from '../schemas';
import { PARCEL_PATH } from './parcels';

/** Observations per page unless asked, and at most: a season of one index is one page. */
const DEFAULT_PAGE = 1_000;
const MAX_PAGE = 10_000;
const WEEK = { type: 'string', pattern: '^\\d{4}-W\\d{2}$' };

export function seriesRoutes(db: Database): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/v1/parcels/:id/observations',
      operationId: 'listObservations',
      summary: "A parcel's observations (raw statistics per acquisition)",
      description:
        'Ordered by index, then acquisition time; a page at a time (follow `nextCursor`). Every status is returned unless `status` says otherwise: `ok` rows are the ones to trust.',
      tag: 'series',
      scope: 'read',
      params: PARCEL_PATH,
      querystring: fields({
        index: QUERY.index,
        from: QUERY.from,
        to: QUERY.to,
        status: { type: 'string', enum: ['ok', 'cloudy', 'nodata'] },
        limit: limitParameter(DEFAULT_PAGE, MAX_PAGE),
        cursor: QUERY.cursor,
      }),
      responses: {
        200: {
          description: 'A page of observations',
          content: {
            'application/json': { schema: ObservationPage, example: EXAMPLES.observationPage },
          },
        },
      },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const query = request.query as {
          index?: string;
          from?: string;
          to?: string;
          status?: string;
          limit: number;
          cursor?: string;
        };
        const time = timeRange(query);
        const after = query.cursor === undefined ? undefined : observationCursor(query.cursor);
        const parcelId = await resolveParcelId(db, parcelRef(id));
        if (parcelId === undefined) throw notFound(`no parcel ${id}; see GET /v1/parcels`);
        const page = await readSeriesPage(db, {
          selection: {
            parcels: { ids: [parcelId] },
            indices: query.index === undefined ? undefined : [query.index],
            time,
            kind: 'observations',
          },
          statuses: query.status === undefined ? undefined : [query.status],
          after: after && [parcelId, after[0], after[1]],
          limit: query.limit,
        });
        return {
          parcelId,
          items: page.rows.map(observation),
          nextCursor: page.next ? encodeCursor([page.next[1], page.next[2]]) : null,
        };
      },
    },
    {
      method: 'GET',
      url: '/v1/parcels/:id/weekly',
      operationId: 'getWeeklySeries',
      summary: "A parcel's weekly series",
      description:
        'One value per index and ISO week: `observed` (mean of the week’s ok observations), `interpolated` (between observed weeks) or `nodata`. Ordered by index, then week.',
      tag: 'series',
      scope: 'read',
      params: PARCEL_PATH,
      querystring: fields({
        index: QUERY.index,
        fromWeek: { ...WEEK, description: 'First week, e.g. 2024-W10' },
        toWeek: { ...WEEK, description: 'Last week, included' },
      }),
      responses: {
        200: {
          description: 'The weekly series',
          content: { 'application/json': { schema: WeeklySeries, example: EXAMPLES.weeklySeries } },
        },
      },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const query = request.query as { index?: string; fromWeek?: string; toWeek?: string };
        const week = (name: 'fromWeek' | 'toWeek') => {
          const text = query[name];
          return text === undefined
            ? undefined
            : parseParameter('query', name, () => formatIsoWeek(parseIsoWeek(text, name)));
        };
        const fromWeek = week('fromWeek');
        const toWeek = week('toWeek');
        if (fromWeek && toWeek && isoWeekMonday(toWeek) < isoWeekMonday(fromWeek)) {
          throw invalidParameter('query', 'toWeek', `(${toWeek}) is before fromWeek (${fromWeek})`);
        }
        const parcelId = await resolveParcelId(db, parcelRef(id));
        if (parcelId === undefined) throw notFound(`no parcel ${id}; see GET /v1/parcels`);
        const rows = await weeklySeries(db, parcelId, { index: query.index, fromWeek, toWeek });
        return {
          parcelId,
          items: rows.map((r) => ({
            index: r.indexName,
            week: formatIsoWeek(isoWeekOf(r.weekStart)),
            weekStart: r.weekStart,
            value: r.value,
            observationCount: r.observationCount,
            status: r.status,
            runId: r.runId,
          })),
        };
      },
    },
  ];
}

/** [index, acquisition instant] of an observations cursor. */
function observationCursor(text: string): [string, string] {
  const [index, time] = decodeCursor(text, 'ss') as [string, string];
  if (!Number.isFinite(Date.parse(time))) {
    throw invalidParameter(
      'query',
      'cursor',
      'is not a cursor of this list; pass nextCursor unchanged',
    );
  }
  return [index, time];
}

function observation(row: SeriesRow) {
  return {
    index: row.index,
    acquiredAt: row.acquired_at,
    sceneId: row.scene_id,
    mean: row.mean,
    median: row.median,
    std: row.std,
    min: row.min,
    max: row.max,
    p10: row.p10,
    p90: row.p90,
    validPixels: row.valid_pixels,
    totalPixels: row.total_pixels,
    validFraction: row.valid_fraction,
    status: row.status,
    flags: row.flags,
    algorithmVersion: row.algorithm_version,
    runId: row.run_id,
    computedAt: row.computed_at,
  };
}
