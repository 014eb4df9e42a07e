import type { SqliteFile, SqliteValue } from './sqlite-file';
import { parseCreateTable, type TableColumn, type TableSchema } from './sqlite-schema';

/**
 * One table of an SQLite file read as rows of named columns: the record decoded by the file
 * reader, the rowid put in its INTEGER PRIMARY KEY column, and defaults filled in for rows written
 * before an ALTER TABLE ADD COLUMN.
 */

export interface SqliteTable {
  schema: TableSchema;
  /** Columns as `PRAGMA table_info` lists them (generated columns left out). */
  columns: TableColumn[];
  rootPage: number;
}

export interface TableRow {
  rowid: number;
  /** Values of `columns`, in their order. */
  values: SqliteValue[];
}

/** The table `name` (matched as SQLite does, ASCII case-insensitively), or undefined. */
export function findTable(db: SqliteFile, name: string): SqliteTable | undefined {
  const lower = name.toLowerCase();
  const entry = db
    .schema()
    .find((e) => e.type === 'table' && e.name.toLowerCase() === lower && e.sql !== null);
  if (!entry?.sql) return undefined;
  const schema = parseCreateTable(entry.sql);
  if (schema.withoutRowid) {
    throw new Error(`table ${entry.name} is a WITHOUT ROWID table, which is not read`);
  }
  return {
    schema,
    columns: schema.columns.filter((c) => c.generated === undefined),
    rootPage: entry.rootPage,
  };
}

/** Rows of `table` in rowid order. A default that is an expression (not a literal) cannot fill a short row. */
export function* tableRows(db: SqliteFile, table: SqliteTable): Generator<TableRow> {
  // Record positions: every column but virtual generated ones is stored, in declaration order.
  const stored = table.schema.columns.filter((c) => c.generated !== 'virtual');
  const positions = table.columns.map((c) => stored.indexOf(c));
  for (const { rowid, values: record } of db.rows(table.rootPage)) {
    const values = table.columns.map((column, i) => {
      if (column.rowidAlias) return rowid;
      const at = positions[i];
      if (at < record.length) return record[at];
      if (column.default === undefined) return null;
      if (column.default.value === undefined) {
        throw new Error(
          `column ${column.name} of row ${rowid} takes its default ${column.default.text}, an expression not evaluated here`,
        );
      }
      return column.default.value;
    });
    yield { rowid, values };
  }
}

/** All rows of a small table as objects by lower-cased column name (the gpkg_* metadata tables). */
export function readSmallTable(
  db: SqliteFile,
  table: SqliteTable,
): Array<Record<string, SqliteValue>> {
  const rows: Array<Record<string, SqliteValue>> = [];
  for (const { values } of tableRows(db, table)) {
    rows.push(Object.fromEntries(table.columns.map((c, i) => [c.name.toLowerCase(), values[i]])));
  }
  return rows;
}
