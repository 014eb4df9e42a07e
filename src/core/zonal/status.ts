/** What an observation says about a parcel on one acquisition. */
export type ObservationStatus = 'ok' | 'cloudy' | 'nodata';

/** Valid fraction from which an observation is trusted (configurable as PARCELWATCH_OK_THRESHOLD). */
export const DEFAULT_OK_THRESHOLD = 0.5;

export interface PixelCounts {
  /** Pixels assigned to the parcel, inside the raster or not. */
  total: number;
  /** Pixels holding data: inside the footprint, DN ≠ nodata, SCL ≠ 0. */
  withData: number;
  /** Pixels that pass the mask and give a defined index. */
  valid: number;
}

/**
 * `nodata` when none of the parcel's pixels holds data; otherwise `ok` when the valid fraction
 * reaches the threshold and at least one valid pixel remains; otherwise `cloudy`.
 */
export function observationStatus(
  counts: PixelCounts,
  okThreshold = DEFAULT_OK_THRESHOLD,
): ObservationStatus {
  if (counts.withData === 0) return 'nodata';
  if (counts.valid > 0 && counts.valid / counts.total >= okThreshold) return 'ok';
  return 'cloudy';
}
