import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StacItemJson } from '../../../src/core/stac/stac-json';

import { FIXTURES } from '../../helpers/fixtures';

export const EARTH_SEARCH_ITEMS = path.join(FIXTURES, 'earth-search-v1/items');
export const ITEM_29RKH_DIR = path.join(FIXTURES, 's2-l2a-29RKH-20200219');

export interface FixtureItem {
  file: string;
  item: StacItemJson;
  /** The item's folder as a file:// URL with a trailing slash, for relative hrefs. */
  baseUrl: string;
}

/** Every fixture item, 11 Earth Search ones then the 29RKH one. */
export function fixtureItems(): FixtureItem[] {
  const dirs = [EARTH_SEARCH_ITEMS, ITEM_29RKH_DIR];
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => ({
        file: name,
        item: JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as StacItemJson,
        baseUrl: pathToFileURL(`${dir}/`).href,
      })),
  );
}

/** One fixture item by id (a fresh copy each call, safe to mutate). */
export function fixtureItem(id: string): FixtureItem {
  const found = fixtureItems().find((f) => f.file === `${id}.json`);
  if (!found) throw new Error(`no fixture item ${id}`);
  return found;
}

/** A deep copy of a JSON value. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
