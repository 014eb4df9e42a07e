import type { Catalog, CatalogEntry } from './catalog';
import { collectionOf } from './catalog';
import { cql2Predicate, FilterError, type ItemPredicate, queryPredicate } from './filter';
import {
  bboxesIntersect,
  bboxShape,
  GeometryError,
  type Shape,
  shapeOf,
  shapesIntersect,
} from './geometry';

/**
 * STAC item search: parameters from a GET query string or a POST body, validated into one
 * request, matched against the catalog, and paged with an opaque offset token. Results keep the
 * catalog's order (datetime, then id), so paging visits every match exactly once.
 */
export interface SearchRequest {
  bbox?: number[];
  intersects?: Shape;
  /** Inclusive bounds in ms; an instant has start = end. */
  datetime?: { start: number; end: number };
  collections?: string[];
  ids?: string[];
  limit: number;
  predicates: ItemPredicate[];
  offset: number;
}

export class SearchError extends Error {}

/** Page size when the client gives none (STAC API default). */
export const DEFAULT_LIMIT = 10;
/** Largest page served; larger requests are clamped, as Earth Search does. */
export const MAX_LIMIT = 1000;

export function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeToken(token: unknown): number {
  const text = typeof token === 'string' ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const match = /^offset:(\d+)$/.exec(text);
  if (!match) throw new SearchError(`token ${JSON.stringify(token)} is not one this server issued`);
  return Number(match[1]);
}

function parseInstant(text: string): number {
  const time = Date.parse(text);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    throw new SearchError(`datetime "${text}" is not an RFC 3339 date-time`);
  }
  return time;
}

export function parseDatetime(value: string): { start: number; end: number } {
  if (!value.includes('/')) {
    const t = parseInstant(value);
    return { start: t, end: t };
  }
  const [from, to, ...rest] = value.split('/');
  if (rest.length > 0) throw new SearchError(`datetime "${value}" has more than one "/"`);
  const open = (s: string) => s === '' || s === '..';
  if (open(from) && open(to)) throw new SearchError(`datetime "${value}" is open at both ends`);
  const start = open(from) ? Number.NEGATIVE_INFINITY : parseInstant(from);
  const end = open(to) ? Number.POSITIVE_INFINITY : parseInstant(to);
  if (start > end) throw new SearchError(`datetime "${value}" ends before it starts`);
  return { start, end };
}

function parseBbox(value: unknown): number[] {
  const numbers = typeof value === 'string' ? value.split(',').map(Number) : value;
  if (
    !Array.isArray(numbers) ||
    ![4, 6].includes(numbers.length) ||
    !numbers.every((n) => typeof n === 'number' && Number.isFinite(n))
  ) {
    throw new SearchError(`bbox ${JSON.stringify(value)} must be 4 or 6 numbers`);
  }
  const box = numbers.length === 6 ? [numbers[0], numbers[1], numbers[3], numbers[4]] : numbers;
  if (box[1] > box[3])
    throw new SearchError(`bbox ${JSON.stringify(value)} has its south above its north`);
  return box;
}

function parseList(value: unknown, name: string): string[] {
  const list = typeof value === 'string' ? value.split(',').filter(Boolean) : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
    throw new SearchError(`${name} must be a list of strings`);
  }
  return list;
}

function parseJson(value: unknown, name: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new SearchError(`${name} is not valid JSON`);
  }
}

/**
 * Builds a request from parameters as either transport gives them: strings from a query string
 * (lists comma-separated, objects as JSON) or JSON values from a POST body.
 */
export function parseSearch(params: Record<string, unknown>): SearchRequest {
  const known = new Set([
    'bbox',
    'intersects',
    'datetime',
    'collections',
    'ids',
    'limit',
    'query',
    'filter',
    'filter-lang',
    'token',
    'fields',
    'sortby',
  ]);
  const unknown = Object.keys(params).filter((k) => !known.has(k));
  if (unknown.length) throw new SearchError(`unknown search parameter(s): ${unknown.join(', ')}`);
  if (params.sortby !== undefined)
    throw new SearchError('sortby is not supported; results come by datetime, then id');
  const request: SearchRequest = { limit: DEFAULT_LIMIT, predicates: [], offset: 0 };
  if (params.bbox !== undefined && params.intersects !== undefined) {
    throw new SearchError('give bbox or intersects, not both');
  }
  if (params.bbox !== undefined) request.bbox = parseBbox(params.bbox);
  if (params.intersects !== undefined) {
    try {
      request.intersects = shapeOf(parseJson(params.intersects, 'intersects'));
    } catch (error) {
      if (error instanceof GeometryError) throw new SearchError(`intersects: ${error.message}`);
      throw error;
    }
  }
  if (params.datetime !== undefined) {
    if (typeof params.datetime !== 'string') throw new SearchError('datetime must be a string');
    request.datetime = parseDatetime(params.datetime);
  }
  if (params.collections !== undefined)
    request.collections = parseList(params.collections, 'collections');
  if (params.ids !== undefined) request.ids = parseList(params.ids, 'ids');
  if (params.limit !== undefined) {
    const limit = Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new SearchError(`limit ${JSON.stringify(params.limit)} must be a positive integer`);
    request.limit = Math.min(limit, MAX_LIMIT);
  }
  try {
    if (params.query !== undefined)
      request.predicates.push(queryPredicate(parseJson(params.query, 'query')));
    if (params.filter !== undefined) {
      const lang = params['filter-lang'] ?? 'cql2-json';
      if (lang !== 'cql2-json')
        throw new SearchError(`filter-lang "${String(lang)}" is not supported; use cql2-json`);
      request.predicates.push(cql2Predicate(parseJson(params.filter, 'filter')));
    }
  } catch (error) {
    if (error instanceof FilterError) throw new SearchError(error.message);
    throw error;
  }
  if (params.token !== undefined) request.offset = decodeToken(params.token);
  return request;
}

function matches(entry: CatalogEntry, request: SearchRequest): boolean {
  const { item } = entry;
  if (request.ids && !request.ids.includes(item.id)) return false;
  if (request.collections && !request.collections.includes(collectionOf(entry))) return false;
  if (
    request.datetime &&
    (entry.time < request.datetime.start || entry.time > request.datetime.end)
  )
    return false;
  if (request.bbox && !(item.bbox && bboxesIntersect(request.bbox, item.bbox))) return false;
  if (request.intersects) {
    const footprint = item.geometry
      ? shapeOf(item.geometry)
      : item.bbox
        ? bboxShape(item.bbox)
        : null;
    if (!footprint || !shapesIntersect(request.intersects, footprint)) return false;
  }
  return request.predicates.every((predicate) => predicate(item));
}

export interface SearchPage {
  entries: CatalogEntry[];
  matched: number;
  /** Offset of the next page, when there is one. */
  nextOffset: number | null;
}

export function search(catalog: Catalog, request: SearchRequest): SearchPage {
  const all = catalog.entries.filter((entry) => matches(entry, request));
  const entries = all.slice(request.offset, request.offset + request.limit);
  const next = request.offset + entries.length;
  return { entries, matched: all.length, nextOffset: next < all.length ? next : null };
}
