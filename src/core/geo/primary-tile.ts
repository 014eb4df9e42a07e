import { BadInputError } from '../errors';
import { reprojectGeometry, reprojectPoint } from './crs';
import { areaInsideBBox, geometryArea, geometryBBox, geometryCentroid } from './geometry';
import { SQUARE_METRES } from './mgrs-squares';
import { s2Tile, tileContains, tileIdOfPoint, tilesContaining, tilesOfBBox } from './s2-tiles';
import type { ParcelGeometry } from './types';

/** How a parcel's primary tile was chosen. */
export type PrimaryTileReason =
  /** The tile of the 100 km square holding the centroid contains the parcel whole (the usual case). */
  | 'centroid-square'
  /** Another tile contains the parcel whole (the parcel sticks out of its centroid square's tile). */
  | 'contains-whole'
  /** No tile contains the parcel whole (huge parcel, zone edge): the one covering most of it. */
  | 'largest-share';

export interface PrimaryTile {
  tile: string;
  reason: PrimaryTileReason;
  /** True when the tile's footprint contains the whole parcel. */
  whole: boolean;
  /** Share of the parcel's area inside the tile's footprint (1 when whole). */
  coverage: number;
}

/**
 * The one tile a parcel is processed in (the architecture's "primary tile"). Preference: the tile of
 * the square holding the centroid, if it contains the parcel whole; otherwise a tile containing it
 * whole, ranked by (square holds the centroid, same UTM zone as the centroid, nearest tile centre,
 * id); otherwise the tile covering the largest share, flagged `whole: false`.
 */
export function primaryTile(geometryWgs84: ParcelGeometry): PrimaryTile {
  const [lon, lat] = geometryCentroid(geometryWgs84);
  const home = tileIdOfPoint(lon, lat);
  if (tileContains(home, geometryWgs84)) {
    return { tile: home, reason: 'centroid-square', whole: true, coverage: 1 };
  }
  const containing = tilesContaining(geometryWgs84);
  if (containing.length > 0) {
    const [best] = rank(containing, home, lon, lat);
    return { tile: best, reason: 'contains-whole', whole: true, coverage: 1 };
  }
  let best: { tile: string; coverage: number } | undefined;
  for (const id of rank(tilesOfBBox(geometryBBox(geometryWgs84)), home, lon, lat)) {
    const tile = s2Tile(id);
    const projected = reprojectGeometry(geometryWgs84, 4326, tile.epsg);
    const total = geometryArea(projected);
    const coverage = total > 0 ? areaInsideBBox(projected, tile.bboxUtm) / total : 0;
    if (!best || coverage > best.coverage) best = { tile: id, coverage };
  }
  if (!best || best.coverage <= 0) {
    throw new BadInputError(
      `parcel with centroid lon ${lon}, lat ${lat} overlaps no Sentinel-2 tile; check its coordinates are WGS 84 lon/lat`,
      { code: 'PARCEL_OUTSIDE_TILES' },
    );
  }
  return { tile: best.tile, reason: 'largest-share', whole: false, coverage: best.coverage };
}

/** Orders candidate tiles by preference for a parcel with centroid (lon, lat). */
function rank(ids: string[], home: string, lon: number, lat: number): string[] {
  const homeZone = s2Tile(home).zone;
  const keyed = ids.map((id) => {
    const tile = s2Tile(id);
    const [x, y] = reprojectPoint([lon, lat], 4326, tile.epsg);
    const inSquare =
      x >= tile.west &&
      x < tile.west + SQUARE_METRES &&
      y >= tile.southEdge &&
      y < tile.southEdge + SQUARE_METRES;
    const [minX, minY, maxX, maxY] = tile.bboxUtm;
    const distance = Math.hypot(x - (minX + maxX) / 2, y - (minY + maxY) / 2);
    return { id, inSquare, sameZone: tile.zone === homeZone, distance };
  });
  keyed.sort(
    (a, b) =>
      Number(b.inSquare) - Number(a.inSquare) ||
      Number(b.sameZone) - Number(a.sameZone) ||
      a.distance - b.distance ||
      (a.id < b.id ? -1 : 1),
  );
  return keyed.map((k) => k.id);
}
