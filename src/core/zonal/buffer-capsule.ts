/**
 * The points within distance r of a segment form a capsule (a rectangle with two half-discs).
 * Eroding a parcel by r removes, on each scanline, the union of the capsules of its edges; a capsule
 * is convex, so its trace on a horizontal line is one interval, computed here in closed form.
 */

/**
 * The open interval of x where the horizontal line `y` passes within distance `r` of segment
 * A(ax, ay)–B(bx, by): writes [lo, hi] to `out` and returns true, or returns false when the line
 * stays at least `r` away.
 */
export function capsuleInterval(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  y: number,
  r: number,
  out: Float64Array,
): boolean {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const r2 = r * r;
  // Discs around both ends.
  const dya = y - ay;
  const ha = r2 - dya * dya;
  if (ha > 0) {
    const s = Math.sqrt(ha);
    lo = ax - s;
    hi = ax + s;
  }
  const dyb = y - by;
  const hb = r2 - dyb * dyb;
  if (hb > 0) {
    const s = Math.sqrt(hb);
    if (bx - s < lo) lo = bx - s;
    if (bx + s > hi) hi = bx + s;
  }
  // The band between them: projection parameter t in [0, 1] and perpendicular distance < r.
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  if (dy !== 0 && length2 > 0) {
    const length = Math.sqrt(length2);
    // |(x - ax) * dy - dya * dx| < r * length
    let bandLo = ax + (dya * dx - r * length) / dy;
    let bandHi = ax + (dya * dx + r * length) / dy;
    if (bandLo > bandHi) [bandLo, bandHi] = [bandHi, bandLo];
    if (dx !== 0) {
      // 0 <= (x - ax) * dx + dya * dy <= length2
      let tLo = ax - (dya * dy) / dx;
      let tHi = ax + (length2 - dya * dy) / dx;
      if (tLo > tHi) [tLo, tHi] = [tHi, tLo];
      if (tLo > bandLo) bandLo = tLo;
      if (tHi < bandHi) bandHi = tHi;
    } else {
      const t = (dya * dy) / length2;
      if (t < 0 || t > 1) bandHi = bandLo;
    }
    if (bandLo < bandHi) {
      if (bandLo < lo) lo = bandLo;
      if (bandHi > hi) hi = bandHi;
    }
  }
  // A horizontal segment's band lies between its end discs, already covered above.
  if (!(lo < hi)) return false;
  out[0] = lo;
  out[1] = hi;
  return true;
}
