import { BadInputError } from '../errors';
import type { BBox, ParcelGeometry } from '../geo/types';
import { type AcquisitionWindow, type ResolvedWindow, resolveDatetime } from './datetime';
import { acquisitionMsOf, cloudCoverOf, tileOfItem } from './item-fields';
import { isRecord, readString } from './stac-json';
import { gridCodesOf, normaliseTile } from './tile';

/**
 * What to search for, and how it becomes an Item Search request: a POST body or GET query, with
 * the cloud-cover and tile filters written in whichever language the server understands (CQL2-JSON
 * `filter`, else the `query` extension, else none), plus the same filters re-checked on our side.
 */

export interface SceneSearch {
  /** @default the client's collection */
  collections?: string[];
  /** WGS84 [west, south, east, north]; not together with `intersects`. */
  bbox?: BBox;
  /** A WGS84 GeoJSON geometry; not together with `bbox`. */
  intersects?: ParcelGeometry;
  /** An RFC 3339 instant, an interval (`start/end`, `..` for an open end), or a window. */
  datetime?: string | AcquisitionWindow;
  /** Keep items with `eo:cloud_cover` ≤ this percentage. */
  maxCloudCover?: number;
  /** MGRS tile in any spelling (`33TWL`, `T33TWL`, `MGRS-33TWL`). */
  tile?: string;
  ids?: string[];
  /** Items per page. @default the client's page size */
  limit?: number;
}

/** How the server is told about cloud cover and tile. */
export type FilterMode = 'cql2-json' | 'query' | 'client';

/** A search after validation, with everything needed to build requests and re-check items. */
export interface PreparedSearch {
  collections: string[];
  bbox?: BBox;
  intersects?: ParcelGeometry;
  window?: ResolvedWindow;
  maxCloudCover?: number;
  tile?: string;
  ids?: string[];
  limit: number;
}

export function prepareSearch(
  search: SceneSearch,
  defaults: { collection: string; limit: number },
): PreparedSearch {
  const bad = (message: string) => new BadInputError(message, { code: 'STAC_BAD_SEARCH' });
  if (search.bbox && search.intersects) {
    throw bad('STAC search: give bbox or intersects, not both (the STAC API forbids it)');
  }
  if (search.bbox && (search.bbox.length !== 4 || !search.bbox.every(Number.isFinite))) {
    throw bad(`STAC search: bbox ${JSON.stringify(search.bbox)} is not [west, south, east, north]`);
  }
  const max = search.maxCloudCover;
  if (max !== undefined && !(max >= 0 && max <= 100)) {
    throw bad(`STAC search: maxCloudCover ${max} is not a percentage between 0 and 100`);
  }
  const tile = search.tile === undefined ? undefined : normaliseTile(search.tile);
  if (search.tile !== undefined && !tile) {
    throw bad(`STAC search: "${search.tile}" is not an MGRS tile id like 33TWL`);
  }
  const limit = search.limit ?? defaults.limit;
  if (!Number.isInteger(limit) || limit < 1) {
    throw bad(`STAC search: limit ${limit} is not a positive integer`);
  }
  const collections = search.collections?.length ? search.collections : [defaults.collection];
  return {
    collections,
    bbox: search.bbox,
    intersects: search.intersects,
    window: search.datetime === undefined ? undefined : resolveDatetime(search.datetime),
    maxCloudCover: max,
    tile,
    ids: search.ids?.length ? search.ids : undefined,
    limit,
  };
}

/** The JSON body of a POST /search. */
export function searchBody(search: PreparedSearch, mode: FilterMode): Record<string, unknown> {
  const body: Record<string, unknown> = { collections: search.collections, limit: search.limit };
  if (search.bbox) body.bbox = search.bbox;
  if (search.intersects) body.intersects = search.intersects;
  if (search.window) body.datetime = search.window.param;
  if (search.ids) body.ids = search.ids;
  const filter = cql2Filter(search);
  const query = queryExtension(search);
  if (mode === 'cql2-json' && filter) {
    body.filter = filter;
    body['filter-lang'] = 'cql2-json';
  } else if (mode === 'query' && query) {
    body.query = query;
  }
  return body;
}

/** The query string of a GET /search: the same fields, arrays comma-joined, objects as JSON. */
export function searchQuery(search: PreparedSearch, mode: FilterMode): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(searchBody(search, mode))) {
    if (key === 'bbox' || key === 'collections' || key === 'ids') {
      params.set(key, (value as unknown[]).join(','));
    } else if (typeof value === 'object') {
      params.set(key, JSON.stringify(value));
    } else {
      params.set(key, String(value));
    }
  }
  return params;
}

/** CQL2-JSON for cloud cover and tile, or undefined when neither is asked. */
export function cql2Filter(search: PreparedSearch): Record<string, unknown> | undefined {
  const clauses: Record<string, unknown>[] = [];
  if (search.maxCloudCover !== undefined) {
    clauses.push({ op: '<=', args: [{ property: 'eo:cloud_cover' }, search.maxCloudCover] });
  }
  if (search.tile) {
    const equals = gridCodesOf(search.tile).map((code) => ({
      op: '=',
      args: [{ property: 'grid:code' }, code],
    }));
    clauses.push(equals.length === 1 ? equals[0]! : { op: 'or', args: equals });
  }
  if (clauses.length === 0) return undefined;
  return clauses.length === 1 ? clauses[0] : { op: 'and', args: clauses };
}

/** The `query` extension object for cloud cover and tile, or undefined when neither is asked. */
export function queryExtension(search: PreparedSearch): Record<string, unknown> | undefined {
  const query: Record<string, unknown> = {};
  if (search.maxCloudCover !== undefined) query['eo:cloud_cover'] = { lte: search.maxCloudCover };
  if (search.tile) {
    const codes = gridCodesOf(search.tile);
    query['grid:code'] = codes.length === 1 ? { eq: codes[0] } : { in: codes };
  }
  return Object.keys(query).length ? query : undefined;
}

/**
 * Why `item` does not match the search, or undefined when it does. Applied to every item whatever
 * the server was told: servers ignore fields they do not know, and some ignore whole filters.
 * Geometry (bbox, intersects) is left to the server.
 */
export function mismatchOf(item: unknown, search: PreparedSearch): string | undefined {
  if (!isRecord(item)) return undefined; // the item parser rejects it with a reason
  const collection = readString(item, 'collection');
  if (collection && !search.collections.includes(collection)) {
    return `collection ${collection}, searched ${search.collections.join(', ')}`;
  }
  const id = readString(item, 'id');
  if (search.ids && (!id || !search.ids.includes(id))) return 'id not among the searched ids';
  if (search.maxCloudCover !== undefined) {
    const cloud = cloudCoverOf(item);
    if (cloud === undefined) return 'no eo:cloud_cover while a maximum was asked';
    if (cloud > search.maxCloudCover) return `cloud cover ${cloud} > ${search.maxCloudCover}`;
  }
  if (search.tile) {
    const tile = tileOfItem(item);
    if (tile !== search.tile) return `tile ${tile ?? 'unknown'}, searched ${search.tile}`;
  }
  if (search.window) {
    const ms = acquisitionMsOf(item);
    if (ms !== undefined && (ms < search.window.startMs || ms > search.window.endMs)) {
      return `acquired ${new Date(ms).toISOString()}, outside ${search.window.param}`;
    }
  }
  return undefined;
}
