import type { ParcelObservation } from './scene-statistics';

/**
 * The statistics of one observation, in the order every table and file of them uses (the compute
 * CSV, parcel_observations, the purge archives, the exports).
 */
export const OBSERVATION_VALUE_COLUMNS = [
  'mean',
  'median',
  'std',
  'min',
  'max',
  'p10',
  'p90',
  'valid_pixels',
  'total_pixels',
  'valid_fraction',
  'status',
  'flags',
] as const;

/** Columns of the statistics CSV, in order (the `parcelwatch compute` output format). */
export const OBSERVATION_CSV_COLUMNS = [
  'parcel_id',
  'index',
  ...OBSERVATION_VALUE_COLUMNS,
] as const;

/** RFC 4180 quoting: only fields holding a comma, a quote or a line break are quoted. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (with its line break) for an observation; flags joined by `;`. */
export function observationCsvLine(o: ParcelObservation): string {
  const fields = [
    o.parcelId,
    o.index,
    o.mean,
    o.median,
    o.std,
    o.min,
    o.max,
    o.p10,
    o.p90,
    o.validPixels,
    o.totalPixels,
    o.validFraction,
    o.status,
    o.flags.join(';'),
  ];
  return `${fields.map(csvField).join(',')}\n`;
}

export function observationCsvHeader(): string {
  return `${OBSERVATION_CSV_COLUMNS.join(',')}\n`;
}
