import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import initSqlJs from 'sql.js';
import { SqliteFile, type SqliteValue } from '../../../src/store/import/sqlite-file';
import { parseCreateTable } from '../../../src/store/import/sqlite-schema';
import { findTable, tableRows } from '../../../src/store/import/sqlite-table';
import { scratchDir } from './parcel-files';

/** CREATE TABLE statements that a naive split on commas or spaces gets wrong. */
const TRICKY = [
  'CREATE TABLE plain (a, b TEXT, c INTEGER)',
  'CREATE TABLE "quoted ""name""" ("first col" TEXT(20), `second` VARCHAR(10, 2) NOT NULL, [third col] DECIMAL ( 8 , 3 ), \'fourth\' REAL)',
  `CREATE TABLE features (
     fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, -- the key, with a comment (and a comma, here)
     geom POLYGON,
     name TEXT DEFAULT 'it''s, (not) a column' CHECK (length(name) < 100),
     area DOUBLE DEFAULT (1.5),
     /* a block comment, with commas */ code INT DEFAULT -3 UNIQUE,
     CONSTRAINT ck CHECK (area > 0 AND code IN (1, 2, 3)),
     UNIQUE (name, code),
     FOREIGN KEY (code) REFERENCES other (id) ON DELETE CASCADE
   )`,
  'CREATE TABLE composite (x INT, y TEXT, z, PRIMARY KEY (y, x))',
  'CREATE TABLE int_pk (id INT PRIMARY KEY, v)',
  'CREATE TABLE desc_pk (id INTEGER PRIMARY KEY DESC, v)',
  'CREATE TABLE table_pk (v TEXT, id integer, CONSTRAINT pk PRIMARY KEY ("id"))',
  'CREATE TABLE gen (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL, c AS (a + 1) STORED, d TEXT)',
];

async function tableInfo(sql: string): Promise<Array<[string, string, number]>> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  try {
    db.exec(sql);
    const name = (db.exec('SELECT name FROM sqlite_master')[0]?.values[0]?.[0] ?? '') as string;
    const rows = db.exec(`PRAGMA table_info("${name.replace(/"/g, '""')}")`)[0]?.values ?? [];
    return rows.map(([, column, type, , , pk]) => [column as string, type as string, pk as number]);
  } finally {
    db.close();
  }
}

describe('SQLite CREATE TABLE parser', () => {
  const dir = scratchDir('pw-sqlite-schema-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const sql of TRICKY) {
    it(`gives PRAGMA table_info's names, types and key positions for ${sql.replace(/\s+/g, ' ').slice(0, 60)}…`, async () => {
      const schema = parseCreateTable(sql);
      const visible = schema.columns.filter((c) => c.generated === undefined);
      assert.deepEqual(
        visible.map((c) => [c.name, c.type, c.pk]),
        await tableInfo(sql),
      );
    });
  }

  it('knows the rowid alias (INTEGER PRIMARY KEY only, not INT, not DESC), generated columns and defaults', () => {
    const alias = (sql: string) =>
      parseCreateTable(sql)
        .columns.filter((c) => c.rowidAlias)
        .map((c) => c.name);
    assert.deepEqual(alias(TRICKY[2]), ['fid']);
    assert.deepEqual(alias(TRICKY[4]), []);
    assert.deepEqual(alias(TRICKY[5]), []);
    assert.deepEqual(alias(TRICKY[6]), ['id']);
    assert.deepEqual(
      parseCreateTable(TRICKY[7]).columns.map((c) => [c.name, c.generated]),
      [
        ['a', undefined],
        ['b', 'virtual'],
        ['c', 'stored'],
        ['d', undefined],
      ],
    );
    const features = parseCreateTable(TRICKY[2]);
    assert.equal(features.name, 'features');
    assert.deepEqual(
      features.columns.map((c) => c.default?.value),
      [undefined, undefined, "it's, (not) a column", 1.5, -3],
    );
    assert.equal(
      parseCreateTable('CREATE TABLE w (k TEXT PRIMARY KEY, v) WITHOUT ROWID').withoutRowid,
      true,
    );
  });

  it('fills rows written before ALTER TABLE ADD COLUMN with the column default, as SQLite does', async () => {
    const file = path.join(dir, 'altered.sqlite');
    execFileSync('python3', [
      '-c',
      `
import sqlite3
con = sqlite3.connect(${JSON.stringify(file)})
con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)')
con.executemany('INSERT INTO t (name) VALUES (?)', [('a',), ('b',)])
for column in ["n INTEGER DEFAULT 42", "neg REAL DEFAULT -2.5", "s TEXT DEFAULT 'x, y'", "t TEXT DEFAULT 7",
               "tr TEXT DEFAULT 1.0", "i INTEGER DEFAULT '12'", "p DEFAULT (3)", "z", "bl BLOB DEFAULT x'00ff'",
               "h INTEGER DEFAULT 0x10", "nu TEXT DEFAULT NULL"]:
    con.execute(f'ALTER TABLE t ADD COLUMN {column}')
con.execute("INSERT INTO t (name, n, s) VALUES ('c', 1, 'own')")
con.commit()
`,
    ]);
    const SQL = await initSqlJs();
    const oracle = new SQL.Database(readFileSync(file));
    const expected = oracle.exec('SELECT * FROM t ORDER BY id')[0]?.values as SqliteValue[][];
    oracle.close();
    const db = SqliteFile.open(file);
    const table = findTable(db, 'T');
    assert.ok(table);
    const got = [...tableRows(db, table)].map((r) => r.values);
    db.close();
    assert.deepEqual(got, expected);
    assert.deepEqual(got[0].slice(0, 7), [1, 'a', 42, -2.5, 'x, y', '7', '1.0']);
  });
});
