import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/**
 * A read-only reader of SQLite database files, written from the file-format documentation
 * (https://www.sqlite.org/fileformat2.html). It reads pages on demand through a small cache, so
 * memory stays flat whatever the file size; it walks table b-trees (rowid order) and decodes
 * records, and knows nothing of SQL. Index b-trees and WITHOUT ROWID tables are not read.
 */

/** A value of a record, as sql.js gives it: integers beyond 2^53 lose precision, as there. */
export type SqliteValue = null | number | string | Uint8Array;

export interface SqliteRow {
  rowid: number;
  /** The record's values in column order; fewer than the table's columns for rows older than an ADD COLUMN. */
  values: SqliteValue[];
}

/** A row of sqlite_master: the schema of one table, index, view or trigger. */
export interface SchemaEntry {
  type: string;
  name: string;
  tableName: string;
  rootPage: number;
  sql: string | null;
}

/** Why a file cannot be read, for the caller to word for its own format. */
export type SqliteFileProblem = 'not-sqlite' | 'damaged' | 'unsupported' | 'journal';

export class SqliteFileError extends Error {
  constructor(
    readonly problem: SqliteFileProblem,
    message: string,
  ) {
    super(message);
    this.name = 'SqliteFileError';
  }
}

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Pages kept in memory: the path from root to leaf plus siblings; at 64 KiB pages at most 2 MiB. */
const PAGE_CACHE_SIZE = 32;
/** Deeper than any real b-tree (SQLite's own limit is 20); a deeper walk is a damaged file. */
const MAX_TREE_DEPTH = 40;
const TABLE_LEAF = 0x0d;
const TABLE_INTERIOR = 0x05;

export class SqliteFile {
  readonly pageSize: number;
  readonly pageCount: number;
  /** Usable bytes of a page (page size less the reserved bytes at its end). */
  private readonly usable: number;
  private readonly cache = new Map<number, Buffer>();
  private readonly scratch: Buffer;
  private closed = false;

  private constructor(
    private readonly fd: number,
    header: Buffer,
    fileSize: number,
  ) {
    const raw = header.readUInt16BE(16);
    this.pageSize = raw === 1 ? 65536 : raw;
    this.usable = this.pageSize - header[20];
    // The in-header size is valid only when the change counter matches "version-valid-for".
    const declared = header.readUInt32BE(28);
    const valid = declared > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
    this.pageCount = valid ? declared : Math.floor(fileSize / this.pageSize);
    this.scratch = Buffer.alloc(this.pageSize);
  }

  /** Opens `file` read-only and checks its header, size and that no journal or WAL holds changes. */
  static open(file: string): SqliteFile {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const header = Buffer.alloc(100);
      readSync(fd, header, 0, 100, 0);
      if (size < 100 || !header.subarray(0, 16).equals(HEADER)) {
        throw new SqliteFileError('not-sqlite', 'no SQLite header ("SQLite format 3")');
      }
      checkHeader(header);
      checkNoPendingChanges(file, header);
      const db = new SqliteFile(fd, header, size);
      if (db.pageCount * db.pageSize > size) {
        throw new SqliteFileError(
          'damaged',
          `the header says ${db.pageCount} pages of ${db.pageSize} bytes, but the file holds ${size} bytes`,
        );
      }
      return db;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Releases the file; safe to call twice (a second close must not close a reused descriptor). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    this.cache.clear();
  }

  /** The rows of sqlite_master (tables, indexes, views, triggers). */
  schema(): SchemaEntry[] {
    const entries: SchemaEntry[] = [];
    for (const { values } of this.rows(1)) {
      const [type, name, tableName, rootPage, sql] = values;
      entries.push({
        type: String(type),
        name: String(name),
        tableName: String(tableName),
        rootPage: typeof rootPage === 'number' ? rootPage : 0,
        sql: typeof sql === 'string' ? sql : null,
      });
    }
    return entries;
  }

  /** The rows of the table b-tree rooted at `rootPage`, in rowid order, read as they are yielded. */
  *rows(rootPage: number): Generator<SqliteRow> {
    // A depth-first walk with an explicit stack: each entry is a page and the next child to visit.
    const stack: Array<{ page: number; next: number }> = [{ page: rootPage, next: 0 }];
    let lastRowid = Number.NEGATIVE_INFINITY;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const page = this.btreePage(top.page);
      if (page.type === TABLE_LEAF) {
        stack.pop();
        for (let i = 0; i < page.cells; i++) {
          const row = this.leafCell(page, i);
          if (row.rowid <= lastRowid) {
            throw damaged(`page ${top.page} holds rowid ${row.rowid} after rowid ${lastRowid}`);
          }
          lastRowid = row.rowid;
          yield row;
        }
        continue;
      }
      if (top.next > page.cells) {
        stack.pop();
        continue;
      }
      const child = this.childPage(page, top.next++);
      if (stack.some((s) => s.page === child) || stack.length >= MAX_TREE_DEPTH) {
        throw damaged(`page ${top.page} points back up the b-tree (to page ${child})`);
      }
      stack.push({ page: child, next: 0 });
    }
  }

  /** Number of rows of the table b-tree rooted at `rootPage`: leaf cell counts summed, reading only leaf headers. */
  countRows(rootPage: number): number {
    let count = 0;
    const visit = (pageNumber: number, depth: number): void => {
      if (depth > MAX_TREE_DEPTH) throw damaged(`the b-tree of page ${rootPage} is too deep`);
      const head = this.readPageHead(pageNumber);
      if (head.type === TABLE_LEAF) {
        count += head.cells;
        return;
      }
      const page = this.btreePage(pageNumber);
      for (let i = 0; i <= page.cells; i++) visit(this.childPage(page, i), depth + 1);
    };
    visit(rootPage, 0);
    return count;
  }

  private page(pageNumber: number): Buffer {
    const cached = this.cache.get(pageNumber);
    if (cached) {
      // Re-insert so that Map order is least recently used first.
      this.cache.delete(pageNumber);
      this.cache.set(pageNumber, cached);
      return cached;
    }
    const buffer = Buffer.alloc(this.pageSize);
    this.readInto(pageNumber, buffer, 0, this.pageSize);
    if (this.cache.size >= PAGE_CACHE_SIZE) {
      this.cache.delete(this.cache.keys().next().value as number);
    }
    this.cache.set(pageNumber, buffer);
    return buffer;
  }

  private readInto(pageNumber: number, buffer: Buffer, offset: number, length: number): void {
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) {
      throw damaged(`page ${pageNumber} is outside the file's ${this.pageCount} pages`);
    }
    const position = (pageNumber - 1) * this.pageSize;
    const read = readSync(this.fd, buffer, offset, length, position);
    if (read < length) throw damaged(`page ${pageNumber} is cut short`);
  }

  /** Type and cell count of a page without reading (or caching) the rest of it. */
  private readPageHead(pageNumber: number): { type: number; cells: number } {
    const cached = this.cache.get(pageNumber);
    const base = pageNumber === 1 ? 100 : 0;
    const bytes = cached ?? this.scratch;
    if (!cached) this.readInto(pageNumber, this.scratch, 0, base + 8);
    return { type: bytes[base], cells: bytes.readUInt16BE(base + 3) };
  }

  private btreePage(pageNumber: number): BtreePage {
    const data = this.page(pageNumber);
    const base = pageNumber === 1 ? 100 : 0;
    const type = data[base];
    if (type !== TABLE_LEAF && type !== TABLE_INTERIOR) {
      throw damaged(`page ${pageNumber} is not a table b-tree page (type ${type})`);
    }
    const headerSize = type === TABLE_LEAF ? 8 : 12;
    const cells = data.readUInt16BE(base + 3);
    if (base + headerSize + 2 * cells > this.usable) {
      throw damaged(`page ${pageNumber} claims ${cells} cells, more than fit`);
    }
    return { number: pageNumber, data, type, cells, pointers: base + headerSize, base };
  }

  private cellOffset(page: BtreePage, index: number): number {
    const offset = page.data.readUInt16BE(page.pointers + 2 * index);
    if (offset < page.pointers || offset >= this.usable) {
      throw damaged(`page ${page.number} has cell ${index} at offset ${offset}, outside its cells`);
    }
    return offset;
  }

  /** Child `index` of an interior page; index == cells is the right-most pointer. */
  private childPage(page: BtreePage, index: number): number {
    if (index === page.cells) return page.data.readUInt32BE(page.base + 8);
    return page.data.readUInt32BE(this.cellOffset(page, index));
  }

  private leafCell(page: BtreePage, index: number): SqliteRow {
    const { data } = page;
    let offset = this.cellOffset(page, index);
    const [payloadSize, afterSize] = readVarint(data, offset);
    const [rowid, afterRowid] = readVarint(data, afterSize);
    offset = afterRowid;
    const local = this.localPayload(payloadSize);
    if (offset + local > this.usable) {
      throw damaged(`page ${page.number} has cell ${index} running past the page end`);
    }
    let payload: Buffer;
    if (local === payloadSize) {
      payload = data.subarray(offset, offset + local);
    } else {
      payload = Buffer.alloc(payloadSize);
      data.copy(payload, 0, offset, offset + local);
      this.readOverflow(data.readUInt32BE(offset + local), payload, local);
    }
    return { rowid, values: decodeRecord(payload) };
  }

  /** Bytes of a table leaf cell's payload stored on the page itself (the rest overflows). */
  private localPayload(payloadSize: number): number {
    const u = this.usable;
    const x = u - 35;
    if (payloadSize <= x) return payloadSize;
    const m = Math.floor(((u - 12) * 32) / 255) - 23;
    const k = m + ((payloadSize - m) % (u - 4));
    return k <= x ? k : m;
  }

  /** Follows an overflow chain from `first`, filling `payload` from `filled`; bounded by the pages needed. */
  private readOverflow(first: number, payload: Buffer, filled: number): void {
    const perPage = this.usable - 4;
    let pageNumber = first;
    let at = filled;
    let pagesLeft = Math.ceil((payload.length - filled) / perPage);
    while (at < payload.length) {
      if (pagesLeft-- <= 0 || pageNumber === 0) {
        throw damaged(`an overflow chain ends before its ${payload.length}-byte record does`);
      }
      this.readInto(pageNumber, this.scratch, 0, this.usable);
      const take = Math.min(perPage, payload.length - at);
      this.scratch.copy(payload, at, 4, 4 + take);
      at += take;
      pageNumber = this.scratch.readUInt32BE(0);
    }
    // The last page of a chain points nowhere; anything else is a loop or a damaged chain.
    if (pageNumber !== 0) {
      throw damaged(`an overflow chain goes on past its ${payload.length}-byte record`);
    }
  }
}

interface BtreePage {
  number: number;
  data: Buffer;
  type: number;
  cells: number;
  /** Offset of the cell pointer array. */
  pointers: number;
  /** Offset of the b-tree header: 100 on page 1, else 0. */
  base: number;
}

function damaged(message: string): SqliteFileError {
  return new SqliteFileError('damaged', message);
}

function checkHeader(header: Buffer): void {
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw damaged(`the header gives page size ${raw}, not a power of two from 512 to 65536`);
  }
  if (pageSize - header[20] < 480)
    throw damaged(`the header reserves ${header[20]} bytes per page`);
  if (header[21] !== 64 || header[22] !== 32 || header[23] !== 32) {
    throw damaged('the header has wrong payload fractions');
  }
  const encoding = header.readUInt32BE(56);
  if (encoding !== 0 && encoding !== 1) {
    const name = encoding === 2 ? 'UTF-16le' : encoding === 3 ? 'UTF-16be' : `code ${encoding}`;
    throw new SqliteFileError(
      'unsupported',
      `its text is ${name}; only UTF-8 databases are read (ogr2ogr writes UTF-8)`,
    );
  }
}

/** A non-empty rollback journal or WAL beside the file may hold changes the file itself lacks. */
function checkNoPendingChanges(file: string, header: Buffer): void {
  const sizeOf = (other: string) => {
    try {
      return statSync(other).size;
    } catch {
      return 0;
    }
  };
  if (sizeOf(`${file}-journal`) > 0) {
    throw new SqliteFileError(
      'journal',
      'a rollback journal (-journal) lies beside it: a write was interrupted',
    );
  }
  const walMode = header[18] === 2 || header[19] === 2;
  if (sizeOf(`${file}-wal`) > 0) {
    throw new SqliteFileError(
      'journal',
      `a write-ahead log (-wal) lies beside it${walMode ? ' (the file is in WAL mode)' : ''}, holding changes not yet in the file`,
    );
  }
}

/** A varint (1 to 9 bytes, big-endian, 7 bits a byte then 8 in the ninth) and the offset after it. */
export function readVarint(data: Buffer, offset: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (offset + i >= data.length) throw damaged('a varint runs past the end of its page');
    const byte = data[offset + i];
    value = value * 128 + (byte & 0x7f);
    if (byte < 0x80) return [value, offset + i + 1];
  }
  if (offset + 8 >= data.length) throw damaged('a varint runs past the end of its page');
  // Nine bytes: a full 64-bit two's-complement value (negative rowids, huge integers).
  let big = 0n;
  for (let i = 0; i < 8; i++) big = (big << 7n) | BigInt(data[offset + i] & 0x7f);
  big = (big << 8n) | BigInt(data[offset + 8]);
  return [Number(BigInt.asIntN(64, big)), offset + 9];
}

/** Values of a record: a header of serial types, then the values they describe. */
export function decodeRecord(payload: Buffer): SqliteValue[] {
  const [headerSize, first] = readVarint(payload, 0);
  if (headerSize > payload.length) throw damaged('a record header is longer than its record');
  const values: SqliteValue[] = [];
  let at = headerSize;
  let typeAt = first;
  while (typeAt < headerSize) {
    const [serial, next] = readVarint(payload, typeAt);
    typeAt = next;
    const size = serialSize(serial);
    if (at + size > payload.length) throw damaged('a record value runs past its record');
    values.push(serialValue(payload, at, serial, size));
    at += size;
  }
  return values;
}

const INT_SIZES = [0, 1, 2, 3, 4, 6, 8];

function serialSize(serial: number): number {
  if (serial <= 6) return INT_SIZES[serial];
  if (serial === 7) return 8;
  if (serial === 8 || serial === 9) return 0;
  if (serial >= 12) return Math.floor((serial - 12) / 2);
  throw damaged(`a record uses the reserved serial type ${serial}`);
}

function serialValue(payload: Buffer, at: number, serial: number, size: number): SqliteValue {
  switch (serial) {
    case 0:
      return null;
    case 6:
      return Number(payload.readBigInt64BE(at));
    case 7:
      return payload.readDoubleBE(at);
    case 8:
      return 0;
    case 9:
      return 1;
    default:
      if (serial <= 5) return payload.readIntBE(at, size);
      if (serial % 2 === 0) return new Uint8Array(payload.subarray(at, at + size));
      return payload.toString('utf8', at, at + size);
  }
}
