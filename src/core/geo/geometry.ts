import type { BBox, ParcelGeometry, Position, Ring } from './types';

/**
 * Small planar geometry helpers for parcels (Polygon / MultiPolygon, GeoJSON nesting). Heavy
 * validation and repair belong to PostGIS; these only answer what the engine asks itself.
 */

/** The polygons of a geometry, each as [outer ring, ...holes]. */
export function polygonsOf(geometry: ParcelGeometry): Ring[][] {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
}

/** [minX, minY, maxX, maxY] over every position; all infinite for an empty geometry. */
export function geometryBBox(geometry: ParcelGeometry): BBox {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const polygon of polygonsOf(geometry)) {
    for (const ring of polygon) {
      for (const [x, y] of ring) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  return [minX, minY, maxX, maxY];
}

/** Shoelace area of a ring: positive when counter-clockwise (x east, y north). */
export function ringSignedArea(ring: Ring): number {
  let twice = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    twice += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  }
  return twice / 2;
}

/** Planar area: outer rings minus their holes, whatever the ring orientation. */
export function geometryArea(geometry: ParcelGeometry): number {
  let area = 0;
  for (const polygon of polygonsOf(geometry)) {
    polygon.forEach((ring, i) => {
      area += (i === 0 ? 1 : -1) * Math.abs(ringSignedArea(ring));
    });
  }
  return area;
}

/** Planar perimeter: the length of every ring, holes included. */
export function geometryPerimeter(geometry: ParcelGeometry): number {
  let length = 0;
  for (const polygon of polygonsOf(geometry)) {
    for (const ring of polygon) {
      for (let i = 1; i < ring.length; i++) {
        length += Math.hypot(ring[i][0] - ring[i - 1][0], ring[i][1] - ring[i - 1][1]);
      }
    }
  }
  return length;
}

/**
 * Area-weighted planar centroid (holes subtract). A degenerate geometry with no area falls back to
 * the mean of its positions so callers always get a point on or near it.
 */
export function geometryCentroid(geometry: ParcelGeometry): Position {
  let sumA = 0;
  let sumX = 0;
  let sumY = 0;
  let n = 0;
  let meanX = 0;
  let meanY = 0;
  for (const polygon of polygonsOf(geometry)) {
    polygon.forEach((ring, k) => {
      if (ring.length === 0) return;
      // Work relative to the ring's first vertex: UTM-sized coordinates lose digits otherwise.
      const [ox, oy] = ring[0];
      let a = 0;
      let cx = 0;
      let cy = 0;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const x0 = ring[j][0] - ox;
        const y0 = ring[j][1] - oy;
        const x1 = ring[i][0] - ox;
        const y1 = ring[i][1] - oy;
        const cross = x0 * y1 - x1 * y0;
        a += cross;
        cx += (x0 + x1) * cross;
        cy += (y0 + y1) * cross;
        meanX += ring[i][0];
        meanY += ring[i][1];
        n++;
      }
      if (a === 0) return;
      // Outer rings add, holes subtract, whatever their orientation.
      const weight = k === 0 ? 1 : -1;
      const area = Math.abs(a) / 2;
      sumA += weight * area;
      sumX += weight * area * (ox + cx / (3 * a));
      sumY += weight * area * (oy + cy / (3 * a));
    });
  }
  if (sumA !== 0) return [sumX / sumA, sumY / sumA];
  return [meanX / n, meanY / n];
}

/**
 * Point-in-parcel with the rasteriser's boundary rule (GDAL's): a point counts as inside when an
 * odd number of ring edges satisfy `min(y1, y2) < y <= max(y1, y2)` and cross the horizontal line
 * at an x strictly less than the point's. Holes are excluded; parts of a MultiPolygon are unioned.
 */
export function pointInGeometry(geometry: ParcelGeometry, x: number, y: number): boolean {
  for (const polygon of polygonsOf(geometry)) {
    let inside = false;
    for (const ring of polygon) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [x1, y1] = ring[j];
        const [x2, y2] = ring[i];
        if (y1 < y !== y2 < y) {
          const xCross = x1 + ((y - y1) * (x2 - x1)) / (y2 - y1);
          if (xCross < x) inside = !inside;
        }
      }
    }
    if (inside) return true;
  }
  return false;
}

/** Euclidean distance from (x, y) to the nearest edge of any ring of the geometry. */
export function distanceToBoundary(geometry: ParcelGeometry, x: number, y: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (const polygon of polygonsOf(geometry)) {
    for (const ring of polygon) {
      for (let i = 1; i < ring.length; i++) {
        const d = distanceToSegment(x, y, ring[i - 1], ring[i]);
        if (d < best) best = d;
      }
    }
  }
  return best;
}

function distanceToSegment(x: number, y: number, a: Position, b: Position): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const lengthSquared = dx * dx + dy * dy;
  let t = lengthSquared === 0 ? 0 : ((x - a[0]) * dx + (y - a[1]) * dy) / lengthSquared;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(x - (a[0] + t * dx), y - (a[1] + t * dy));
}

/** True when the two boxes share at least one point. */
export function bboxesIntersect(a: BBox, b: BBox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/**
 * Area of the geometry inside an axis-aligned rectangle: each ring is clipped to the rectangle
 * (Sutherland–Hodgman, exact for a convex clip window) and holes subtract.
 */
export function areaInsideBBox(geometry: ParcelGeometry, box: BBox): number {
  let area = 0;
  for (const polygon of polygonsOf(geometry)) {
    polygon.forEach((ring, k) => {
      area += (k === 0 ? 1 : -1) * Math.abs(ringSignedArea(clipRingToBBox(ring, box)));
    });
  }
  return area;
}

function clipRingToBBox(ring: Ring, [minX, minY, maxX, maxY]: BBox): Ring {
  const edges: Array<[(p: Position) => number, number, 0 | 1]> = [
    [(p) => p[0] - minX, minX, 0],
    [(p) => maxX - p[0], maxX, 0],
    [(p) => p[1] - minY, minY, 1],
    [(p) => maxY - p[1], maxY, 1],
  ];
  let points: Ring = ring;
  for (const [inside, value, axis] of edges) {
    if (points.length === 0) break;
    const next: Ring = [];
    for (let i = 0; i < points.length; i++) {
      const current = points[i];
      const previous = points[(i + points.length - 1) % points.length];
      const currentIn = inside(current) >= 0;
      const previousIn = inside(previous) >= 0;
      if (currentIn !== previousIn) next.push(crossing(previous, current, value, axis));
      if (currentIn) next.push(current);
    }
    points = next;
  }
  return points;
}

function crossing(a: Position, b: Position, value: number, axis: 0 | 1): Position {
  const t = (value - a[axis]) / (b[axis] - a[axis]);
  const x = a[0] + t * (b[0] - a[0]);
  const y = a[1] + t * (b[1] - a[1]);
  return axis === 0 ? [value, y] : [x, value];
}

/** Why a geometry is structurally unusable. */
export type GeometryProblemReason =
  | 'not-a-polygon'
  | 'empty'
  | 'too-few-positions'
  | 'unclosed-ring'
  | 'non-finite-coordinate'
  | 'out-of-range';

export interface GeometryProblem {
  reason: GeometryProblemReason;
  /** Where and what, e.g. `polygon 0, ring 1 is not closed (first [1, 2], last [1, 3])`. */
  message: string;
}

/** A closed ring needs 4 positions: a triangle plus the repeated first one. */
const MIN_RING_POSITIONS = 4;

/**
 * Structural checks only (shape of the JSON, closed rings, finite numbers, lon/lat ranges when
 * `geographic`); self-intersections and ring orientation are left to PostGIS. Returns every problem
 * found, empty when the geometry is usable.
 */
export function validateGeometry(
  geometry: unknown,
  options: { geographic?: boolean } = {},
): GeometryProblem[] {
  const g = geometry as { type?: unknown; coordinates?: unknown } | null;
  if (!g || (g.type !== 'Polygon' && g.type !== 'MultiPolygon') || !Array.isArray(g.coordinates)) {
    const type = g && typeof g === 'object' ? String(g.type) : typeof geometry;
    return [
      { reason: 'not-a-polygon', message: `geometry is a ${type}, not a Polygon or MultiPolygon` },
    ];
  }
  const polygons = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as unknown[];
  if (polygons.length === 0) return [{ reason: 'empty', message: 'geometry has no polygon' }];
  const problems: GeometryProblem[] = [];
  polygons.forEach((polygon, p) => {
    if (!Array.isArray(polygon) || polygon.length === 0) {
      problems.push({ reason: 'empty', message: `polygon ${p} has no ring` });
      return;
    }
    polygon.forEach((ring: unknown, r) => {
      const where = `polygon ${p}, ring ${r}`;
      if (!Array.isArray(ring) || ring.length < MIN_RING_POSITIONS) {
        const n = Array.isArray(ring) ? ring.length : 0;
        problems.push({
          reason: n === 0 ? 'empty' : 'too-few-positions',
          message: `${where} has ${n} positions; a closed ring needs at least ${MIN_RING_POSITIONS}`,
        });
        return;
      }
      problems.push(...checkPositions(ring, where, options.geographic === true));
      const first = ring[0] as number[];
      const last = ring[ring.length - 1] as number[];
      if (
        Array.isArray(first) &&
        Array.isArray(last) &&
        (first[0] !== last[0] || first[1] !== last[1])
      ) {
        problems.push({
          reason: 'unclosed-ring',
          message: `${where} is not closed (first [${first[0]}, ${first[1]}], last [${last[0]}, ${last[1]}])`,
        });
      }
    });
  });
  return problems;
}

function checkPositions(ring: unknown[], where: string, geographic: boolean): GeometryProblem[] {
  for (let i = 0; i < ring.length; i++) {
    const position = ring[i];
    const [x, y] = Array.isArray(position) ? position : [];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      return [
        {
          reason: 'non-finite-coordinate',
          message: `${where}, position ${i} is ${JSON.stringify(position)}, not two finite numbers`,
        },
      ];
    }
    if (geographic && (Math.abs(x) > 180 || Math.abs(y) > 90)) {
      return [
        {
          reason: 'out-of-range',
          message: `${where}, position ${i} is lon ${x}, lat ${y}, outside [-180, 180] × [-90, 90]; is the geometry in another CRS?`,
        },
      ];
    }
  }
  return [];
}
