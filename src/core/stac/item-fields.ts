import type { BBox } from '../geo/types';
import { parseInstant } from './datetime';
import {
  isRecord,
  itemProperties,
  readBoolean,
  readNumber,
  readString,
  type StacItemJson,
} from './stac-json';
import { normaliseTile } from './tile';

/**
 * Readers of the Sentinel-2 facts a STAC item states, across the three generations of Earth
 * Search items: v0 (`sentinel:*` fields, asset keys `B04`), v1 `sentinel-2-l2a` (`mgrs:*`,
 * `grid:code`, `s2:*`, asset keys `red`) and v1 `sentinel-2-c1-l2a` (ids `S2B_T38XNF_…_L2A`,
 * `proj:code`). Each reader returns `undefined` when the item does not say.
 */

/** `S2B_33TWL_20230820_0_L2A` (v0/v1) or `S2B_T38XNF_20250422T091553_L2A` (c1). */
const ITEM_ID_PATTERN = /^(S2[A-D])_(T?\d{1,2}[A-Z]{3})_(\d{8})(?:T\d{6})?(?:_(\d+))?_L2A$/;
/** ESA product names: `S2A_MSIL2A_20190524T101031_N0212_R022_T31NBJ_20190524T130304(.SAFE)`. */
const PRODUCT_PATTERN = /^(S2[A-D])_MSIL2A_(\d{8}T\d{6})_N(\d{2})(\d{2})_/;
/** `GS2B_20230820T094549_033710_N05.09`: platform, datatake sensing start, orbit, baseline. */
const DATATAKE_PATTERN = /^G?(S2[A-D])_(\d{8}T\d{6})/;
const BASELINE_PATTERN = /^\d{2}\.\d{2}$/;

/** The MGRS tile: `grid:code`, else `mgrs:*`, else v0 `sentinel:*`, else the id. */
export function tileOfItem(item: StacItemJson): string | undefined {
  const p = itemProperties(item);
  const gridCode = readString(p, 'grid:code');
  if (gridCode) {
    const tile = normaliseTile(gridCode);
    if (tile) return tile;
  }
  for (const prefix of ['mgrs', 'sentinel']) {
    const zone = readNumber(p, `${prefix}:utm_zone`);
    const band = readString(p, `${prefix}:latitude_band`);
    const square = readString(p, `${prefix}:grid_square`);
    if (zone !== undefined && band && square) {
      const tile = normaliseTile(`${zone}${band}${square}`);
      if (tile) return tile;
    }
  }
  const id = readString(item, 'id');
  const match = id ? ITEM_ID_PATTERN.exec(id) : null;
  return match ? normaliseTile(match[2]!) : undefined;
}

/** Acquisition time in milliseconds: `datetime`, else `start_datetime` (STAC allows a null datetime). */
export function acquisitionMsOf(item: StacItemJson): number | undefined {
  const p = itemProperties(item);
  const text = readString(p, 'datetime') ?? readString(p, 'start_datetime');
  return text === undefined ? undefined : parseInstant(text);
}

/** `eo:cloud_cover` in percent. */
export function cloudCoverOf(item: StacItemJson): number | undefined {
  return readNumber(itemProperties(item), 'eo:cloud_cover');
}

/** `NN.NN` from `s2:processing_baseline`, else from the ESA product name (`_N0212_` → `02.12`). */
export function processingBaselineOf(properties: Record<string, unknown>): string | undefined {
  const stated = readString(properties, 's2:processing_baseline');
  if (stated && BASELINE_PATTERN.test(stated)) return stated;
  const product = productNameOf(properties);
  const match = product ? PRODUCT_PATTERN.exec(product) : null;
  return match ? `${match[3]}.${match[4]}` : undefined;
}

/** `earthsearch:boa_offset_applied`, only when it is a real boolean. */
export function boaOffsetAppliedOf(properties: Record<string, unknown>): boolean | undefined {
  return readBoolean(properties, 'earthsearch:boa_offset_applied');
}

/**
 * The datatake as platform and sensing start (`S2B_20230820T094549`), from `s2:datatake_id` or the
 * product name. The baseline suffix of `s2:datatake_id` is dropped on purpose: a reprocessing
 * under a new baseline is still the same datatake.
 */
export function datatakeOf(item: StacItemJson): string | undefined {
  const p = itemProperties(item);
  const datatakeId = readString(p, 's2:datatake_id');
  const fromId = datatakeId ? DATATAKE_PATTERN.exec(datatakeId) : null;
  if (fromId) return `${fromId[1]}_${fromId[2]}`;
  const product = productNameOf(p);
  const fromProduct = product ? PRODUCT_PATTERN.exec(product) : null;
  return fromProduct ? `${fromProduct[1]}_${fromProduct[2]}` : undefined;
}

/** `sentinel-2a` from `platform`, else from the id prefix. */
export function platformOf(item: StacItemJson): string | undefined {
  const stated = readString(itemProperties(item), 'platform');
  if (stated) return stated.toLowerCase();
  const id = readString(item, 'id');
  const match = id ? /^S2([A-D])_/.exec(id) : null;
  return match ? `sentinel-2${match[1]!.toLowerCase()}` : undefined;
}

/** The reprocessing counter of v0/v1 ids (`_1_L2A` → 1); ids without one (c1) count as 0. */
export function reprocessingOf(id: string): number {
  const match = /_(\d+)_L2A$/.exec(id);
  return match ? Number(match[1]) : 0;
}

/** `updated`, else `created`, as ISO 8601 UTC. */
export function updatedAtOf(item: StacItemJson): string | undefined {
  const p = itemProperties(item);
  for (const key of ['updated', 'created']) {
    const text = readString(p, key);
    const ms = text === undefined ? undefined : parseInstant(text);
    if (ms !== undefined) return new Date(ms).toISOString();
  }
  return undefined;
}

/** The item's 2D bbox (a 3D one loses its heights). */
export function bboxOf(item: StacItemJson): BBox | undefined {
  const bbox = item.bbox;
  if (!Array.isArray(bbox) || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return undefined;
  }
  if (bbox.length === 4) return [bbox[0], bbox[1], bbox[2], bbox[3]];
  if (bbox.length === 6) return [bbox[0], bbox[1], bbox[3], bbox[4]];
  return undefined;
}

/**
 * The EPSG code a record (item properties or asset) states: `proj:epsg` (projection v1) or
 * `proj:code` `EPSG:n` (projection v2). Other authorities count as unknown.
 */
export function epsgOf(record: unknown): number | undefined {
  if (!isRecord(record)) return undefined;
  const epsg = readNumber(record, 'proj:epsg');
  if (epsg !== undefined && Number.isInteger(epsg) && epsg > 0) return epsg;
  const code = readString(record, 'proj:code');
  const match = code ? /^EPSG:(\d+)$/i.exec(code.trim()) : null;
  return match ? Number(match[1]) : undefined;
}

function productNameOf(properties: Record<string, unknown>): string | undefined {
  return readString(properties, 's2:product_uri') ?? readString(properties, 'sentinel:product_id');
}
