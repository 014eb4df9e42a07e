import { mapLimit } from '../concurrency';
import { BadDataError } from '../errors';
import { filterModeFor } from './conformance';
import type { AcquisitionWindow } from './datetime';
import { defaultHttpOptions, type HttpOptions, requestJson } from './http';
import {
  type FilterMode,
  mismatchOf,
  type PreparedSearch,
  prepareSearch,
  type SceneSearch,
  searchBody,
  searchQuery,
} from './search-params';
import { isRecord, readLinks, readString, type StacItemJson, type StacLink } from './stac-json';

/**
 * A STAC API Item Search client: POST or GET `/search`, every page through `next` links (GET
 * links, and POST links with `body` and `merge`), filters in the language the server declares, and
 * the same filters re-checked on our side.
 */

/** Earth Search v1, the public Sentinel-2 L2A catalogue on AWS. */
export const EARTH_SEARCH_V1_URL = 'https://earth-search.aws.element84.com/v1';
/** Earth Search v1 L2A COGs; `sentinel-2-c1-l2a` is the reprocessed Collection 1. */
export const DEFAULT_COLLECTION = 'sentinel-2-l2a';
/** Earth Search's own page maximum: fewest round trips. */
export const DEFAULT_PAGE_SIZE = 100;
/** 100 pages of 100 is over 25 years of one tile; beyond it a `next` link is running away. */
export const DEFAULT_MAX_PAGES = 100;
/** Searches at once; Earth Search answers 429 when one client runs many more in parallel. */
export const STAC_SEARCH_CONCURRENCY = 4;

export interface StacClientOptions extends Partial<HttpOptions> {
  /** STAC API root (its landing page). @default EARTH_SEARCH_V1_URL */
  apiUrl?: string;
  /** @default DEFAULT_COLLECTION */
  collection?: string;
  /** @default 'POST' */
  method?: 'GET' | 'POST';
  /** @default DEFAULT_PAGE_SIZE */
  pageSize?: number;
  /** @default DEFAULT_MAX_PAGES */
  maxPages?: number;
  /** @default STAC_SEARCH_CONCURRENCY */
  searchConcurrency?: number;
  /** Skips the conformance check, e.g. for a server that declares what it does not do. */
  filterMode?: FilterMode;
}

export interface SearchResult {
  /** Items that match the search, in server order, each id once. */
  items: StacItemJson[];
  /** Items the server returned that our own check excluded, and why. */
  excluded: { id: string; reason: string }[];
  pages: number;
  filterMode: FilterMode;
}

export interface TileSearchResult extends SearchResult {
  tile: string;
}

interface PageRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export class StacClient {
  readonly apiUrl: string;
  readonly collection: string;
  private readonly method: 'GET' | 'POST';
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly searchConcurrency: number;
  private readonly http: HttpOptions;
  private readonly fixedFilterMode: FilterMode | undefined;
  private landing: Promise<{ searchUrl: string; filterMode: FilterMode }> | undefined;

  constructor(options: StacClientOptions = {}) {
    const {
      apiUrl,
      collection,
      method,
      pageSize,
      maxPages,
      searchConcurrency,
      filterMode,
      ...http
    } = options;
    this.apiUrl = (apiUrl ?? EARTH_SEARCH_V1_URL).replace(/\/+$/, '');
    this.collection = collection ?? DEFAULT_COLLECTION;
    this.method = method ?? 'POST';
    this.pageSize = pageSize ?? DEFAULT_PAGE_SIZE;
    this.maxPages = maxPages ?? DEFAULT_MAX_PAGES;
    this.searchConcurrency = searchConcurrency ?? STAC_SEARCH_CONCURRENCY;
    this.fixedFilterMode = filterMode;
    const defined = Object.fromEntries(Object.entries(http).filter(([, v]) => v !== undefined));
    this.http = { ...defaultHttpOptions(), ...defined };
  }

  /** Every item matching `search`, across all pages. */
  async search(search: SceneSearch, signal?: AbortSignal): Promise<SearchResult> {
    const prepared = prepareSearch(search, { collection: this.collection, limit: this.pageSize });
    const { searchUrl, filterMode } = await this.landingPage(signal);
    let request: PageRequest | undefined = this.firstRequest(searchUrl, prepared, filterMode);
    const visited = new Set<string>();
    const seen = new Set<string>();
    const result: SearchResult = { items: [], excluded: [], pages: 0, filterMode };

    while (request) {
      const key = requestKey(request);
      if (visited.has(key)) {
        throw new BadDataError(
          `STAC API ${request.method} ${request.url}: the next link points back to a page already read (page ${result.pages + 1}); the server's pagination loops — report it to the catalogue`,
          { code: 'STAC_PAGE_LOOP' },
        );
      }
      if (result.pages >= this.maxPages) {
        throw new BadDataError(
          `STAC API ${request.method} ${request.url}: still a next page after ${this.maxPages} pages; narrow the search (window, tile) or raise maxPages if this many items are expected`,
          { code: 'STAC_TOO_MANY_PAGES' },
        );
      }
      visited.add(key);
      const page = await this.fetchPage(request, signal);
      result.pages++;
      for (const item of page.features) {
        if (!isRecord(item)) {
          result.excluded.push({
            id: '(no id)',
            reason: `not a JSON object on page ${result.pages}`,
          });
          continue;
        }
        const id = readString(item, 'id');
        const reason =
          id !== undefined && seen.has(id)
            ? `listed again on page ${result.pages}`
            : mismatchOf(item, prepared);
        if (reason) {
          result.excluded.push({ id: id ?? '(no id)', reason });
          continue;
        }
        if (id !== undefined) seen.add(id);
        result.items.push(item);
      }
      request = page.features.length ? nextRequest(page.links, request) : undefined;
    }
    return result;
  }

  /** The scenes of each tile within `window`, at most `searchConcurrency` searches at once. */
  searchTiles(
    tiles: readonly string[],
    window: string | AcquisitionWindow,
    options: Omit<SceneSearch, 'tile' | 'datetime'> = {},
    signal?: AbortSignal,
  ): Promise<TileSearchResult[]> {
    return mapLimit(tiles, this.searchConcurrency, async (tile) => ({
      tile,
      ...(await this.search({ ...options, tile, datetime: window }, signal)),
    }));
  }

  /** The search URL and filter mode, read from the landing page once per client. */
  private landingPage(signal?: AbortSignal) {
    if (!this.landing) {
      this.landing = this.readLandingPage(signal);
      // A failed read is not cached: the next search tries again.
      this.landing.catch(() => {
        this.landing = undefined;
      });
    }
    return this.landing;
  }

  private async readLandingPage(signal?: AbortSignal) {
    const url = `${this.apiUrl}/`;
    const landing = await requestJson({ method: 'GET', url, signal }, this.http);
    if (!isRecord(landing)) {
      throw new BadDataError(
        `STAC API GET ${url}: the landing page is not a JSON object; check STAC_API_URL points at a STAC API root`,
        { code: 'STAC_BAD_LANDING' },
      );
    }
    const conformsTo = Array.isArray(landing.conformsTo)
      ? landing.conformsTo.filter((uri): uri is string => typeof uri === 'string')
      : [];
    const searchLink = readLinks(landing).find((link) => link.rel === 'search');
    return {
      searchUrl: searchLink ? new URL(searchLink.href, url).href : `${this.apiUrl}/search`,
      filterMode: this.fixedFilterMode ?? filterModeFor(conformsTo),
    };
  }

  private firstRequest(url: string, search: PreparedSearch, mode: FilterMode): PageRequest {
    if (this.method === 'POST') return { method: 'POST', url, body: searchBody(search, mode) };
    return { method: 'GET', url: `${url}?${searchQuery(search, mode)}` };
  }

  private async fetchPage(request: PageRequest, signal?: AbortSignal) {
    const json = await requestJson({ ...request, signal }, this.http);
    if (!isRecord(json) || !Array.isArray(json.features)) {
      const got = isRecord(json) ? `keys ${Object.keys(json).join(', ') || 'none'}` : typeof json;
      throw new BadDataError(
        `STAC API ${request.method} ${request.url}: the answer is not a FeatureCollection with a "features" array (got ${got}); the server is not answering as a STAC Item Search`,
        { code: 'STAC_BAD_PAGE' },
      );
    }
    return { features: json.features as unknown[], links: readLinks(json) };
  }
}

/**
 * The request for the `next` link, per the STAC API: a GET link is followed as is; a POST link
 * sends its `body`, merged into the previous body when `merge` is true. A POST link without a body
 * resends the previous one rather than an empty search.
 */
function nextRequest(links: StacLink[], previous: PageRequest): PageRequest | undefined {
  const next = links.find((link) => link.rel === 'next');
  if (!next) return undefined;
  const url = new URL(next.href, previous.url).href;
  if (next.method !== 'POST') return { method: 'GET', url, headers: next.headers };
  const body =
    next.merge || next.body === undefined
      ? { ...(previous.body ?? {}), ...(next.body ?? {}) }
      : next.body;
  return { method: 'POST', url, body, headers: next.headers };
}

/** Identity of a page request, so a `next` link back to a page already read is noticed. */
function requestKey(request: PageRequest): string {
  return `${request.method} ${request.url} ${request.body ? canonicalJson(request.body) : ''}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
