import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { BadInputError } from '../../src/core/errors';

/**
 * The items the local STAC server answers with: every `items/*.json` of each data directory (the
 * layout the synthetic generator writes), sorted by datetime then id, as search results are.
 */
export interface StacItem {
  type: 'Feature';
  id: string;
  collection?: string;
  geometry: { type: string; coordinates: unknown } | null;
  bbox?: number[];
  properties: Record<string, unknown> & { datetime?: string | null };
  assets: Record<string, { href: string } & Record<string, unknown>>;
  links?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

export interface CatalogEntry {
  item: StacItem;
  /** Acquisition time in ms, for sorting and datetime filters. */
  time: number;
  /** Data directory the item came from. */
  dataDir: string;
  /** Asset key → path below `<dataDir>/cogs/`, for assets that are local COGs. */
  cogPaths: Record<string, string>;
}

export interface Catalog {
  entries: CatalogEntry[];
  byId: Map<string, CatalogEntry>;
  collections: string[];
}

function badItem(path: string, why: string): BadInputError {
  return new BadInputError(`STAC server: item ${path} ${why}; fix or remove the file`, {
    code: 'STAC_SERVER_BAD_ITEM',
  });
}

/** Reads every item of `dataDirs`; an id seen twice is an error (which file should win?). */
export async function loadCatalog(dataDirs: readonly string[]): Promise<Catalog> {
  const entries: CatalogEntry[] = [];
  const byId = new Map<string, CatalogEntry>();
  for (const dir of dataDirs.map((d) => resolve(d))) {
    const itemsDir = join(dir, 'items');
    if (!existsSync(itemsDir)) {
      throw new BadInputError(
        `STAC server: ${dir} has no items/ directory; generate data into it first`,
        {
          code: 'STAC_SERVER_NO_DATA',
        },
      );
    }
    const cogsDir = join(dir, 'cogs');
    for (const name of (await readdir(itemsDir)).filter((n) => n.endsWith('.json')).sort()) {
      const path = join(itemsDir, name);
      let item: StacItem;
      try {
        item = JSON.parse(await readFile(path, 'utf8'));
      } catch (error) {
        throw badItem(path, `is not valid JSON (${(error as Error).message})`);
      }
      if (
        typeof item.id !== 'string' ||
        typeof item.properties !== 'object' ||
        item.properties === null
      ) {
        throw badItem(path, 'lacks an id or properties');
      }
      const time = Date.parse(String(item.properties.datetime ?? item.properties.start_datetime));
      if (Number.isNaN(time)) throw badItem(path, 'has no valid datetime');
      const previous = byId.get(item.id);
      if (previous)
        throw badItem(path, `repeats id ${item.id} already read from ${previous.dataDir}`);
      const cogPaths: Record<string, string> = {};
      for (const [key, asset] of Object.entries(item.assets ?? {})) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(asset.href)) continue;
        const file = resolve(itemsDir, asset.href);
        if (file.startsWith(cogsDir + sep))
          cogPaths[key] = relative(cogsDir, file).split(sep).join('/');
      }
      const entry = { item, time, dataDir: dir, cogPaths };
      entries.push(entry);
      byId.set(item.id, entry);
    }
  }
  entries.sort(
    (a, b) => a.time - b.time || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0),
  );
  const collections = [
    ...new Set(entries.map((e) => e.item.collection ?? DEFAULT_COLLECTION)),
  ].sort();
  return { entries, byId, collections };
}

/** Collection of items that name none. */
export const DEFAULT_COLLECTION = 'sentinel-2-l2a';

export function collectionOf(entry: CatalogEntry): string {
  return entry.item.collection ?? DEFAULT_COLLECTION;
}
