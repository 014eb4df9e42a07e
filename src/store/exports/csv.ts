import { CSV_LIST_SEPARATOR, type SeriesColumn, type SeriesRow } from './series-columns';

/**
 * RFC 4180 CSV: a header line, CRLF line ends, fields quoted when they hold a comma, a quote, CR or
 * LF (quotes doubled). Numbers are written in JavaScript's shortest round-trip form, so parsing a
 * cell gives back the very double the database holds; null is an empty cell.
 */

const NEEDS_QUOTES = /[",\r\n]/;
const LINE_END = '\r\n';

/** One CSV field. */
export function csvField(value: string | number | string[] | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = Array.isArray(value) ? value.join(CSV_LIST_SEPARATOR) : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(columns: readonly SeriesColumn[]): string {
  return columns.map((c) => csvField(c.name)).join(',') + LINE_END;
}

export function csvRecord(row: SeriesRow, columns: readonly SeriesColumn[]): string {
  return columns.map((c) => csvField(row[c.name])).join(',') + LINE_END;
}

/** The header, then one text chunk per batch of rows. */
export async function* csvChunks(
  batches: AsyncIterable<SeriesRow[]>,
  columns: readonly SeriesColumn[],
): AsyncGenerator<string> {
  yield csvHeader(columns);
  for await (const batch of batches) {
    let chunk = '';
    for (const row of batch) chunk += csvRecord(row, columns);
    yield chunk;
  }
}
