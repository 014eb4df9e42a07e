import { parseBbox } from '../core/geo/bbox';
import { INDICES } from '../core/indices/registry';
import type { AttributeFilter, ParcelSelector } from '../store/db/parcel-selector';
import type { ParcelRef } from '../store/exports/parcel-reads';
import type { TimeRange } from '../store/exports/selection';
import { parseTimeBound, TIME_BOUND_PATTERN } from '../store/exports/time-bounds';
import { invalidParameter, parseParameter } from './errors';
import type { JsonSchema } from './route';

/**
 * Query parameters shared by several routes: their schemas (validated by Fastify, documented in
 * OpenAPI) and their parsing into the store's selections, with 400s naming the parameter.
 */

/** Most ids or external ids in one request: a page's worth; larger selections go by source or bbox. */
export const MAX_LISTED_IDS = 10_000;

const INDEX_NAMES = INDICES.map((i) => i.name);

export const QUERY = {
  bbox: {
    type: 'string',
    pattern: '^-?\\d+(\\.\\d+)?(,-?\\d+(\\.\\d+)?){3}$',
    description: 'minLon,minLat,maxLon,maxLat (WGS 84): parcels intersecting it',
  },
  ids: {
    type: 'string',
    pattern: '^\\d+(,\\d+)*$',
    maxLength: 200_000,
    description: `Comma-separated parcel ids (at most ${MAX_LISTED_IDS})`,
  },
  externalIds: {
    type: 'string',
    minLength: 1,
    maxLength: 200_000,
    description: 'Comma-separated external ids (within `source` when given)',
  },
  source: { type: 'string', minLength: 1, maxLength: 200, description: 'Parcels of this source' },
  crop: { type: 'string', minLength: 1, maxLength: 200, description: 'Parcels of this crop' },
  watched: { type: 'boolean', description: 'Only watched (true) or unwatched (false) parcels' },
  index: { type: 'string', enum: INDEX_NAMES, description: 'Vegetation index' },
  indices: {
    type: 'string',
    pattern: '^[a-z0-9]+(,[a-z0-9]+)*$',
    description: `Comma-separated indices among ${INDEX_NAMES.join(', ')}; default: all`,
  },
  from: {
    type: 'string',
    pattern: TIME_BOUND_PATTERN,
    description: 'Start: a date (YYYY-MM-DD), an ISO week (YYYY-Www) or an RFC 3339 instant',
  },
  to: {
    type: 'string',
    pattern: TIME_BOUND_PATTERN,
    description: 'End, included: a date or week counts whole',
  },
  cursor: {
    type: 'string',
    minLength: 1,
    maxLength: 1000,
    description: 'The `nextCursor` of the previous page',
  },
} satisfies Record<string, JsonSchema>;

export function limitParameter(defaultLimit: number, max: number): JsonSchema {
  return {
    type: 'integer',
    minimum: 1,
    maximum: max,
    default: defaultLimit,
    description: `Items per page (at most ${max})`,
  };
}

/** The parcel-selection parameters as they arrive (after schema validation). */
export interface ParcelQuery {
  ids?: string;
  externalIds?: string;
  source?: string;
  bbox?: string;
  watched?: boolean;
  crop?: string;
  q?: string;
}

/** The parcels the query parameters select: `crop` and `q` become conditions on crop and external id. */
export function parcelSelector(query: ParcelQuery): ParcelSelector {
  const selector: ParcelSelector = {};
  if (query.ids !== undefined) selector.ids = idList(query.ids, 'ids');
  if (query.externalIds !== undefined)
    selector.externalIds = textList(query.externalIds, 'externalIds');
  if (query.source !== undefined) selector.source = query.source;
  if (query.bbox !== undefined) selector.bbox = bbox(query.bbox);
  if (query.watched !== undefined) selector.watched = query.watched;
  const where: AttributeFilter[] = [];
  if (query.crop !== undefined) where.push({ field: 'crop', op: '=', value: query.crop });
  if (query.q !== undefined) where.push({ field: 'external_id', op: '~', value: query.q });
  if (where.length > 0) selector.where = where;
  return selector;
}

export function bbox(text: string, name = 'bbox') {
  return parseParameter('query', name, () => parseBbox(text, name));
}

export function timeRange(query: { from?: string; to?: string }): TimeRange {
  const bound = (name: 'from' | 'to') => {
    const text = query[name];
    return text === undefined
      ? undefined
      : parseParameter('query', name, () => parseTimeBound(text, name));
  };
  const range = { from: bound('from'), to: bound('to') };
  if (range.from && range.to && range.to <= range.from) {
    throw invalidParameter('query', 'to', `(${query.to}) ends before from (${query.from}) starts`);
  }
  return range;
}

export function indexList(text: string | undefined, name = 'indices'): string[] | undefined {
  if (text === undefined) return undefined;
  const names = [...new Set(text.split(','))];
  const unknown = names.filter((n) => !INDEX_NAMES.includes(n));
  if (unknown.length) {
    throw invalidParameter(
      'query',
      name,
      `names unknown indices ${unknown.join(', ')}; known: ${INDEX_NAMES.join(', ')}`,
    );
  }
  return names;
}

function idList(text: string, name: string): number[] {
  const ids = text.split(',').map(Number);
  if (ids.length > MAX_LISTED_IDS) {
    throw invalidParameter(
      'query',
      name,
      `lists ${ids.length} ids; give at most ${MAX_LISTED_IDS}`,
    );
  }
  if (!ids.every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw invalidParameter('query', name, 'must list positive integer ids');
  }
  return ids;
}

function textList(text: string, name: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw invalidParameter('query', name, 'has an empty item');
  if (items.length > MAX_LISTED_IDS) {
    throw invalidParameter(
      'query',
      name,
      `lists ${items.length} ids; give at most ${MAX_LISTED_IDS}`,
    );
  }
  return items;
}

/** A parcel path parameter: its database id (`42`) or `source:externalId` (`lpis-2024:FR-123`). */
export function parcelRef(text: string): ParcelRef {
  if (/^\d+$/.test(text)) {
    const id = Number(text);
    if (Number.isSafeInteger(id) && id > 0) return { id };
  }
  const colon = text.indexOf(':');
  if (colon > 0 && colon < text.length - 1) {
    return { source: text.slice(0, colon), externalId: text.slice(colon + 1) };
  }
  throw invalidParameter(
    'path',
    'id',
    `"${text}" is neither a parcel id (e.g. 42) nor source:externalId (e.g. default:FR-123)`,
  );
}

/** An opaque page cursor: the key of the last item, base64url JSON. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The key of a cursor, checked against the element types expected (`n` number, `s` string). */
export function decodeCursor(text: string, shape: string): Array<string | number> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const fits =
    Array.isArray(key) &&
    key.length === shape.length &&
    key.every((v, i) => (shape[i] === 'n' ? Number.isSafeInteger(v) : typeof v === 'string'));
  if (!fits) {
    throw invalidParameter(
      'query',
      'cursor',
      'is not a cursor of this list; pass the nextCursor of the previous page unchanged',
    );
  }
  return key as Array<string | number>;
}
