/**
 * The "nothing changed" check of the bad-input corpus: a snapshot of every table of a schema (row
 * count and an md5 of its rows in a stable order) and of a datalake (every key with its size, time
 * and a sha256 of its bytes), taken before a hostile input and compared after it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Datalake } from '../../src/store/datalake/datalake';

export interface TableState {
  rows: number;
  md5: string;
}

export interface StoreSnapshot {
  tables: Record<string, TableState>;
  datalake: Record<string, string>;
}

/**
 * Columns that change on every authenticated request and are no data: a key's last use. A refused
 * request still proves who asked, so the API may note it; everything else must stay as it was.
 */
const BOOKKEEPING_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  api_keys: ['last_used_at'],
};

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Row count and checksum of every ordinary table (partitions included) of `schema`. */
export async function snapshotTables(
  pool: Pool,
  schema: string,
): Promise<Record<string, TableState>> {
  const tables = await pool.query<{ name: string; columns: string[] }>(
    `SELECT c.relname AS name,
            array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind = 'r'
      GROUP BY c.relname
      ORDER BY c.relname`,
    [schema],
  );
  const state: Record<string, TableState> = {};
  for (const { name, columns } of tables.rows) {
    const skipped = BOOKKEEPING_COLUMNS[name] ?? [];
    const kept = columns.filter((column) => !skipped.includes(column)).map(ident);
    const row = `ROW(${kept.map((c) => `t.${c}`).join(', ')})::text`;
    const result = await pool.query<{ rows: string; md5: string }>(
      `SELECT count(*)::text AS rows,
              md5(coalesce(string_agg(${row}, E'\\n' ORDER BY ${row}), '')) AS md5
         FROM ${ident(schema)}.${ident(name)} t`,
    );
    const { rows, md5 } = result.rows[0]!;
    state[name] = { rows: Number(rows), md5 };
  }
  return state;
}

/** Every object of the datalake: `size modified sha256` by key. */
export async function snapshotDatalake(datalake: Datalake): Promise<Record<string, string>> {
  const objects: Record<string, string> = {};
  for await (const object of datalake.list('')) {
    const sha = createHash('sha256')
      .update(await datalake.get(object.key))
      .digest('hex');
    objects[object.key] = `${object.size} ${object.modified.toISOString()} ${sha}`;
  }
  return objects;
}

/** What a store holds: the tables of its schema and its datalake. */
export interface Store {
  pool: Pool;
  schema: string;
  datalake: Datalake;
}

export async function snapshotStore(store: Store): Promise<StoreSnapshot> {
  return {
    tables: await snapshotTables(store.pool, store.schema),
    datalake: await snapshotDatalake(store.datalake),
  };
}

/** Fails naming each table or datalake key that differs between two snapshots. */
export function assertSameStore(before: StoreSnapshot, after: StoreSnapshot, what: string): void {
  const changed: string[] = [];
  for (const name of new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])) {
    const a = before.tables[name];
    const b = after.tables[name];
    if (a?.rows !== b?.rows || a?.md5 !== b?.md5) {
      changed.push(`table ${name}: ${a?.rows ?? 'absent'} rows → ${b?.rows ?? 'absent'} rows`);
    }
  }
  for (const key of new Set([...Object.keys(before.datalake), ...Object.keys(after.datalake)])) {
    if (before.datalake[key] !== after.datalake[key]) {
      changed.push(
        `datalake ${key}: ${before.datalake[key] ?? 'absent'} → ${after.datalake[key] ?? 'absent'}`,
      );
    }
  }
  assert.deepEqual(changed, [], `${what} changed the store`);
}

/**
 * Runs `attempt` between two snapshots of the store and fails if anything changed; returns what
 * `attempt` returned (its own assertions run inside it).
 */
export async function leavesStoreUnchanged<T>(
  store: Store,
  what: string,
  attempt: () => Promise<T>,
): Promise<T> {
  const before = await snapshotStore(store);
  const result = await attempt();
  assertSameStore(before, await snapshotStore(store), what);
  return result;
}
