import type { BandId } from './scene';
import { isRecord, readNumber, readString } from './stac-json';

/**
 * Finding a band's asset in an item and reading what `raster:bands` declares about it. Earth Search
 * v1 keys assets by common name (`red`, `nir08`, `scl`), v0 by ESA band id (`B04`, `SCL`), and
 * other catalogues may use any key but name the band in `eo:bands` / `bands`.
 */

/** Earth Search v1 asset keys (`sentinel-2-l2a` and `sentinel-2-c1-l2a`) of each ESA band. */
export const EARTH_SEARCH_ASSET_KEYS: Readonly<Record<BandId, string>> = {
  B01: 'coastal',
  B02: 'blue',
  B03: 'green',
  B04: 'red',
  B05: 'rededge1',
  B06: 'rededge2',
  B07: 'rededge3',
  B08: 'nir',
  B8A: 'nir08',
  B09: 'nir09',
  B11: 'swir16',
  B12: 'swir22',
  SCL: 'scl',
};

/** Bands holding a classification, not reflectance: no scale, no offset. */
export const CLASSIFICATION_BANDS: ReadonlySet<BandId> = new Set<BandId>(['SCL']);

export interface FoundAsset {
  key: string;
  asset: Record<string, unknown>;
}

/**
 * The asset of `band`: key = ESA id (`B04`), else the Earth Search key (`red`), else any
 * single-band, non-JPEG2000 asset whose band entry is named after the ESA id.
 */
export function findBandAsset(
  assets: Record<string, unknown>,
  band: BandId,
): FoundAsset | undefined {
  for (const key of [band, EARTH_SEARCH_ASSET_KEYS[band]]) {
    const asset = assets[key];
    if (isRecord(asset)) return { key, asset };
  }
  for (const [key, asset] of Object.entries(assets)) {
    if (!isRecord(asset) || isJpeg2000(key, asset)) continue;
    const names = bandEntries(asset).map((entry) => readString(entry, 'name'));
    if (names.length === 1 && names[0]?.toUpperCase() === band) return { key, asset };
  }
  return undefined;
}

/** How to describe the asset `findBandAsset` looks for, in rejection reasons: `SCL (scl)`. */
export function describeBandAsset(band: BandId): string {
  return `${band} (${EARTH_SEARCH_ASSET_KEYS[band]})`;
}

/** What an asset declares about its one band's DN; every field may be absent. */
export interface DeclaredRasterBand {
  scale?: number;
  offset?: number;
  nodata?: number;
  /** Resolution of the band in metres. */
  spatialResolution?: number;
}

/**
 * The declaration of the asset's first band: `raster:bands[0]` (raster v1), else `bands[0]` with
 * `raster:scale` / `raster:offset` (STAC 1.1), else the same fields on the asset itself.
 */
export function declaredRasterBand(asset: Record<string, unknown>): DeclaredRasterBand {
  const rasterBands = asset['raster:bands'];
  if (Array.isArray(rasterBands) && isRecord(rasterBands[0])) {
    const band = rasterBands[0];
    return {
      scale: readNumber(band, 'scale'),
      offset: readNumber(band, 'offset'),
      nodata: readNumber(band, 'nodata'),
      spatialResolution: readNumber(band, 'spatial_resolution'),
    };
  }
  const bands = asset.bands;
  const sources =
    Array.isArray(bands) && isRecord(bands[0])
      ? [bands[0] as Record<string, unknown>, asset]
      : [asset];
  const pick = (key: string) => {
    for (const source of sources) {
      const value = readNumber(source, key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  return {
    scale: pick('raster:scale'),
    offset: pick('raster:offset'),
    nodata: pick('nodata'),
    spatialResolution: pick('raster:spatial_resolution'),
  };
}

/** Nominal ground sample distance: asset `gsd`, else the declared resolution. */
export function gsdOf(asset: Record<string, unknown>): number | undefined {
  return readNumber(asset, 'gsd') ?? declaredRasterBand(asset).spatialResolution;
}

function bandEntries(asset: Record<string, unknown>): Record<string, unknown>[] {
  const entries = asset['eo:bands'] ?? asset.bands;
  return Array.isArray(entries) ? entries.filter(isRecord) : [];
}

function isJpeg2000(key: string, asset: Record<string, unknown>): boolean {
  return key.endsWith('-jp2') || readString(asset, 'type') === 'image/jp2';
}
