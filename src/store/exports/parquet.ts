import type { DecodedArray } from 'hyparquet' with { 'resolution-mode': 'import' };
import type { SchemaElement, Writer } from 'hyparquet-writer' with { 'resolution-mode': 'import' };
import type { SeriesColumn, SeriesRow } from './series-columns';

/**
 * Parquet, streamed: rows are gathered into row groups of a bounded size, each row group is
 * encoded and handed on as bytes before the next one is read, and the footer (schema, row-group
 * offsets, statistics) comes last. Memory holds one row group's column arrays and encoded pages,
 * never the table. hyparquet-writer (ESM-only, hence the dynamic import) writes incrementally
 * through its `ParquetWriter`; its byte writer is given a `flush` that passes the bytes on.
 */

/** Rows per row group: ~50 000 rows × 21 columns stays under ~40 MB in memory, and readers skip by group. */
export const PARQUET_ROW_GROUP_ROWS = 50_000;
/** Encoded bytes held before they are passed on, within a row group. */
const FLUSH_BYTES = 1 << 20;

type ParquetModule = typeof import('hyparquet-writer', { with: { 'resolution-mode': 'import' }});

let parquetModule: Promise<ParquetModule> | undefined;
/** hyparquet-writer is ESM-only: loaded once, on first use, from this CommonJS code. */
function loadWriter(): Promise<ParquetModule> {
  parquetModule ??= import('hyparquet-writer');
  return parquetModule;
}

export interface ParquetOptions {
  /** @default PARQUET_ROW_GROUP_ROWS */
  rowGroupRows?: number;
  /** Key-value metadata stored in the footer (e.g. the selection exported). */
  metadata?: Record<string, string>;
}

/** The Parquet file of the batches' rows, as a sequence of byte chunks. */
export async function* parquetChunks(
  batches: AsyncIterable<SeriesRow[]>,
  columns: readonly SeriesColumn[],
  options: ParquetOptions = {},
): AsyncGenerator<Buffer> {
  const { ByteWriter, ParquetWriter } = await loadWriter();
  const rowGroupRows = options.rowGroupRows ?? PARQUET_ROW_GROUP_ROWS;
  const out: Buffer[] = [];
  const writer: Writer & { index: number } = new ByteWriter();
  const flush = () => {
    if (writer.index > 0) out.push(Buffer.from(new Uint8Array(writer.buffer, 0, writer.index)));
    writer.index = 0;
  };
  const grow = writer.ensure.bind(writer);
  // Pass bytes on as they accumulate; offsets stay absolute (writer.offset), so this is safe mid-group.
  writer.ensure = (size: number) => {
    if (writer.index > FLUSH_BYTES) flush();
    grow(size);
  };
  writer.flush = flush;
  writer.finish = flush;
  const parquet = new ParquetWriter({
    writer,
    schema: parquetSchema(columns),
    kvMetadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    createdBy: 'parcelwatch',
  });

  let pending: SeriesRow[] = [];
  const writeGroup = async () => {
    if (pending.length === 0) return;
    await parquet.write({
      columnData: columns.map((c) => ({ name: c.name, data: columnValues(pending, c) })),
      rowGroupSize: pending.length,
    });
    pending = [];
  };
  for await (const batch of batches) {
    for (const row of batch) {
      pending.push(row);
      if (pending.length >= rowGroupRows) await writeGroup();
    }
    yield* out.splice(0);
  }
  await writeGroup();
  await parquet.finish();
  yield* out.splice(0);
}

/** The Parquet schema of the columns: a root, then one leaf (or a LIST group) per column. */
function parquetSchema(columns: readonly SeriesColumn[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const c of columns) {
    const repetition_type = c.nullable ? 'OPTIONAL' : 'REQUIRED';
    switch (c.type) {
      case 'int64':
        schema.push({ name: c.name, type: 'INT64', repetition_type });
        break;
      case 'int32':
        schema.push({ name: c.name, type: 'INT32', repetition_type });
        break;
      case 'double':
        schema.push({ name: c.name, type: 'DOUBLE', repetition_type });
        break;
      case 'string':
        schema.push({ name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type });
        break;
      case 'timestamp':
        schema.push({
          name: c.name,
          type: 'INT64',
          converted_type: 'TIMESTAMP_MILLIS',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
          repetition_type,
        });
        break;
      case 'date':
        schema.push({ name: c.name, type: 'INT32', converted_type: 'DATE', repetition_type });
        break;
      case 'string-list':
        // The standard three-level LIST: <name> (LIST) → list (repeated) → element.
        schema.push(
          { name: c.name, converted_type: 'LIST', num_children: 1, repetition_type },
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          {
            name: 'element',
            type: 'BYTE_ARRAY',
            converted_type: 'UTF8',
            repetition_type: 'REQUIRED',
          },
        );
        break;
    }
  }
  return schema;
}

/** One column of the rows, as the writer takes it (bigint ids, Date instants and days). */
function columnValues(rows: readonly SeriesRow[], column: SeriesColumn): DecodedArray {
  const values = new Array<unknown>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = rows[i]![column.name] ?? null;
    if (value === null) values[i] = null;
    else if (column.type === 'int64') values[i] = BigInt(value as number);
    else if (column.type === 'timestamp') values[i] = new Date(value as string);
    else if (column.type === 'date') values[i] = new Date(`${value as string}T00:00:00Z`);
    else values[i] = value;
  }
  return values;
}
