import type { ParcelSelector } from '../db/parcel-selector';

/**
 * Which parcels, indices and times a series read covers: one description shared by the API's
 * lists, the map, and the CSV/Parquet/GeoJSON exports. Parcels are selected as everywhere else
 * (`ParcelSelector`, turned into SQL by `selectorConditions`).
 */

/** A time range [from, to) of instants, ISO 8601; either end may be open. */
export interface TimeRange {
  from?: string;
  to?: string;
}

export type SeriesKind = 'observations' | 'weekly';

/** A slice of the series: parcels × indices × time. */
export interface SeriesSelection {
  parcels: ParcelSelector;
  /** Index names; absent: every index. */
  indices?: string[];
  time: TimeRange;
  kind: SeriesKind;
}
