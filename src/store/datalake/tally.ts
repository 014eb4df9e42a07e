import type { Datalake } from './datalake';
import { ARCHIVE_PREFIX, CLEAN_PREFIX, RAW_PREFIX } from './keys';

/** Objects and bytes under one top-level prefix of the datalake. */
export interface PrefixTally {
  /** `raw/`, `clean/`, `archive/`, any other first segment with its `/`; `''` for keys without one. */
  prefix: string;
  objects: number;
  bytes: number;
}

export interface DatalakeTally {
  url: string;
  /** The layout's prefixes first (listed even when empty), then any other, by name. */
  prefixes: PrefixTally[];
  objects: number;
  bytes: number;
}

/** The prefixes the pipeline writes under, in the order of the layout (see keys.ts). */
const LAYOUT_PREFIXES = [RAW_PREFIX, CLEAN_PREFIX, ARCHIVE_PREFIX];

/**
 * Counts every object of the datalake and its bytes per top-level prefix, in one listing (S3: one
 * request per 1 000 objects, so a large bucket takes a while).
 */
export async function tallyDatalake(lake: Datalake): Promise<DatalakeTally> {
  const byPrefix = new Map<string, PrefixTally>(
    LAYOUT_PREFIXES.map((prefix) => [prefix, { prefix, objects: 0, bytes: 0 }]),
  );
  for await (const object of lake.list('')) {
    const slash = object.key.indexOf('/');
    const prefix = slash < 0 ? '' : object.key.slice(0, slash + 1);
    const tally = byPrefix.get(prefix) ?? { prefix, objects: 0, bytes: 0 };
    tally.objects++;
    tally.bytes += object.size;
    byPrefix.set(prefix, tally);
  }
  const others = [...byPrefix.values()]
    .filter((t) => !LAYOUT_PREFIXES.includes(t.prefix))
    .sort((a, b) => a.prefix.localeCompare(b.prefix));
  const prefixes = [...LAYOUT_PREFIXES.map((p) => byPrefix.get(p)!), ...others];
  return {
    url: lake.url,
    prefixes,
    objects: prefixes.reduce((sum, t) => sum + t.objects, 0),
    bytes: prefixes.reduce((sum, t) => sum + t.bytes, 0),
  };
}
