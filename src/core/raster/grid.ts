/**
 * A north-up raster grid: pixel (col, row) covers
 * [originX + col * pixelWidth, originX + (col + 1) * pixelWidth] ×
 * [originY - (row + 1) * pixelHeight, originY - row * pixelHeight] in the CRS `epsg`.
 */
export interface RasterGrid {
  epsg: number;
  /** World x of the left edge of column 0. */
  originX: number;
  /** World y of the top edge of row 0. */
  originY: number;
  /** Positive pixel size along x, in CRS units. */
  pixelWidth: number;
  /** Positive pixel size along y, in CRS units (rows go south). */
  pixelHeight: number;
  width: number;
  height: number;
}

/** World coordinates of the centre of pixel (col, row). */
export function pixelCentre(grid: RasterGrid, col: number, row: number): [number, number] {
  return [
    grid.originX + (col + 0.5) * grid.pixelWidth,
    grid.originY - (row + 0.5) * grid.pixelHeight,
  ];
}

/** The grid's extent as [minX, minY, maxX, maxY]. */
export function gridBounds(grid: RasterGrid): [number, number, number, number] {
  return [
    grid.originX,
    grid.originY - grid.height * grid.pixelHeight,
    grid.originX + grid.width * grid.pixelWidth,
    grid.originY,
  ];
}

/** GDAL-style geotransform [originX, pixelWidth, 0, originY, 0, -pixelHeight]. */
export function geoTransform(grid: RasterGrid): [number, number, number, number, number, number] {
  return [grid.originX, grid.pixelWidth, 0, grid.originY, 0, -grid.pixelHeight];
}
