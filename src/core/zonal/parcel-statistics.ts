import { VALID } from './pixel-kernel';
import { statisticsInPlace } from './statistics';

/** Statistics stored per parcel and index, in this order, in the results array. */
export const STAT_FIELDS = ['mean', 'median', 'std', 'min', 'max', 'p10', 'p90'] as const;

export interface StatisticsInputs {
  parcelStart: Uint32Array;
  classes: Uint8Array[];
  values: Float32Array[];
  /** results[((p * indices) + i) * 7 + k] for STAT_FIELDS[k]; NaN when no valid pixel. */
  results: Float64Array;
  /** counts[((p * indices) + i) * 2] = pixels with data, [+1] = valid pixels. */
  counts: Int32Array;
}

/** Computes the statistics of parcels [from, to) from their slots, for every index. */
export function computeParcelStatistics(inputs: StatisticsInputs, from: number, to: number): void {
  const { parcelStart, classes, values, results, counts } = inputs;
  const nIndices = classes.length;
  let scratch = new Float64Array(1024);
  for (let p = from; p < to; p++) {
    const start = parcelStart[p]!;
    const end = parcelStart[p + 1]!;
    if (end - start > scratch.length) scratch = new Float64Array(end - start);
    for (let i = 0; i < nIndices; i++) {
      const cls = classes[i]!;
      const vals = values[i]!;
      let withData = 0;
      let valid = 0;
      for (let s = start; s < end; s++) {
        const c = cls[s]!;
        if (c !== 0) withData++;
        if (c === VALID) scratch[valid++] = vals[s]!;
      }
      const at = p * nIndices + i;
      counts[at * 2] = withData;
      counts[at * 2 + 1] = valid;
      const stats = statisticsInPlace(scratch.subarray(0, valid));
      for (let k = 0; k < STAT_FIELDS.length; k++) {
        results[at * 7 + k] = stats ? stats[STAT_FIELDS[k]!] : Number.NaN;
      }
    }
  }
}
