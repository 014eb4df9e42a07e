/**
 * CSV exactly as PostgreSQL's `COPY … (FORMAT csv)` writes and reads it, so an archive loads back
 * with a plain `\copy`: `,` between fields, `"` around fields that need it (doubled inside), NULL as
 * an unquoted empty field, an empty string as `""`, `\n` between records.
 */
import { BadDataError } from '../../core/errors';

/** A field value as PostgreSQL prints it (`::text`), or null. */
export type CsvField = string | null;

/** Characters that force quoting; `\` too, so a lone `\.` is never read as COPY's end-of-data mark. */
const NEEDS_QUOTES = /[",\r\n\\]/;

export function formatCsvField(value: CsvField): string {
  if (value === null) return '';
  if (value === '' || NEEDS_QUOTES.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

/** One record, without its line end. */
export function formatCsvLine(fields: readonly CsvField[]): string {
  return fields.map(formatCsvField).join(',');
}

/**
 * Parses CSV text into records (an unquoted empty field is null, a quoted one ''). A final line end
 * is optional; quoted fields may hold line ends. `where` names the source in errors.
 */
export function parseCsv(text: string, where: string): CsvField[][] {
  const records: CsvField[][] = [];
  let record: CsvField[] = [];
  let i = 0;
  const n = text.length;
  if (n === 0) return records;
  while (i <= n) {
    // At the start of a field.
    let value: CsvField;
    if (text[i] === '"') {
      let out = '';
      i++;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close < 0) {
          throw new BadDataError(
            `${where}: record ${records.length + 1} has a quoted field that never ends; the file is truncated or not CSV`,
            { code: 'CSV_MALFORMED' },
          );
        }
        out += text.slice(i, close);
        if (text[close + 1] === '"') {
          out += '"';
          i = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      value = out;
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw new BadDataError(
          `${where}: record ${records.length + 1} has characters after a closing quote`,
          { code: 'CSV_MALFORMED' },
        );
      }
    } else {
      let end = i;
      while (end < n && text[end] !== ',' && text[end] !== '\n' && text[end] !== '\r') end++;
      const raw = text.slice(i, end);
      if (raw.includes('"')) {
        throw new BadDataError(
          `${where}: record ${records.length + 1} has a quote inside an unquoted field`,
          { code: 'CSV_MALFORMED' },
        );
      }
      value = raw === '' ? null : raw;
      i = end;
    }
    record.push(value);
    if (i >= n) {
      records.push(record);
      break;
    }
    if (text[i] === ',') {
      i++;
      continue;
    }
    // A line end: \n or \r\n.
    i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
    records.push(record);
    record = [];
    if (i >= n) break;
  }
  return records;
}
