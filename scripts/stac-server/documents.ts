import { type Catalog, type CatalogEntry, collectionOf, type StacItem } from './catalog';
import { type SearchRequest, search } from './search';

/** The JSON documents of the STAC API, with links and asset hrefs absolute on `base`. */

export const GEOJSON = 'application/geo+json';
export const JSON_TYPE = 'application/json';
const CATALOG_ID = 'parcelwatch-local-stac';

export const CONFORMANCE = [
  'https://api.stacspec.org/v1.0.0/core',
  'https://api.stacspec.org/v1.0.0/collections',
  'https://api.stacspec.org/v1.0.0/ogcapi-features',
  'https://api.stacspec.org/v1.0.0/item-search',
  'https://api.stacspec.org/v1.0.0-rc.1/item-search#query',
  'https://api.stacspec.org/v1.0.0-rc.2/item-search#filter',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter',
  'http://www.opengis.net/spec/cql2/1.0/conf/cql2-json',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2',
];

export function link(
  rel: string,
  href: string,
  type = JSON_TYPE,
  extra: Record<string, unknown> = {},
) {
  return { rel, href, type, ...extra };
}

export class StacDocuments {
  constructor(
    private readonly base: string,
    private readonly catalog: Catalog,
    private readonly dataDirs: readonly string[],
  ) {}

  landing() {
    const { base } = this;
    return {
      type: 'Catalog',
      stac_version: '1.0.0',
      id: CATALOG_ID,
      title: 'parcelwatch local STAC API',
      description: 'Synthetic Sentinel-2 L2A scenes for tests and the demo',
      conformsTo: CONFORMANCE,
      links: [
        link('self', `${base}/`),
        link('root', `${base}/`),
        link('conformance', `${base}/conformance`),
        link('data', `${base}/collections`),
        link('search', `${base}/search`, GEOJSON, { method: 'GET' }),
        link('search', `${base}/search`, GEOJSON, { method: 'POST' }),
        ...this.catalog.collections.map((id) => link('child', `${base}/collections/${id}`)),
      ],
    };
  }

  collections() {
    const { base } = this;
    return {
      collections: this.catalog.collections.map((id) => this.collection(id)),
      links: [link('self', `${base}/collections`), link('root', `${base}/`)],
    };
  }

  /** A collection with the extent of its items (the catalog holds no collection files). */
  collection(id: string) {
    const { base } = this;
    const entries = this.catalog.entries.filter((e) => collectionOf(e) === id);
    const boxes = entries.map((e) => e.item.bbox).filter((b): b is number[] => Array.isArray(b));
    const spatial = boxes.length
      ? [
          [
            Math.min(...boxes.map((b) => b[0])),
            Math.min(...boxes.map((b) => b[1])),
            Math.max(...boxes.map((b) => b[2])),
            Math.max(...boxes.map((b) => b[3])),
          ],
        ]
      : [[-180, -90, 180, 90]];
    const times = entries.map((e) => new Date(e.time).toISOString());
    return {
      type: 'Collection',
      stac_version: '1.0.0',
      id,
      title: id === 'sentinel-2-l2a' ? 'Sentinel-2 Level 2A (local)' : id,
      description: `Items of ${id} served from ${this.dataDirs.join(', ')}`,
      license: 'proprietary',
      extent: {
        spatial: { bbox: spatial },
        temporal: { interval: [[times[0] ?? null, times.at(-1) ?? null]] },
      },
      links: [
        link('self', `${base}/collections/${id}`),
        link('root', `${base}/`),
        link('parent', `${base}/`),
        link('items', `${base}/collections/${id}/items`, GEOJSON),
      ],
    };
  }

  /** The item as served: local COG hrefs point at this server's /cogs/, links at its endpoints. */
  item(entry: CatalogEntry): StacItem {
    const { base } = this;
    const item = structuredClone(entry.item);
    const collection = collectionOf(entry);
    item.collection = collection;
    for (const [key, path] of Object.entries(entry.cogPaths)) {
      item.assets[key].href = `${base}/cogs/${path.split('/').map(encodeURIComponent).join('/')}`;
    }
    const own = new Set(['self', 'parent', 'collection', 'root']);
    item.links = [
      link(
        'self',
        `${base}/collections/${collection}/items/${encodeURIComponent(item.id)}`,
        GEOJSON,
      ),
      link('parent', `${base}/collections/${collection}`),
      link('collection', `${base}/collections/${collection}`),
      link('root', `${base}/`),
      ...(item.links ?? []).filter((l) => !own.has(String(l.rel))),
    ];
    return item;
  }

  /** One page of search results; `next` describes how to ask for the page after. */
  results(request: SearchRequest, next: (offset: number) => Record<string, unknown>, self: string) {
    const page = search(this.catalog, request);
    return {
      type: 'FeatureCollection',
      features: page.entries.map((entry) => this.item(entry)),
      links: [
        link('self', self, GEOJSON),
        link('root', `${this.base}/`),
        ...(page.nextOffset === null
          ? []
          : [{ rel: 'next', type: GEOJSON, ...next(page.nextOffset) }]),
      ],
      numberMatched: page.matched,
      numberReturned: page.entries.length,
      context: { limit: request.limit, matched: page.matched, returned: page.entries.length },
    };
  }
}
