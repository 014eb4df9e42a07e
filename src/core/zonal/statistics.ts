/**
 * Statistics of one parcel's valid index values, as the architecture defines them: mean, population
 * standard deviation (divide by n), min, max, and median/p10/p90 by linear interpolation between
 * closest ranks (numpy's default, Hyndman & Fan type 7).
 */
export interface ParcelStatistics {
  mean: number;
  median: number;
  std: number;
  min: number;
  max: number;
  p10: number;
  p90: number;
}

/** Type-7 quantile of ascending `sorted` values: h = (n − 1) q, interpolate between ⌊h⌋ and ⌈h⌉. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
}

/**
 * Computes the statistics of `values` (sorted in place, so pass a scratch copy when the order
 * matters). Returns null for an empty set: no valid pixel, no statistic.
 */
export function statisticsInPlace(values: Float64Array | Float32Array): ParcelStatistics | null {
  const n = values.length;
  if (n === 0) return null;
  values.sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  // Two-pass variance: exact enough for reflectance-derived values, no catastrophic cancellation.
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    squares += d * d;
  }
  return {
    mean,
    median: quantileSorted(values, 0.5),
    std: Math.sqrt(squares / n),
    min: values[0]!,
    max: values[n - 1]!,
    p10: quantileSorted(values, 0.1),
    p90: quantileSorted(values, 0.9),
  };
}
