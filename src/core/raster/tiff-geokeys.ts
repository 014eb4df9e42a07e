import { BadInputError } from '../errors';
import type { RasterGrid } from './grid';
import { FieldType, type IfdEntry, Tag } from './tiff-ifd';

/**
 * Geographic (lon/lat) EPSG codes we recognise; every other code is written as a projected CRS.
 * Enough for this project (WGS84 and the common ETRS89/NAD83 datums); extend when needed.
 */
const GEOGRAPHIC_EPSG = new Set([4326, 4258, 4269]);

const GeoKey = {
  GTModelType: 1024,
  GTRasterType: 1025,
  GeographicType: 2048,
  GeogAngularUnits: 2054,
  ProjectedCSType: 3072,
  ProjLinearUnits: 3076,
} as const;

const MODEL_TYPE_PROJECTED = 1;
const MODEL_TYPE_GEOGRAPHIC = 2;
const RASTER_PIXEL_IS_AREA = 1;
const EPSG_METRE = 9001;
const EPSG_DEGREE = 9102;
/** GeoKey values are 16-bit SHORTs. */
const MAX_GEOKEY_VALUE = 0xffff;

/** True when `epsg` is a geographic (degrees) CRS rather than a projected one. */
export function isGeographicEpsg(epsg: number): boolean {
  return GEOGRAPHIC_EPSG.has(epsg);
}

/**
 * The GeoTIFF tags that place `grid` on the Earth: pixel scale, the tie point of the top-left
 * corner (PixelIsArea) and a key directory naming the EPSG code.
 */
export function geoTiffEntries(grid: RasterGrid): IfdEntry[] {
  if (!Number.isInteger(grid.epsg) || grid.epsg <= 0 || grid.epsg > MAX_GEOKEY_VALUE) {
    throw new BadInputError(
      `GeoTIFF: EPSG code ${grid.epsg} cannot be stored in a GeoKey (1..65535); reproject to an EPSG CRS`,
      { code: 'COG_BAD_CRS' },
    );
  }
  const geographic = isGeographicEpsg(grid.epsg);
  const keys: Array<[number, number]> = geographic
    ? [
        [GeoKey.GTModelType, MODEL_TYPE_GEOGRAPHIC],
        [GeoKey.GTRasterType, RASTER_PIXEL_IS_AREA],
        [GeoKey.GeographicType, grid.epsg],
        [GeoKey.GeogAngularUnits, EPSG_DEGREE],
      ]
    : [
        [GeoKey.GTModelType, MODEL_TYPE_PROJECTED],
        [GeoKey.GTRasterType, RASTER_PIXEL_IS_AREA],
        [GeoKey.ProjectedCSType, grid.epsg],
        [GeoKey.ProjLinearUnits, EPSG_METRE],
      ];
  // Header: directory version 1, revision 1.0, number of keys; then (key, location 0 = inline, count 1, value).
  const directory = [1, 1, 0, keys.length];
  for (const [key, value] of keys) directory.push(key, 0, 1, value);
  return [
    {
      tag: Tag.ModelPixelScale,
      type: FieldType.DOUBLE,
      values: [grid.pixelWidth, grid.pixelHeight, 0],
    },
    {
      tag: Tag.ModelTiepoint,
      type: FieldType.DOUBLE,
      values: [0, 0, 0, grid.originX, grid.originY, 0],
    },
    { tag: Tag.GeoKeyDirectory, type: FieldType.SHORT, values: directory },
  ];
}
