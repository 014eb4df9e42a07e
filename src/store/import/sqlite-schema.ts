import type { SqliteValue } from './sqlite-file';

/**
 * The columns of a table from its CREATE TABLE statement, as `PRAGMA table_info` gives them (name,
 * declared type, primary-key position) plus what reading records needs: which column is the rowid,
 * which are generated, and the default a row older than an ADD COLUMN takes.
 */

export interface ColumnDefault {
  /** The default as written, for messages. */
  text: string;
  /** Its value with the column's affinity applied, or undefined when it is an expression not evaluated here. */
  value: SqliteValue | undefined;
}

export interface TableColumn {
  name: string;
  /** Declared type as written (`TEXT(20)`, `INTEGER`), '' when none. */
  type: string;
  /** 1-based position in the primary key, 0 when not part of it (like table_info's pk). */
  pk: number;
  /** INTEGER PRIMARY KEY: the record holds NULL and the value is the rowid. */
  rowidAlias: boolean;
  /** Generated column: 'virtual' ones are not stored in the record at all. */
  generated?: 'virtual' | 'stored';
  /** DEFAULT clause; absent means NULL. */
  default?: ColumnDefault;
}

export interface TableSchema {
  name: string;
  columns: TableColumn[];
  withoutRowid: boolean;
}

interface Token {
  kind: 'word' | 'string' | 'quoted' | 'number' | 'blob' | 'punct';
  /** Identifier or keyword (unquoted), string content, or the punctuation character. */
  value: string;
  start: number;
  end: number;
}

const STANDARD_TYPES = new Set(['INT', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'ANY']);
const CONSTRAINT_START = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);
const COLUMN_CONSTRAINT = new Set([
  'CONSTRAINT',
  'PRIMARY',
  'NOT',
  'NULL',
  'UNIQUE',
  'CHECK',
  'DEFAULT',
  'COLLATE',
  'REFERENCES',
  'GENERATED',
  'AS',
]);

/** Parses a CREATE TABLE statement; throws an Error saying what it could not follow. */
export function parseCreateTable(sql: string): TableSchema {
  const tokens = tokenize(sql);
  const open = tokens.findIndex((t) => t.kind === 'punct' && t.value === '(');
  if (open < 0 || !/^create$/i.test(tokens[0]?.value ?? '')) {
    throw new Error(`not a CREATE TABLE statement with columns: ${sql.slice(0, 80)}`);
  }
  const name = tokens[open - 1]?.value ?? '';
  const { parts, close } = splitTopLevel(tokens, open);
  const columns: TableColumn[] = [];
  const tablePk: string[] = [];
  for (const part of parts) {
    if (part.length === 0) continue;
    const head = part[0];
    if (head.kind === 'word' && CONSTRAINT_START.has(head.value.toUpperCase())) {
      const primary = part.findIndex((t) => t.kind === 'word' && /^primary$/i.test(t.value));
      if (primary >= 0) tablePk.push(...parenthesisedNames(part, primary));
      continue;
    }
    columns.push(parseColumn(sql, part));
  }
  tablePk.forEach((pkName, i) => {
    const column = columns.find((c) => c.name.toLowerCase() === pkName.toLowerCase());
    if (column) column.pk = i + 1;
  });
  if (tablePk.length === 1) {
    const column = columns.find((c) => c.pk === 1);
    if (column && column.type.toUpperCase() === 'INTEGER') column.rowidAlias = true;
  }
  const rest = tokens.slice(close + 1).map((t) => t.value.toUpperCase());
  const withoutRowid = rest.some((word, i) => word === 'WITHOUT' && rest[i + 1] === 'ROWID');
  if (withoutRowid) for (const column of columns) column.rowidAlias = false;
  return { name, columns, withoutRowid };
}

function parseColumn(sql: string, part: Token[]): TableColumn {
  const column: TableColumn = { name: part[0].value, type: '', pk: 0, rowidAlias: false };
  let i = 1;
  const typeStart = i;
  let depth = 0;
  while (i < part.length) {
    const t = part[i];
    if (depth === 0 && t.kind === 'word' && COLUMN_CONSTRAINT.has(t.value.toUpperCase())) break;
    if (t.kind === 'punct' && t.value === '(') depth++;
    if (t.kind === 'punct' && t.value === ')') depth--;
    i++;
  }
  if (i > typeStart) column.type = sql.slice(part[typeStart].start, part[i - 1].end);
  // SQLite (3.37 on) spells the standard type names in capitals, whatever the statement says.
  if (STANDARD_TYPES.has(column.type.toUpperCase())) column.type = column.type.toUpperCase();
  for (; i < part.length; i++) {
    const word = part[i].kind === 'word' ? part[i].value.toUpperCase() : '';
    if (word === 'PRIMARY') {
      column.pk = 1;
      // INTEGER PRIMARY KEY DESC is, by a quirk SQLite keeps, not a rowid alias.
      const desc = part[i + 2]?.kind === 'word' && /^desc$/i.test(part[i + 2].value);
      column.rowidAlias = column.type.toUpperCase() === 'INTEGER' && !desc;
    } else if (word === 'DEFAULT') {
      const [value, after] = parseDefault(sql, part, i + 1, column.type);
      column.default = value;
      i = after - 1;
    } else if (word === 'AS') {
      column.generated = part.some((t) => t.kind === 'word' && /^stored$/i.test(t.value))
        ? 'stored'
        : 'virtual';
    } else if (part[i].kind === 'punct' && part[i].value === '(') {
      i = skipParentheses(part, i);
    }
  }
  if (column.generated) column.rowidAlias = false;
  return column;
}

/** The default at `part[i]` (a literal, signed number, or parenthesised literal) and the index after it. */
function parseDefault(
  sql: string,
  part: Token[],
  i: number,
  type: string,
): [ColumnDefault, number] {
  const first = part[i];
  if (!first) throw new Error('DEFAULT without a value');
  let tokens = part;
  let from = i;
  let end = i + 1;
  if (first.kind === 'punct' && first.value === '(') {
    const close = skipParentheses(part, i);
    tokens = part.slice(i + 1, close);
    from = 0;
    end = close + 1;
  }
  const literal = tokens.length > 0 ? literalAt(tokens, from) : undefined;
  if (first.kind !== 'punct' || first.value !== '(') end = literal ? literal.next : i + 1;
  // A parenthesised default is evaluated only when it is a single literal: (1 + 1) is not.
  const whole = literal && (tokens !== part ? literal.next === tokens.length : true);
  const text = sql.slice(first.start, part[end - 1].end);
  return [{ text, value: whole ? withAffinity(literal, type) : undefined }, end];
}

interface Literal {
  value: SqliteValue;
  /** A number written as a real (1.0, 1e3): SQLite writes it as text with a decimal point. */
  real: boolean;
  next: number;
}

/** The literal at `tokens[i]`: number (with sign), string, blob, NULL, TRUE/FALSE; undefined otherwise. */
function literalAt(tokens: Token[], i: number): Literal | undefined {
  const t = tokens[i];
  const sign = t.kind === 'punct' && (t.value === '-' || t.value === '+');
  const number = sign ? tokens[i + 1] : t;
  if (number?.kind === 'number') {
    const n = /^0x/i.test(number.value)
      ? Number.parseInt(number.value.slice(2), 16)
      : Number(number.value);
    const real = !/^0x/i.test(number.value) && /[.e]/i.test(number.value);
    return { value: sign && t.value === '-' ? -n : n, real, next: i + (sign ? 2 : 1) };
  }
  if (t.kind === 'string') return { value: t.value, real: false, next: i + 1 };
  if (t.kind === 'blob') {
    return { value: Uint8Array.from(Buffer.from(t.value, 'hex')), real: false, next: i + 1 };
  }
  if (t.kind === 'word') {
    const word = t.value.toUpperCase();
    if (word === 'NULL') return { value: null, real: false, next: i + 1 };
    if (word === 'TRUE') return { value: 1, real: false, next: i + 1 };
    if (word === 'FALSE') return { value: 0, real: false, next: i + 1 };
  }
  return undefined;
}

/** Column affinity (https://www.sqlite.org/datatype3.html, section 3.1) applied to a default. */
function withAffinity({ value, real }: Literal, type: string): SqliteValue {
  const t = type.toUpperCase();
  if (value === null || value instanceof Uint8Array) return value;
  const textual = t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT');
  if (!t.includes('INT') && textual) {
    if (typeof value === 'string') return value;
    return real && Number.isInteger(value) ? value.toFixed(1) : String(value);
  }
  if (!t.includes('INT') && (t.includes('BLOB') || t === '')) return value;
  // INTEGER, REAL and NUMERIC affinity: text that reads as a number becomes one.
  if (typeof value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)) {
    return Number(value);
  }
  return value;
}

/** Names inside the parentheses that follow `tokens[from]` (PRIMARY KEY (a, b DESC)). */
function parenthesisedNames(tokens: Token[], from: number): string[] {
  const open = tokens.findIndex((t, i) => i > from && t.kind === 'punct' && t.value === '(');
  if (open < 0) return [];
  const close = skipParentheses(tokens, open);
  const names: string[] = [];
  let expectName = true;
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i];
    if (t.kind === 'punct' && t.value === ',') expectName = true;
    else if (expectName && (t.kind === 'word' || t.kind === 'quoted' || t.kind === 'string')) {
      names.push(t.value);
      expectName = false;
    }
  }
  return names;
}

/** Index of the ')' matching the '(' at `open`. */
function skipParentheses(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].kind !== 'punct') continue;
    if (tokens[i].value === '(') depth++;
    if (tokens[i].value === ')' && --depth === 0) return i;
  }
  throw new Error('unbalanced parentheses');
}

/** The comma-separated definitions between `(` at `open` and its `)`. */
function splitTopLevel(tokens: Token[], open: number): { parts: Token[][]; close: number } {
  const close = skipParentheses(tokens, open);
  const parts: Token[][] = [[]];
  let depth = 0;
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i];
    if (t.kind === 'punct' && t.value === '(') depth++;
    if (t.kind === 'punct' && t.value === ')') depth--;
    if (depth === 0 && t.kind === 'punct' && t.value === ',') parts.push([]);
    else parts[parts.length - 1].push(t);
  }
  return { parts, close };
}

const CLOSING: Record<string, string> = { '"': '"', '`': '`', '[': ']', "'": "'" };

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if ((c === 'x' || c === 'X') && sql[i + 1] === "'") {
      const end = sql.indexOf("'", i + 2);
      if (end < 0) throw new Error('unterminated blob literal');
      tokens.push({ kind: 'blob', value: sql.slice(i + 2, end), start: i, end: end + 1 });
      i = end + 1;
    } else if (c in CLOSING) {
      const close = CLOSING[c];
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new Error(`unterminated ${c}…${close}`);
        if (sql[j] === close) {
          // A doubled quote is the quote itself; ] cannot be escaped.
          if (close !== ']' && sql[j + 1] === close) {
            value += close;
            j += 2;
            continue;
          }
          break;
        }
        value += sql[j++];
      }
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', value, start: i, end: j + 1 });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const match = /^(0x[0-9a-f]+|(\d+\.?\d*|\.\d+)(e[-+]?\d+)?)/i.exec(
        sql.slice(i),
      ) as RegExpExecArray;
      tokens.push({ kind: 'number', value: match[0], start: i, end: i + match[0].length });
      i += match[0].length;
    } else if (/[\p{L}_$]/u.test(c) || c.charCodeAt(0) > 127) {
      const match = /^[\p{L}\p{N}_$]+/u.exec(sql.slice(i));
      const word = match ? match[0] : c;
      tokens.push({ kind: 'word', value: word, start: i, end: i + word.length });
      i += word.length;
    } else {
      tokens.push({ kind: 'punct', value: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}
