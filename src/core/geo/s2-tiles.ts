import { BadInputError } from '../errors';
import type { RasterGrid } from '../raster/grid';
import { crsTransform } from './crs';
import { bboxesIntersect, geometryBBox, pointInGeometry, polygonsOf } from './geometry';
import {
  bandLatitudes,
  cellBoundaryUtm,
  centralMeridian,
  type GridZoneCell,
  gridZoneCell,
  isSouthernBand,
  MGRS_MAX_LAT,
  MGRS_MIN_LAT,
  type MgrsSquare,
  parseSquareId,
  SQUARE_METRES,
  squareIdAt,
  squareIdOfPoint,
  unwrapLongitude,
  utmRectToLonLat,
} from './mgrs-squares';
import type { BBox, ParcelGeometry, Polygon, Position, Ring } from './types';

/**
 * The Sentinel-2 tiling grid: one 109.8 km tile per MGRS 100 km square, in the square's UTM zone,
 * reaching about 9.8 km past the square's east and south edges (and past its zone's edge).
 *
 * Tile origins: every real tile seen so far (33TWL, 33TWM, 29RKH, 31NBJ; see s2-tiles.test.ts) has
 * its upper-left corner at the square's west edge rounded down and its north edge rounded up to a
 * multiple of 60 m, the 60 m bands' pixel, so 10, 20 and 60 m pixels share corners. That gives
 * −20 m in x for squares at 200/500/800 km and 0 m at 300/600 km; +0 or +20 m in y. Use this grid to
 * plan only; real georeferencing always comes from the COG.
 */

export const S2_PIXEL_METRES = 10;
export const S2_TILE_PIXELS = 10_980;
const S2_TILE_METRES = S2_PIXEL_METRES * S2_TILE_PIXELS;
/** Tile corners sit on the 60 m bands' pixel lattice (inferred from real tiles, see above). */
const S2_ORIGIN_LATTICE_METRES = 60;
/** How far (m) a tile can reach from its grid zone cell: a whole square past the cell plus the overlap. */
const TILE_REACH_METRES = SQUARE_METRES + S2_TILE_METRES;
const METRES_PER_DEGREE_LAT = 111_320;

export interface S2Tile extends MgrsSquare {
  /** The tile's 10 m grid (10980 × 10980, EPSG 326zz or 327zz). */
  grid: RasterGrid;
  /** The tile's extent in its UTM CRS: [minX, minY, maxX, maxY]. */
  bboxUtm: BBox;
}

const tiles = new Map<string, S2Tile>();

/** The Sentinel-2 tile with this id (`33TWL` or `T33TWL`). */
export function s2Tile(id: string): S2Tile {
  const square = parseSquareId(id);
  let tile = tiles.get(square.id);
  if (!tile) {
    const lattice = S2_ORIGIN_LATTICE_METRES;
    const originX = Math.floor(square.west / lattice) * lattice;
    const originY = Math.ceil((square.southEdge + SQUARE_METRES) / lattice) * lattice;
    tile = {
      ...square,
      grid: {
        epsg: square.epsg,
        originX,
        originY,
        pixelWidth: S2_PIXEL_METRES,
        pixelHeight: S2_PIXEL_METRES,
        width: S2_TILE_PIXELS,
        height: S2_TILE_PIXELS,
      },
      bboxUtm: [originX, originY - S2_TILE_METRES, originX + S2_TILE_METRES, originY],
    };
    tiles.set(square.id, tile);
  }
  return tile;
}

/** The tile whose 100 km square holds the lon/lat point (the MGRS id at 100 km precision). */
export function tileIdOfPoint(lon: number, lat: number): string {
  return squareIdOfPoint(lon, lat);
}

/** The tile's 10 m grid. */
export function tileGrid(id: string): RasterGrid {
  return s2Tile(id).grid;
}

/** The tile's footprint in its UTM CRS (a rectangle, counter-clockwise). */
export function tileFootprintUtm(id: string): Polygon {
  const [minX, minY, maxX, maxY] = s2Tile(id).bboxUtm;
  return {
    type: 'Polygon',
    coordinates: [
      [
        [minX, minY],
        [maxX, minY],
        [maxX, maxY],
        [minX, maxY],
        [minX, minY],
      ],
    ],
  };
}

/** The tile's footprint in WGS 84 lon/lat, edges densified so the curved outline is kept. */
export function tileFootprintWgs84(id: string): Polygon {
  return { type: 'Polygon', coordinates: [footprintRing(s2Tile(id))] };
}

const footprintRings = new Map<string, Ring>();

function footprintRing(tile: S2Tile): Ring {
  let ring = footprintRings.get(tile.id);
  if (!ring) {
    ring = utmRectToLonLat(tile.zone, tile.south, tile.bboxUtm);
    footprintRings.set(tile.id, ring);
  }
  return ring;
}

/** True when every position of the lon/lat geometry lies in the tile's footprint (edges included). */
export function tileContains(id: string, geometryWgs84: ParcelGeometry): boolean {
  const tile = s2Tile(id);
  const toUtm = crsTransform(4326, tile.epsg);
  const [minX, minY, maxX, maxY] = tile.bboxUtm;
  for (const polygon of polygonsOf(geometryWgs84)) {
    for (const ring of polygon) {
      for (const [lon, lat] of ring) {
        const [x, y] = toUtm(lon, lat);
        if (!(x >= minX && x <= maxX && y >= minY && y <= maxY)) return false;
      }
    }
  }
  return true;
}

/** The tiles whose footprint contains the lon/lat geometry whole, sorted by id. */
export function tilesContaining(geometryWgs84: ParcelGeometry): string[] {
  return tilesOfBBox(geometryBBox(geometryWgs84)).filter((id) => tileContains(id, geometryWgs84));
}

/**
 * Every tile whose footprint intersects the lon/lat box [west, south, east, north] (west > east
 * crosses the antimeridian), sorted by id — what a STAC search by tile needs. Tiles exist for
 * squares that intersect their grid zone cell; the list may name tiles over open sea that ESA never
 * produces, which a search simply finds empty.
 */
export function tilesOfBBox(bbox: BBox): string[] {
  const [west, south, east, north] = bbox;
  if (![west, south, east, north].every(Number.isFinite) || south > north) {
    throw new BadInputError(
      `bbox [${bbox.join(', ')}] is not a lon/lat box [west, south, east, north]`,
      { code: 'BBOX_INVALID' },
    );
  }
  if (west > east) {
    return [
      ...new Set([
        ...tilesOfBBox([west, south, 180, north]),
        ...tilesOfBBox([-180, south, east, north]),
      ]),
    ].sort();
  }
  const reachLat = TILE_REACH_METRES / METRES_PER_DEGREE_LAT;
  const lowLat = Math.max(MGRS_MIN_LAT, south - reachLat);
  const highLat = Math.min(MGRS_MAX_LAT, north + reachLat);
  const widestLat = Math.min(Math.max(Math.abs(lowLat), Math.abs(highLat)), 85);
  const reachLon = Math.min(180, reachLat / Math.cos((widestLat * Math.PI) / 180));
  const near = withWrappedCopies([west - reachLon, lowLat, east + reachLon, highLat]);
  const boxes = withWrappedCopies(bbox);
  const found = new Set<string>();
  for (const band of 'CDEFGHJKLMNPQRSTUVWX') {
    const [s, n] = bandLatitudes(band);
    if (n < lowLat || s > highLat) continue;
    for (let zone = 1; zone <= 60; zone++) {
      const cell = gridZoneCell(zone, band);
      if (!cell || !near.some((box) => bboxesIntersect(box, cell.bbox))) continue;
      for (const tile of tilesOfCell(cell)) {
        const ring = footprintRing(tile);
        const ringBox = ringBBox(ring);
        if (boxes.some((box) => bboxesIntersect(ringBox, box) && ringIntersectsBBox(ring, box))) {
          found.add(tile.id);
        }
      }
    }
  }
  return [...found].sort();
}

/** The box and its copies 360° east and west, so longitudes past ±180° still meet. */
function withWrappedCopies([west, south, east, north]: BBox): BBox[] {
  return [-360, 0, 360].map((shift): BBox => [west + shift, south, east + shift, north]);
}

const cellTiles = new Map<string, S2Tile[]>();

/** Every tile whose 100 km square intersects the cell. */
function tilesOfCell(cell: GridZoneCell): S2Tile[] {
  const key = `${cell.zone}${cell.band}`;
  let out = cellTiles.get(key);
  if (out) return out;
  out = [];
  const south = isSouthernBand(cell.band);
  const boundary = cellBoundaryUtm(cell, south);
  const xs = boundary.map((p) => p[0]);
  const ys = boundary.map((p) => p[1]);
  // Squares starting at or past the cell's far edge only touch it (the equator, for one).
  const firstColumn = Math.max(1, Math.floor(Math.min(...xs) / SQUARE_METRES));
  const lastColumn = Math.min(8, Math.ceil(Math.max(...xs) / SQUARE_METRES) - 1);
  const firstRow = Math.floor(Math.min(...ys) / SQUARE_METRES);
  const lastRow = Math.ceil(Math.max(...ys) / SQUARE_METRES) - 1;
  const cm = centralMeridian(cell.zone);
  for (let column = firstColumn; column <= lastColumn; column++) {
    for (let row = firstRow; row <= lastRow; row++) {
      const west = column * SQUARE_METRES;
      const southEdge = row * SQUARE_METRES;
      const square = utmRectToLonLat(cell.zone, south, [
        west,
        southEdge,
        west + SQUARE_METRES,
        southEdge + SQUARE_METRES,
      ]);
      const cellBox: BBox = [unwrapLongitude(cell.bbox[0], cm), cell.bbox[1], 0, cell.bbox[3]];
      cellBox[2] = cellBox[0] + (cell.bbox[2] - cell.bbox[0]);
      if (ringIntersectsBBox(square, cellBox)) {
        out.push(s2Tile(squareIdAt(cell.zone, cell.band, west + 1, southEdge + 1)));
      }
    }
  }
  cellTiles.set(key, out);
  return out;
}

function ringBBox(ring: Ring): BBox {
  return geometryBBox({ type: 'Polygon', coordinates: [ring] });
}

/** True when a closed ring (as a filled polygon) and a box share a point. */
function ringIntersectsBBox(ring: Ring, box: BBox): boolean {
  const [minX, minY, maxX, maxY] = box;
  for (const [x, y] of ring) if (x >= minX && x <= maxX && y >= minY && y <= maxY) return true;
  const polygon: Polygon = { type: 'Polygon', coordinates: [ring] };
  if (pointInGeometry(polygon, (minX + maxX) / 2, (minY + maxY) / 2)) return true;
  const corners: Ring = [
    [minX, minY],
    [maxX, minY],
    [maxX, maxY],
    [minX, maxY],
    [minX, minY],
  ];
  for (const corner of corners) if (pointInGeometry(polygon, corner[0], corner[1])) return true;
  for (let i = 1; i < ring.length; i++) {
    for (let j = 1; j < corners.length; j++) {
      if (segmentsCross(ring[i - 1], ring[i], corners[j - 1], corners[j])) return true;
    }
  }
  return false;
}

/** True when segments AB and CD share a point. */
function segmentsCross(a: Position, b: Position, c: Position, d: Position): boolean {
  const side = (p: Position, q: Position, r: Position) =>
    Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  const [abc, abd, cda, cdb] = [side(a, b, c), side(a, b, d), side(c, d, a), side(c, d, b)];
  if (abc === 0 && abd === 0) {
    // Collinear: they meet only if their extents overlap.
    return bboxesIntersect(segmentBBox(a, b), segmentBBox(c, d));
  }
  return abc * abd <= 0 && cda * cdb <= 0;
}

function segmentBBox(a: Position, b: Position): BBox {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
}
