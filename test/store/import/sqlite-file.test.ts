import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import initSqlJs from 'sql.js';
import {
  SqliteFile,
  SqliteFileError,
  type SqliteValue,
} from '../../../src/store/import/sqlite-file';
import { scratchDir } from './parcel-files';

/** Runs a python3 sqlite3 script with `db` (the file path) and `page_size` defined. */
function python(file: string, pageSize: number, script: string): void {
  execFileSync('python3', [
    '-c',
    `import sqlite3, random, os, shutil\ndb = ${JSON.stringify(file)}\npage_size = ${pageSize}\n${script}`,
  ]);
}

/** sql.js's reading of `SELECT rowid, * FROM table ORDER BY rowid`: the oracle. */
async function sqlJsRows(file: string, table: string): Promise<SqliteValue[][]> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(readFileSync(file));
  try {
    return (db.exec(`SELECT rowid, * FROM "${table}" ORDER BY rowid`)[0]?.values ??
      []) as SqliteValue[][];
  } finally {
    db.close();
  }
}

function ourRows(file: string, table: string): SqliteValue[][] {
  const db = SqliteFile.open(file);
  try {
    const entry = db.schema().find((e) => e.name === table);
    assert.ok(entry, `table ${table} in sqlite_master`);
    const rows = [...db.rows(entry.rootPage)].map((r) => [r.rowid, ...r.values]);
    assert.equal(db.countRows(entry.rootPage), rows.length);
    return rows;
  } finally {
    db.close();
  }
}

async function assertSameRows(file: string, table: string): Promise<number> {
  const expected = await sqlJsRows(file, table);
  const got = ourRows(file, table);
  assert.equal(got.length, expected.length);
  got.forEach((row, i) => {
    assert.deepEqual(row, expected[i], `row ${i + 1} of ${table}`);
  });
  return got.length;
}

function refusal(file: string): SqliteFileError {
  try {
    SqliteFile.open(file).close();
  } catch (error) {
    assert.ok(error instanceof SqliteFileError, String(error));
    return error;
  }
  assert.fail(`${file} was opened`);
}

const ALL_TYPES = `
con = sqlite3.connect(db)
con.execute(f'PRAGMA page_size = {page_size}')
con.execute('CREATE TABLE t (v)')
values = [None, 0, 1, 127, -128, 128, 32767, -32768, 32768, 8388607, -8388608, 8388608,
          2147483647, -2147483648, 2147483648, 140737488355327, -140737488355328, 140737488355328,
          9007199254740991, -9007199254740991, 9223372036854775807, -9223372036854775808,
          1.5, -2.25, 3.141592653589793, 1e300, -1e-300, 2.0,
          '', 'plain', 'héllo wörld ✓ 𝄞', b'', bytes([0, 1, 2, 255])]
con.executemany('INSERT INTO t VALUES (?)', [(v,) for v in values])
con.execute('INSERT INTO t (rowid, v) VALUES (-7, ?)', ('negative rowid',))
con.execute('INSERT INTO t (rowid, v) VALUES (4611686018427387904, ?)', ('huge rowid',))
con.commit()
`;

describe('SQLite file reader', () => {
  const dir = scratchDir('pw-sqlite-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes every serial type (ints of each width, floats, 0/1, text, blobs, NULL) and negative rowids as sql.js does', async () => {
    const file = path.join(dir, 'types.sqlite');
    python(file, 4096, ALL_TYPES);
    assert.equal(await assertSameRows(file, 't'), 35);
    const rows = ourRows(file, 't');
    assert.deepEqual(rows[0], [-7, 'negative rowid']);
    assert.ok(rows.some(([, v]) => v === 'héllo wörld ✓ 𝄞'));
    assert.ok(rows.some(([, v]) => v === -8388608));
    assert.ok(rows.some(([, v]) => v === -140737488355328));
  });

  for (const pageSize of [512, 4096, 65536]) {
    it(`follows overflow chains at page size ${pageSize}: 200 kB blobs and payloads either side of the local-size thresholds`, async () => {
      const file = path.join(dir, `overflow-${pageSize}.sqlite`);
      python(
        file,
        pageSize,
        `
con = sqlite3.connect(db)
con.execute(f'PRAGMA page_size = {page_size}')
con.execute('CREATE TABLE t (name TEXT, data BLOB)')
r = random.Random(page_size)
u = page_size
sizes = sorted(set([0, 1, 200000, 200001] + [s for c in (u - 35, ((u - 12) * 32 // 255) - 23, 2 * u, 3 * u - 7) for s in range(max(0, c - 12), c + 12)]))
for n in sizes:
    con.execute('INSERT INTO t (name, data) VALUES (?, ?)', ('é' * (n // 50), bytes(r.getrandbits(8) for _ in range(n))))
con.execute('INSERT INTO t (name, data) VALUES (?, ?)', ('x' * 150000, None))
con.commit()
`,
      );
      assert.ok((await assertSameRows(file, 't')) > 50);
      const [, , blob] =
        ourRows(file, 't').find(([, , data]) => (data as Uint8Array)?.length === 200000) ?? [];
      assert.ok(blob instanceof Uint8Array);
    });
  }

  it('walks interior pages of a b-tree of depth 2 or more, and skips deleted rows (freeblocks)', async () => {
    const file = path.join(dir, 'deep.sqlite');
    python(
      file,
      512,
      `
con = sqlite3.connect(db)
con.execute(f'PRAGMA page_size = {page_size}')
con.execute('CREATE TABLE t (name TEXT, n REAL)')
con.executemany('INSERT INTO t (name, n) VALUES (?, ?)', [(f'parcel {i}' * (i % 7), i / 3) for i in range(20000)])
con.execute('DELETE FROM t WHERE rowid % 3 = 0 OR rowid BETWEEN 5000 AND 5400')
con.commit()
`,
    );
    assert.equal(await assertSameRows(file, 't'), 20000 - 6666 - 267);
    const db = SqliteFile.open(file);
    const root = db.schema().find((e) => e.name === 't')?.rootPage ?? 0;
    db.close();
    const bytes = readFileSync(file);
    const pageType = (page: number) => bytes[(page - 1) * 512];
    const firstChild = (page: number) =>
      bytes.readUInt32BE((page - 1) * 512 + bytes.readUInt16BE((page - 1) * 512 + 12));
    assert.equal(pageType(root), 0x05);
    assert.equal(pageType(firstChild(root)), 0x05, "depth >= 2: the root's child is interior too");
  });

  it('reads sqlite_master rows: type, name, table, root page and SQL', () => {
    const file = path.join(dir, 'types.sqlite');
    const db = SqliteFile.open(file);
    assert.deepEqual(db.schema(), [
      { type: 'table', name: 't', tableName: 't', rootPage: 2, sql: 'CREATE TABLE t (v)' },
    ]);
    db.close();
  });

  it('refuses a file that is not SQLite, a truncated one, and UTF-16 text at open', () => {
    const text = path.join(dir, 'text.sqlite');
    writeFileSync(text, 'x'.repeat(200));
    assert.equal(refusal(text).problem, 'not-sqlite');

    const whole = readFileSync(path.join(dir, 'deep.sqlite'));
    const cut = path.join(dir, 'cut.sqlite');
    writeFileSync(cut, whole.subarray(0, whole.length / 2));
    const truncated = refusal(cut);
    assert.equal(truncated.problem, 'damaged');
    assert.match(
      truncated.message,
      /the header says \d+ pages of 512 bytes, but the file holds \d+ bytes/,
    );

    const utf16 = path.join(dir, 'utf16.sqlite');
    python(
      utf16,
      4096,
      `con = sqlite3.connect(db)\ncon.execute("PRAGMA encoding = 'UTF-16le'")\ncon.execute('CREATE TABLE t (v)')\ncon.commit()`,
    );
    const encoding = refusal(utf16);
    assert.deepEqual(
      [encoding.problem, /UTF-16le; only UTF-8/.test(encoding.message)],
      ['unsupported', true],
    );
  });

  it('refuses a file with a write-ahead log or a rollback journal beside it', () => {
    const file = path.join(dir, 'wal.sqlite');
    python(
      file,
      4096,
      `
con = sqlite3.connect(db)
con.execute('PRAGMA journal_mode = WAL')
con.execute('CREATE TABLE t (v)')
con.execute('INSERT INTO t VALUES (1)')
con.commit()
# Copy while the connection is open, so the WAL still holds the changes.
shutil.copy(db, db + '.copy')
shutil.copy(db + '-wal', db + '.copy-wal')
`,
    );
    const copy = `${file}.copy`;
    const wal = refusal(copy);
    assert.equal(wal.problem, 'journal');
    assert.match(
      wal.message,
      /write-ahead log \(-wal\) lies beside it \(the file is in WAL mode\)/,
    );
    rmSync(`${copy}-wal`);
    SqliteFile.open(copy).close();

    const plain = path.join(dir, 'types.sqlite');
    writeFileSync(`${plain}-journal`, 'interrupted write');
    assert.match(refusal(plain).message, /rollback journal/);
    rmSync(`${plain}-journal`);
  });

  it('throws on a damaged page met while reading: bad page type, pointer outside the file, looping overflow chain', () => {
    const source = readFileSync(path.join(dir, 'deep.sqlite'));
    const rootOf = (file: string) => {
      const db = SqliteFile.open(file);
      const root = db.schema().find((e) => e.name === 't')?.rootPage ?? 0;
      db.close();
      return root;
    };
    const readAll = (file: string) => {
      const db = SqliteFile.open(file);
      try {
        return [...db.rows(rootOf(file))].length;
      } finally {
        db.close();
      }
    };
    const root = rootOf(path.join(dir, 'deep.sqlite'));

    const badType = Buffer.from(source);
    const lastPage = badType.readUInt32BE((root - 1) * 512 + 8);
    badType[(lastPage - 1) * 512] = 0x42;
    writeFileSync(path.join(dir, 'bad-type.sqlite'), badType);
    assert.throws(
      () => readAll(path.join(dir, 'bad-type.sqlite')),
      /is not a table b-tree page \(type 66\)/,
    );

    const outside = Buffer.from(source);
    outside.writeUInt32BE(999999, (root - 1) * 512 + 8);
    writeFileSync(path.join(dir, 'outside.sqlite'), outside);
    assert.throws(
      () => readAll(path.join(dir, 'outside.sqlite')),
      /page 999999 is outside the file's \d+ pages/,
    );

    const loop = Buffer.from(source);
    loop.writeUInt32BE(root, (root - 1) * 512 + 8);
    writeFileSync(path.join(dir, 'loop.sqlite'), loop);
    assert.throws(() => readAll(path.join(dir, 'loop.sqlite')), /points back up the b-tree/);

    // One row whose 20 kB blob overflows into a chain; make its last page point back to its first.
    const chain = path.join(dir, 'chain.sqlite');
    python(
      chain,
      512,
      `con = sqlite3.connect(db)\ncon.execute('PRAGMA page_size = 512')\ncon.execute('CREATE TABLE t (v)')\ncon.execute('INSERT INTO t VALUES (?)', (bytes(20000),))\ncon.commit()`,
    );
    const bytes = readFileSync(chain);
    const pages = bytes.length / 512;
    bytes.writeUInt32BE(3, (pages - 1) * 512);
    writeFileSync(chain, bytes);
    assert.throws(() => readAll(chain), /overflow chain goes on past its \d+-byte record/);
  });
});
