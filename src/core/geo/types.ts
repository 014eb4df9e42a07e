/** GeoJSON-style geometry types used across the engine (RFC 7946 coordinate order: x/lon, y/lat). */
export type Position = [number, number];
export type Ring = Position[];

export interface Polygon {
  type: 'Polygon';
  coordinates: Ring[];
}

export interface MultiPolygon {
  type: 'MultiPolygon';
  coordinates: Ring[][];
}

export type ParcelGeometry = Polygon | MultiPolygon;

/** [minX, minY, maxX, maxY] in the units of its CRS. */
export type BBox = [number, number, number, number];
