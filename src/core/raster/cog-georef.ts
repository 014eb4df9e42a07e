/**
 * Georeferencing of a GeoTIFF: its north-up grid from ModelPixelScale + ModelTiepoint or
 * ModelTransformation, and its EPSG code from the GeoKeys. Anything we would misplace is refused.
 */
import { BadDataError } from '../errors';
import type { RasterGrid } from './grid';

/** GeoTIFF's "user-defined" code: the CRS is spelled out in parameters, not an EPSG code. */
const USER_DEFINED = 32767;
/** GTModelTypeGeoKey values. */
const MODEL_PROJECTED = 1;
const MODEL_GEOGRAPHIC = 2;
/** GTRasterTypeGeoKey: tie points refer to pixel centres, not corners. */
const RASTER_PIXEL_IS_POINT = 2;

export interface GeoTags {
  pixelScale?: ArrayLike<number>;
  tiepoint?: ArrayLike<number>;
  transformation?: ArrayLike<number>;
  /** Parsed GeoKeyDirectory, key name → value, or null when the file has none. */
  geoKeys: Record<string, unknown> | null;
}

/** The grid of the full-resolution image; `url` only names the file in errors. */
export function gridFromGeoTags(
  url: string,
  tags: GeoTags,
  width: number,
  height: number,
): RasterGrid {
  const { originX, originY, pixelWidth, pixelHeight } = affineFromTags(url, tags);
  const epsg = epsgFromGeoKeys(url, tags.geoKeys);
  if (
    !(pixelWidth > 0 && pixelHeight > 0) ||
    !Number.isFinite(originX) ||
    !Number.isFinite(originY)
  ) {
    throw new BadDataError(
      `COG ${url}: georeferencing is not north-up (pixel size ${pixelWidth} × ${-pixelHeight}); warp it north-up with gdalwarp`,
      { code: 'COG_NOT_NORTH_UP' },
    );
  }
  // GDAL's convention for PixelIsPoint files: the tie point is a pixel centre, so the grid's
  // corner lies half a pixel up and left of it.
  const pointShift = tags.geoKeys?.GTRasterTypeGeoKey === RASTER_PIXEL_IS_POINT ? 0.5 : 0;
  return {
    epsg,
    originX: originX - pointShift * pixelWidth,
    originY: originY + pointShift * pixelHeight,
    pixelWidth,
    pixelHeight,
    width,
    height,
  };
}

/** An overview covers the full image's extent with fewer, larger pixels. */
export function overviewGrid(full: RasterGrid, width: number, height: number): RasterGrid {
  return {
    ...full,
    pixelWidth: (full.pixelWidth * full.width) / width,
    pixelHeight: (full.pixelHeight * full.height) / height,
    width,
    height,
  };
}

function affineFromTags(url: string, tags: GeoTags) {
  const { pixelScale, tiepoint, transformation } = tags;
  if (transformation && transformation.length >= 16) {
    const [a, b, , c, d, e, , f] = Array.from(transformation);
    if (b !== 0 || d !== 0) {
      throw new BadDataError(
        `COG ${url}: the ModelTransformation is rotated or sheared (terms ${b}, ${d}); warp it north-up with gdalwarp`,
        { code: 'COG_ROTATED' },
      );
    }
    return { originX: c, originY: f, pixelWidth: a, pixelHeight: -e };
  }
  if (pixelScale && pixelScale.length >= 2 && tiepoint && tiepoint.length >= 6) {
    const [i, j, , x, y] = Array.from(tiepoint);
    const [sx, sy] = [pixelScale[0], pixelScale[1]];
    return { originX: x - i * sx, originY: y + j * sy, pixelWidth: sx, pixelHeight: sy };
  }
  throw new BadDataError(
    `COG ${url}: has no georeferencing (neither ModelPixelScale + ModelTiepoint nor ModelTransformation); assign it with gdal_translate -a_srs … -a_ullr …`,
    { code: 'COG_NO_GEOREFERENCING' },
  );
}

/** The CRS as an EPSG code, from ProjectedCSTypeGeoKey or GeographicTypeGeoKey. */
export function epsgFromGeoKeys(url: string, geoKeys: Record<string, unknown> | null): number {
  const model = geoKeys?.GTModelTypeGeoKey;
  const projected = geoKeys?.ProjectedCSTypeGeoKey;
  const geographic = geoKeys?.GeographicTypeGeoKey;
  const candidate =
    model === MODEL_GEOGRAPHIC
      ? geographic
      : model === MODEL_PROJECTED
        ? projected
        : (projected ?? geographic);
  if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate > 0) {
    if (candidate !== USER_DEFINED) return candidate;
  }
  const found =
    geoKeys === null
      ? 'no GeoKeys'
      : candidate === USER_DEFINED
        ? 'a user-defined CRS (code 32767)'
        : 'no ProjectedCSTypeGeoKey or GeographicTypeGeoKey';
  throw new BadDataError(
    `COG ${url}: unknown CRS (${found}); reproject to an EPSG CRS with gdalwarp -t_srs EPSG:<code>`,
    { code: 'COG_UNKNOWN_CRS' },
  );
}
