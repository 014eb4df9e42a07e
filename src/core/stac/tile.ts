/**
 * Sentinel-2 tile ids: the 100 km MGRS squares (`33TWL`) ESA cuts the L2A products into. Providers
 * spell them several ways (`33TWL`, `T33TWL`, `MGRS-33TWL`, `1CCV` or `01CCV`); everything inside
 * parcelwatch uses one form, the ESA one: zone padded to two digits, upper case, no prefix.
 */

/** Zone 1–60, latitude band C–X without I and O, 100 km square column A–Z and row A–V without I and O. */
const TILE_PATTERN = /^(?:MGRS-)?T?(\d{1,2})([C-HJ-NP-X])([A-HJ-NP-Z][A-HJ-NP-V])$/i;

/** `33TWL` from any common spelling, or `undefined` when `text` is not an MGRS tile id. */
export function normaliseTile(text: string): string | undefined {
  const match = TILE_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const zone = Number(match[1]);
  if (zone < 1 || zone > 60) return undefined;
  return `${String(zone).padStart(2, '0')}${match[2]}${match[3]}`.toUpperCase();
}

/** The UTM zone of a normalised tile id (`33TWL` → 33). */
export function tileZone(tile: string): number {
  return Number(tile.slice(0, 2));
}

/**
 * The `grid:code` values a server may store for `tile`. Zones below 10 are written both padded
 * (ESA, `sentinel-2-c1-l2a`) and unpadded (S3 paths of `sentinel-2-l2a`), so a search asks for both.
 */
export function gridCodesOf(tile: string): string[] {
  const zone = tileZone(tile);
  const rest = tile.slice(2);
  const codes = [`MGRS-${tile}`];
  if (zone < 10) codes.push(`MGRS-${zone}${rest}`);
  return codes;
}
