import type { FilterMode } from './search-params';

/**
 * Which filter language a STAC API understands, from the `conformsTo` URIs of its landing page.
 * The version segment (`v1.0.0-rc.2`, `v1.0.0`, ...) varies between servers, so only the stable
 * tail of each URI is matched.
 */

const ITEM_SEARCH_FILTER = /\/item-search#filter$/;
const CQL2_JSON = /\/cql2\/[\d.]+\/conf\/cql2-json$/;
const ITEM_SEARCH_QUERY = /\/item-search#query$/;

/** CQL2-JSON `filter` when declared, else the `query` extension, else filtering on our side. */
export function filterModeFor(conformsTo: readonly string[]): FilterMode {
  const declares = (pattern: RegExp) => conformsTo.some((uri) => pattern.test(uri));
  if (declares(ITEM_SEARCH_FILTER) && declares(CQL2_JSON)) return 'cql2-json';
  if (declares(ITEM_SEARCH_QUERY)) return 'query';
  return 'client';
}
