import { BadInputError } from '../../src/core/errors';
import type { BBox } from '../../src/core/geo/types';
import type { RasterGrid } from '../../src/core/raster/grid';

/**
 * The real Sentinel-2 MGRS tiles the synthetic scenes use (those of the Earth Search fixtures):
 * 10980 × 10980 px at 10 m in UTM 33N, overlapping in y ∈ [5090220, 5100000].
 */
export interface MgrsTile {
  id: string;
  epsg: number;
  utmZone: number;
  latitudeBand: string;
  gridSquare: string;
  /** Upper-left corner of the tile. */
  originX: number;
  originY: number;
  /** Seconds after the datatake's first item that this tile is sensed (north is sensed first). */
  sensingOffsetSeconds: number;
}

export const TILE_PIXELS = 10980;
export const TILE_METRES = TILE_PIXELS * 10;
/** All bands sit on this lattice (the 20 m bands' pixel), shared by both tiles. */
export const LATTICE_METRES = 20;

export const MGRS_TILES: Record<string, MgrsTile> = {
  '33TWL': {
    id: '33TWL',
    epsg: 32633,
    utmZone: 33,
    latitudeBand: 'T',
    gridSquare: 'WL',
    originX: 499980,
    originY: 5100000,
    sensingOffsetSeconds: 6,
  },
  '33TWM': {
    id: '33TWM',
    epsg: 32633,
    utmZone: 33,
    latitudeBand: 'T',
    gridSquare: 'WM',
    originX: 499980,
    originY: 5200020,
    sensingOffsetSeconds: 0,
  },
};

/** The CRS every synthetic geometry is built in before conversion to WGS84. */
export const REGION_EPSG = 32633;
export const UTM33_PROJ4 = '+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs +type=crs';

export function mgrsTile(id: string): MgrsTile {
  const tile = MGRS_TILES[id];
  if (!tile) {
    throw new BadInputError(
      `Synthetic data: tile "${id}" is not known; use one of ${Object.keys(MGRS_TILES).join(', ')}`,
      { code: 'SYNTHETIC_BAD_TILE' },
    );
  }
  return tile;
}

export function tileBounds(tile: MgrsTile): BBox {
  return [tile.originX, tile.originY - TILE_METRES, tile.originX + TILE_METRES, tile.originY];
}

/**
 * The part of `region` a tile's COGs cover: region ∩ tile, widened to the tile's 20 m lattice
 * (so 10 m and 20 m pixels share edges as in real data), or null when they do not meet.
 */
export function tileCoverage(tile: MgrsTile, region: BBox): BBox | null {
  const [tx0, ty0, tx1, ty1] = tileBounds(tile);
  const minX = Math.max(region[0], tx0);
  const minY = Math.max(region[1], ty0);
  const maxX = Math.min(region[2], tx1);
  const maxY = Math.min(region[3], ty1);
  if (minX >= maxX || minY >= maxY) return null;
  const snapDown = (v: number) => Math.floor(v / LATTICE_METRES) * LATTICE_METRES;
  const snapUp = (v: number) => Math.ceil(v / LATTICE_METRES) * LATTICE_METRES;
  return [snapDown(minX), snapDown(minY), snapUp(maxX), snapUp(maxY)];
}

/** The raster grid of a coverage at `pixel` metres. */
export function coverageGrid(coverage: BBox, pixel: number): RasterGrid {
  return {
    epsg: REGION_EPSG,
    originX: coverage[0],
    originY: coverage[3],
    pixelWidth: pixel,
    pixelHeight: pixel,
    width: Math.round((coverage[2] - coverage[0]) / pixel),
    height: Math.round((coverage[3] - coverage[1]) / pixel),
  };
}
