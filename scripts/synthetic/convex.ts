import type { BBox, Position } from '../../src/core/geo/types';

/**
 * Convex polygons in UTM metres, counter-clockwise, ring not closed. Every synthetic surface
 * (parcel, lake) is convex so that "inside, at least d metres from the boundary" is exact and
 * cheap: the point lies more than d to the left of every edge. Rendering and the ground truth use
 * this one predicate, so they agree on every pixel.
 */
export interface ConvexPolygon {
  ring: Position[];
  bbox: BBox;
  /** Per edge i (ring[i] → ring[i+1]): unit inward normal (nx, ny) and offset c, so that the
   * signed distance of (x, y) inside the edge is nx·x + ny·y − c. */
  nx: Float64Array;
  ny: Float64Array;
  c: Float64Array;
}

export function convexPolygon(ring: Position[]): ConvexPolygon {
  const n = ring.length;
  const nx = new Float64Array(n);
  const ny = new Float64Array(n);
  const c = new Float64Array(n);
  const bbox: BBox = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const [ax, ay] = ring[i];
    const [bx, by] = ring[(i + 1) % n];
    const length = Math.hypot(bx - ax, by - ay);
    // Left of a counter-clockwise edge is inside.
    nx[i] = -(by - ay) / length;
    ny[i] = (bx - ax) / length;
    c[i] = nx[i] * ax + ny[i] * ay;
    bbox[0] = Math.min(bbox[0], ax);
    bbox[1] = Math.min(bbox[1], ay);
    bbox[2] = Math.max(bbox[2], ax);
    bbox[3] = Math.max(bbox[3], ay);
  }
  return { ring, bbox, nx, ny, c };
}

/** True when (x, y) lies inside `polygon` and more than `inset` metres from its boundary. */
export function insideBy(polygon: ConvexPolygon, x: number, y: number, inset: number): boolean {
  const { nx, ny, c } = polygon;
  for (let i = 0; i < nx.length; i++) {
    if (nx[i] * x + ny[i] * y - c[i] <= inset) return false;
  }
  return true;
}

/** True when the ring turns left at every vertex (strictly convex, counter-clockwise). */
export function isConvexCcw(ring: readonly Position[]): boolean {
  const n = ring.length;
  for (let i = 0; i < n; i++) {
    const [ax, ay] = ring[i];
    const [bx, by] = ring[(i + 1) % n];
    const [cx, cy] = ring[(i + 2) % n];
    if ((bx - ax) * (cy - by) - (by - ay) * (cx - bx) <= 0) return false;
  }
  return true;
}

/** Area by the shoelace formula (positive for counter-clockwise rings). */
export function ringArea(ring: readonly Position[]): number {
  let twice = 0;
  for (let i = 0; i < ring.length; i++) {
    const [ax, ay] = ring[i];
    const [bx, by] = ring[(i + 1) % ring.length];
    twice += ax * by - bx * ay;
  }
  return twice / 2;
}

export function bboxesMeet(a: BBox, b: BBox): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

export function bboxContains(outer: BBox, inner: BBox): boolean {
  return (
    outer[0] <= inner[0] && outer[1] <= inner[1] && inner[2] <= outer[2] && inner[3] <= outer[3]
  );
}
