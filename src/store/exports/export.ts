import { codeVersion } from '../../version';
import type { Database } from '../db/database';
import { countParcels } from '../db/parcels-repo';
import { csvChunks } from './csv';
import { type LatestQuery, latestGeoJsonChunks } from './latest';
import { parquetChunks } from './parquet';
import { PERSONAL_DATA_COLUMN, personalParcelCounter } from './personal-data';
import type { SeriesSelection } from './selection';
import { OBSERVATION_COLUMNS, type SeriesRow, WEEKLY_COLUMNS } from './series-columns';
import { countSeriesRows, EXPORT_BATCH_ROWS, seriesBatches } from './series-reads';

/**
 * One entry point for every export, used by `parcelwatch export` and the API alike: series as CSV
 * or Parquet, latest values as GeoJSON, each a sequence of chunks read from the database page by
 * page, so a consumer that writes them out as they come (a file, an HTTP response) never holds
 * the whole output.
 */

export type ExportFormat = 'csv' | 'parquet' | 'geojson';

export type ExportRequest = (
  | { format: 'csv' | 'parquet'; selection: SeriesSelection }
  | { format: 'geojson'; latest: LatestQuery }
) & {
  /**
   * Each row (feature) also carries its parcel's personal data: a last column `personal_data`
   * (CSV, Parquet) or a property `personalData` (GeoJSON), see ./personal-data. Only
   * `parcelwatch export --include-personal` sets it; the API never does.
   */
  personalData?: boolean;
};

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  geojson: 'application/geo+json',
};

export interface ExportOptions {
  /** Hears the running count of rows (features for GeoJSON) after each page. */
  onRows?: (count: number) => void;
  /** Rows per database page. @default EXPORT_BATCH_ROWS */
  batchRows?: number;
  /** Rows per Parquet row group. @default PARQUET_ROW_GROUP_ROWS */
  rowGroupRows?: number;
  /** With `personalData`: hears the running count of parcels whose personal data went out. */
  onPersonalData?: (parcels: number) => void;
}

/** The export's bytes, chunk by chunk. */
export async function* exportChunks(
  db: Database,
  request: ExportRequest,
  options: ExportOptions = {},
): AsyncGenerator<Buffer> {
  const personalData = request.personalData === true;
  if (request.format === 'geojson') {
    for await (const text of latestGeoJsonChunks(
      db,
      { ...request.latest, personalData },
      {
        batchFeatures: options.batchRows,
        onFeatures: options.onRows,
        onPersonalData: options.onPersonalData,
      },
    )) {
      yield Buffer.from(text, 'utf8');
    }
    return;
  }
  const { selection } = request;
  const seriesColumns = selection.kind === 'weekly' ? WEEKLY_COLUMNS : OBSERVATION_COLUMNS;
  const columns = personalData ? [...seriesColumns, PERSONAL_DATA_COLUMN] : seriesColumns;
  const batches = counted(
    seriesBatches(db, selection, options.batchRows ?? EXPORT_BATCH_ROWS, { personalData }),
    options.onRows,
    personalData ? options.onPersonalData : undefined,
  );
  if (request.format === 'csv') {
    for await (const text of csvChunks(batches, columns)) yield Buffer.from(text, 'utf8');
    return;
  }
  yield* parquetChunks(batches, columns, {
    rowGroupRows: options.rowGroupRows,
    metadata: {
      'parcelwatch.selection': JSON.stringify(selection),
      'parcelwatch.version': codeVersion(),
      ...(personalData ? { 'parcelwatch.personal-data': 'included' } : {}),
    },
  });
}

/**
 * How many rows (features for GeoJSON) the export holds, counted with the conditions its pages
 * use: the total of a progress bar. Rows written meanwhile can make the export differ slightly.
 */
export async function countExportRows(db: Database, request: ExportRequest): Promise<number> {
  return request.format === 'geojson'
    ? countParcels(db, request.latest.parcels) // one feature per selected parcel
    : countSeriesRows(db, { selection: request.selection });
}

async function* counted(
  batches: AsyncIterable<SeriesRow[]>,
  onRows: ((count: number) => void) | undefined,
  onPersonalData: ((parcels: number) => void) | undefined,
): AsyncGenerator<SeriesRow[]> {
  let count = 0;
  const countPersonal = personalParcelCounter();
  for await (const batch of batches) {
    yield batch;
    count += batch.length;
    onRows?.(count);
    if (onPersonalData) onPersonalData(countPersonal(batch));
  }
}
