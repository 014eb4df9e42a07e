import {
  CLASSIFICATION_BANDS,
  type DeclaredRasterBand,
  declaredRasterBand,
  describeBandAsset,
  findBandAsset,
  gsdOf,
} from './bands';
import { decideHarmonisation, L2A_SCALE } from './harmonise';
import {
  acquisitionMsOf,
  bboxOf,
  boaOffsetAppliedOf,
  cloudCoverOf,
  datatakeOf,
  epsgOf,
  platformOf,
  processingBaselineOf,
  reprocessingOf,
  tileOfItem,
  updatedAtOf,
} from './item-fields';
import { BAND_IDS, type BandId, type Scene, type SceneBand } from './scene';
import {
  isRecord,
  itemProperties,
  readLinks,
  readRecord,
  readString,
  type StacItemJson,
} from './stac-json';

/**
 * STAC items → Scenes. A bad item is an expected outcome on real catalogues (missing SCL, unknown
 * CRS, a broken datetime): it comes back as a rejection with its reason, never as an exception,
 * so one bad item does not fail a whole week.
 */

/** L2A marks no-data pixels with DN 0 in every band, SCL included. */
const L2A_NODATA = 0;
/** The reflectance band whose declaration decides the scene's harmonisation when present. */
const REFERENCE_BAND: BandId = 'B04';

export interface ItemParseOptions {
  /** Bands the caller needs; an item lacking one of them is rejected. */
  requiredBands: readonly BandId[];
  /**
   * Base for relative asset hrefs, e.g. the folder of a local item file as `file:///…/`.
   * @default the item's `self` link when it is absolute
   */
  baseUrl?: string;
  /**
   * URL schemes an asset may use (`https`, `s3`, …); other assets are rejected. Items of a remote
   * STAC API must not send a worker to `file:///etc/…`. @default any scheme
   */
  assetSchemes?: readonly string[];
}

/** What items from a STAC API over the network may point at: the network, never local files. */
export const REMOTE_ASSET_SCHEMES: readonly string[] = ['https', 'http', 's3'];

export interface RejectedItem {
  id: string;
  reason: string;
}

export type ItemParseResult = { ok: true; scene: Scene } | { ok: false; rejected: RejectedItem };

/** Parses a page of items; the rejected ones keep their reason. */
export function scenesFromItems(
  items: readonly unknown[],
  options: ItemParseOptions,
): { scenes: Scene[]; rejected: RejectedItem[] } {
  const scenes: Scene[] = [];
  const rejected: RejectedItem[] = [];
  items.forEach((item, index) => {
    const result = sceneFromItem(item, options, index);
    if (result.ok) scenes.push(result.scene);
    else rejected.push(result.rejected);
  });
  return { scenes, rejected };
}

/** Parses one item; `index` (its place in a page) names items that have no id. */
export function sceneFromItem(
  item: unknown,
  options: ItemParseOptions,
  index?: number,
): ItemParseResult {
  const unnamed = index === undefined ? '(item without id)' : `(item ${index} without id)`;
  if (!isRecord(item)) return reject(unnamed, 'not a JSON object');
  const id = readString(item, 'id');
  if (!id) return reject(unnamed, 'no id');
  const fail = (reason: string): ItemParseResult => reject(id, reason);

  const properties = itemProperties(item);
  const acquiredMs = acquisitionMsOf(item);
  if (acquiredMs === undefined) {
    const stated = properties.datetime ?? properties.start_datetime;
    return fail(
      stated === undefined || stated === null
        ? 'no datetime'
        : `unparseable datetime ${JSON.stringify(stated)} (RFC 3339 expected)`,
    );
  }
  const tile = tileOfItem(item);
  if (!tile) return fail('no MGRS tile in grid:code, mgrs:*, sentinel:* or the id');
  const bboxProblem = absurdBbox(item.bbox);
  if (bboxProblem) return fail(bboxProblem);
  const assets = readRecord(item, 'assets');
  if (!assets) return fail('no assets');

  const baseUrl = options.baseUrl ?? selfLinkOf(item);
  const bands: Partial<Record<BandId, SceneBand>> = {};
  const declared: Partial<Record<BandId, DeclaredRasterBand>> = {};
  const epsgByBand: Partial<Record<BandId, number>> = {};
  for (const band of BAND_IDS) {
    const required = options.requiredBands.includes(band);
    const found = findBandAsset(assets, band);
    if (!found) {
      if (required) return fail(`missing asset ${describeBandAsset(band)}`);
      continue;
    }
    const href = readString(found.asset, 'href');
    const url = href === undefined ? undefined : resolveHref(href, baseUrl);
    if (url === undefined) {
      if (!required) continue;
      return fail(
        href === undefined
          ? `asset ${found.key} has no href`
          : `relative href "${href}" of asset ${found.key} and no usable base URL; pass baseUrl or give the item an absolute self link`,
      );
    }
    const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
    if (options.assetSchemes && !options.assetSchemes.includes(scheme)) {
      if (!required) continue;
      return fail(
        `asset ${found.key} points to ${JSON.stringify(url.slice(0, 100))}, a ${scheme}: URL, which this catalogue's items may not use (only ${options.assetSchemes.join(', ')})`,
      );
    }
    const declaration = declaredRasterBand(found.asset);
    declared[band] = declaration;
    bands[band] = sceneBand(band, url, declaration, gsdOf(found.asset));
    const assetEpsg = epsgOf(found.asset);
    if (assetEpsg !== undefined && required) epsgByBand[band] = assetEpsg;
  }

  const epsg = resolveEpsg(epsgByBand, epsgOf(properties));
  if (typeof epsg === 'string') return fail(epsg);

  const reference = referenceDeclaration(declared, options.requiredBands);
  if (typeof reference === 'string') return fail(reference);

  return {
    ok: true,
    scene: {
      id,
      collection: readString(item, 'collection') ?? '',
      tile,
      acquiredAt: new Date(acquiredMs).toISOString(),
      cloudCover: cloudCoverOf(item) ?? null,
      processingBaseline: processingBaselineOf(properties) ?? null,
      boaOffsetApplied: boaOffsetAppliedOf(properties) ?? null,
      epsg,
      datatake: datatakeOf(item) ?? null,
      platform: platformOf(item) ?? null,
      reprocessing: reprocessingOf(id),
      updatedAt: updatedAtOf(item) ?? null,
      bbox: bboxOf(item) ?? null,
      bands,
      harmonisation: decideHarmonisation(properties, reference),
    },
  };
}

/**
 * Why an item's stated bbox cannot be WGS 84 lon/lat, or undefined when it can (or is absent: the
 * bbox is informative). West may exceed east (an item across the antimeridian), south not north.
 */
function absurdBbox(bbox: unknown): string | undefined {
  if (bbox === undefined || bbox === null) return undefined;
  const shown = JSON.stringify(bbox).slice(0, 120);
  if (!Array.isArray(bbox) || (bbox.length !== 4 && bbox.length !== 6)) {
    return `bbox ${shown} is not 4 or 6 numbers`;
  }
  if (!bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return `bbox ${shown} holds values that are not finite numbers`;
  }
  const half = bbox.length / 2;
  const [west, south, east, north] = [bbox[0], bbox[1], bbox[half], bbox[half + 1]] as number[];
  const lonOk = (lon: number) => lon >= -180 && lon <= 180;
  const latOk = (lat: number) => lat >= -90 && lat <= 90;
  if (!lonOk(west) || !lonOk(east) || !latOk(south) || !latOk(north) || south > north) {
    return `bbox ${shown} is not WGS 84 lon/lat (longitudes in [-180, 180], latitudes in [-90, 90], south ≤ north); the catalogue serves a broken item`;
  }
  return undefined;
}

function reject(id: string, reason: string): ItemParseResult {
  return { ok: false, rejected: { id, reason } };
}

function sceneBand(
  band: BandId,
  href: string,
  declared: DeclaredRasterBand,
  gsd: number | undefined,
): SceneBand {
  const nodata = declared.nodata ?? L2A_NODATA;
  // SCL holds classes; items declare no scale for it and none applies.
  if (CLASSIFICATION_BANDS.has(band)) return { href, scale: 1, offset: 0, nodata, gsd };
  // Undeclared means an item from before raster:bands, hence before baseline 04.00: L2A units, no offset.
  return { href, scale: declared.scale ?? L2A_SCALE, offset: declared.offset ?? 0, nodata, gsd };
}

/** One EPSG for the scene: the required bands' own, else the item's; disagreement is a rejection. */
function resolveEpsg(
  epsgByBand: Partial<Record<BandId, number>>,
  itemEpsg: number | undefined,
): number | string {
  const distinct = [...new Set(Object.values(epsgByBand))];
  if (distinct.length > 1) {
    const list = Object.entries(epsgByBand).map(([band, code]) => `${band} EPSG:${code}`);
    return `bands in different CRS (${list.join(', ')})`;
  }
  const epsg = distinct[0] ?? itemEpsg;
  return epsg ?? 'unknown CRS: no proj:epsg or proj:code on the item or its band assets';
}

/**
 * The declaration the harmonisation decides from: the red band's, else the first required
 * reflectance band's. Required reflectance bands that declare a different scale or offset are a
 * rejection, since one decision covers every band of the scene.
 */
function referenceDeclaration(
  declared: Partial<Record<BandId, DeclaredRasterBand>>,
  requiredBands: readonly BandId[],
): DeclaredRasterBand | null | string {
  const reflectance = requiredBands.filter((band) => !CLASSIFICATION_BANDS.has(band));
  const stating = reflectance.filter(
    (band) => declared[band]?.scale !== undefined || declared[band]?.offset !== undefined,
  );
  const signatures = new Set(stating.map((band) => signature(declared[band]!)));
  if (signatures.size > 1) {
    const list = stating.map((band) => `${band} ${signature(declared[band]!)}`);
    return `reflectance bands declare different scale/offset (${list.join(', ')}); one harmonisation per scene cannot hold`;
  }
  const reference = declared[REFERENCE_BAND] ?? (stating[0] ? declared[stating[0]] : undefined);
  return reference && (reference.scale !== undefined || reference.offset !== undefined)
    ? reference
    : null;
}

function signature(d: DeclaredRasterBand): string {
  return `scale ${d.scale ?? 'none'} offset ${d.offset ?? 'none'}`;
}

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:/i;

function selfLinkOf(item: StacItemJson): string | undefined {
  return readLinks(item).find((link) => link.rel === 'self' && ABSOLUTE_URL.test(link.href))?.href;
}

function resolveHref(href: string, baseUrl: string | undefined): string | undefined {
  if (ABSOLUTE_URL.test(href)) return href;
  if (baseUrl === undefined) return undefined;
  try {
    return new URL(href, baseUrl).href;
  } catch {
    return undefined;
  }
}
