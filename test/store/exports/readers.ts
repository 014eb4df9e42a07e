import { execFileSync } from 'node:child_process';

/**
 * Readers independent of the writers under test: Python's `csv` module (RFC 4180 dialect) and
 * hyparquet, the reading half of the Parquet library.
 */

/** Rows of a CSV text as dicts of strings, parsed by Python's csv.DictReader. */
export function parseCsvWithPython(text: string): Array<Record<string, string>> {
  const script =
    'import sys, csv, json, io\n' +
    'data = sys.stdin.buffer.read().decode("utf-8")\n' +
    'rows = list(csv.DictReader(io.StringIO(data, newline=""), strict=True))\n' +
    'print(json.dumps(rows))\n';
  const out = execFileSync('python3', ['-c', script], { input: text, maxBuffer: 1 << 30 });
  return JSON.parse(String(out)) as Array<Record<string, string>>;
}

/** The header line of a CSV text. */
export function csvHeaderOf(text: string): string[] {
  return text.slice(0, text.indexOf('\r\n')).split(',');
}

export interface ParquetContents {
  rows: Array<Record<string, unknown>>;
  rowGroups: number[];
  columns: string[];
  metadata: Record<string, string>;
}

/** Rows (as objects), row-group sizes, column names and key-value metadata of a Parquet file. */
export async function readParquet(bytes: Uint8Array): Promise<ParquetContents> {
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  const file = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const rows = await parquetReadObjects({ file });
  return {
    rows,
    rowGroups: metadata.row_groups.map((g) => Number(g.num_rows)),
    columns: metadata.schema
      .slice(1)
      .filter((e) => e.name !== 'list' && e.name !== 'element')
      .map((e) => e.name),
    metadata: Object.fromEntries(
      (metadata.key_value_metadata ?? []).map((kv) => [kv.key, kv.value ?? '']),
    ),
  };
}
