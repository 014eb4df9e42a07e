/**
 * The raw JSON shapes of STAC as they arrive over the wire. Nothing here is trusted: readers narrow
 * `unknown` values and return `undefined` when a field is absent or of the wrong type.
 */

/** A STAC Item as parsed JSON; every field may be missing or malformed. */
export type StacItemJson = Record<string, unknown>;

/** A link object (STAC / OGC API), including the STAC API `method`, `body`, `merge`, `headers`. */
export interface StacLink {
  rel: string;
  href: string;
  type?: string;
  method?: string;
  body?: Record<string, unknown>;
  merge?: boolean;
  headers?: Record<string, string>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readString(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function readNumber(record: Record<string, unknown>, key: string): number | undefined {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function readBoolean(record: Record<string, unknown>, key: string): boolean | undefined {
  const value = record[key];
  return typeof value === 'boolean' ? value : undefined;
}

export function readRecord(
  record: Record<string, unknown>,
  key: string,
): Record<string, unknown> | undefined {
  const value = record[key];
  return isRecord(value) ? value : undefined;
}

/** The item's `properties`, or an empty record when absent. */
export function itemProperties(item: StacItemJson): Record<string, unknown> {
  return readRecord(item, 'properties') ?? {};
}

/** The well-formed links of a STAC object; malformed entries are skipped. */
export function readLinks(record: Record<string, unknown>): StacLink[] {
  const links = record.links;
  if (!Array.isArray(links)) return [];
  const result: StacLink[] = [];
  for (const link of links) {
    if (!isRecord(link)) continue;
    const rel = readString(link, 'rel');
    const href = readString(link, 'href');
    if (!rel || !href) continue;
    const headers = readRecord(link, 'headers');
    result.push({
      rel,
      href,
      type: readString(link, 'type'),
      method: readString(link, 'method')?.toUpperCase(),
      body: readRecord(link, 'body'),
      merge: readBoolean(link, 'merge'),
      headers: headers ? stringValues(headers) : undefined,
    });
  }
  return result;
}

function stringValues(record: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string') result[key] = value;
  }
  return result;
}

/** The item id when it is a non-empty string, for messages about items that fail to parse. */
export function itemIdOf(item: unknown): string | undefined {
  return isRecord(item) ? readString(item, 'id') : undefined;
}
