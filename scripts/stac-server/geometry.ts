/**
 * Just enough planar geometry (lon/lat treated as a plane, holes ignored, which can only widen a
 * match) to answer STAC `bbox` and `intersects` queries about scene footprints.
 */
type Point = [number, number];
type Segment = [Point, Point];

export interface Shape {
  points: Point[];
  segments: Segment[];
  /** Outer rings of the areal parts. */
  rings: Point[][];
}

export class GeometryError extends Error {}

function position(value: unknown): Point {
  if (
    !Array.isArray(value) ||
    value.length < 2 ||
    !value.every((n) => typeof n === 'number' && Number.isFinite(n))
  ) {
    throw new GeometryError(`position ${JSON.stringify(value)} is not [x, y]`);
  }
  return [value[0], value[1]];
}

function positions(value: unknown): Point[] {
  if (!Array.isArray(value))
    throw new GeometryError(`${JSON.stringify(value)} is not a list of positions`);
  return value.map(position);
}

function line(points: Point[]): Segment[] {
  return points.slice(1).map((p, i) => [points[i], p]);
}

/** Decomposes a GeoJSON geometry; throws GeometryError for anything malformed. */
export function shapeOf(geometry: unknown): Shape {
  const g = geometry as { type?: unknown; coordinates?: unknown; geometries?: unknown };
  if (typeof g !== 'object' || g === null)
    throw new GeometryError('geometry must be a GeoJSON object');
  const shape: Shape = { points: [], segments: [], rings: [] };
  const addPolygon = (rings: unknown) => {
    if (!Array.isArray(rings) || rings.length === 0)
      throw new GeometryError('polygon without rings');
    const outer = positions(rings[0]);
    if (outer.length < 4) throw new GeometryError('polygon ring with fewer than 4 positions');
    shape.rings.push(outer);
    shape.points.push(...outer);
    shape.segments.push(...line(outer));
  };
  switch (g.type) {
    case 'Point':
      shape.points.push(position(g.coordinates));
      break;
    case 'MultiPoint':
      shape.points.push(...positions(g.coordinates));
      break;
    case 'LineString': {
      const points = positions(g.coordinates);
      shape.points.push(...points);
      shape.segments.push(...line(points));
      break;
    }
    case 'MultiLineString':
      for (const part of g.coordinates as unknown[]) {
        const points = positions(part);
        shape.points.push(...points);
        shape.segments.push(...line(points));
      }
      break;
    case 'Polygon':
      addPolygon(g.coordinates);
      break;
    case 'MultiPolygon':
      if (!Array.isArray(g.coordinates))
        throw new GeometryError('MultiPolygon coordinates must be a list');
      for (const polygon of g.coordinates) addPolygon(polygon);
      break;
    default:
      throw new GeometryError(`geometry type ${JSON.stringify(g.type)} is not supported`);
  }
  return shape;
}

export function bboxShape([x0, y0, x1, y1]: readonly number[]): Shape {
  const ring: Point[] = [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
    [x0, y0],
  ];
  return { points: ring, segments: line(ring), rings: [ring] };
}

function orientation(a: Point, b: Point, c: Point): number {
  const v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(a: Point, b: Point, p: Point): boolean {
  return (
    Math.min(a[0], b[0]) <= p[0] &&
    p[0] <= Math.max(a[0], b[0]) &&
    Math.min(a[1], b[1]) <= p[1] &&
    p[1] <= Math.max(a[1], b[1])
  );
}

function segmentsMeet([a, b]: Segment, [c, d]: Segment): boolean {
  const o1 = orientation(a, b, c);
  const o2 = orientation(a, b, d);
  const o3 = orientation(c, d, a);
  const o4 = orientation(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  return (
    (o1 === 0 && onSegment(a, b, c)) ||
    (o2 === 0 && onSegment(a, b, d)) ||
    (o3 === 0 && onSegment(c, d, a)) ||
    (o4 === 0 && onSegment(c, d, b))
  );
}

function insideRing(ring: Point[], [x, y]: Point): boolean {
  let odd = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

/** True when the two shapes share at least one point (touching counts). */
export function shapesIntersect(a: Shape, b: Shape): boolean {
  for (const s of a.segments) for (const t of b.segments) if (segmentsMeet(s, t)) return true;
  if (a.points.some((p) => b.rings.some((ring) => insideRing(ring, p)))) return true;
  if (b.points.some((p) => a.rings.some((ring) => insideRing(ring, p)))) return true;
  // Two points, or a point on a line, can only meet by coinciding.
  return (
    a.points.some((p) => b.points.some((q) => p[0] === q[0] && p[1] === q[1])) ||
    a.points.some((p) =>
      b.segments.some(([s, t]) => orientation(s, t, p) === 0 && onSegment(s, t, p)),
    ) ||
    b.points.some((p) =>
      a.segments.some(([s, t]) => orientation(s, t, p) === 0 && onSegment(s, t, p)),
    )
  );
}

/** Overlap of two [minX, minY, maxX, maxY] boxes; a query box with minX > maxX crosses the antimeridian. */
export function bboxesIntersect(query: readonly number[], item: readonly number[]): boolean {
  const [qx0, qy0, qx1, qy1] = query;
  const [ix0, iy0, ix1, iy1] = item;
  if (qy0 > iy1 || iy0 > qy1) return false;
  if (qx0 > qx1) return ix1 >= qx0 || ix0 <= qx1;
  return qx0 <= ix1 && ix0 <= qx1;
}
