/**
 * Deleting archived observations, inside one transaction: the keys read back from verified archive
 * objects are staged in a temporary table, then exactly the stored rows matching them (same key,
 * same `computed_at`, so a row computed again since is kept) and past their cut-off are deleted. A
 * month partition holding nothing else is dropped whole instead, when the connection may.
 */
import type { PoolClient } from 'pg';
import { monthWindow } from '../archive/layout';
import { cutoffParams, type ObservationCutoffs } from './retention';
import { chunks } from './transaction';

/** Keys per INSERT into the staging table. */
const STAGE_BATCH_ROWS = 10_000;
/** How long the partition drop may wait for its lock before falling back to deleting rows. */
const DROP_LOCK_TIMEOUT = '5s';

export interface ArchivedKey {
  parcelId: string;
  index: string;
  /** As printed in the archive (ISO 8601, UTC, microseconds). */
  acquiredAt: string;
  computedAt: string;
}

/** Creates the transaction's staging table of archived keys (dropped at commit or rollback). */
export async function createArchivedKeyStage(client: PoolClient): Promise<void> {
  await client.query(
    `CREATE TEMP TABLE purge_archived_keys (
       parcel_id bigint NOT NULL, index_name text NOT NULL, acquired_at timestamptz NOT NULL,
       computed_at timestamptz NOT NULL, PRIMARY KEY (parcel_id, index_name, acquired_at)
     ) ON COMMIT DROP`,
  );
}

/** Adds keys read back from a verified archive object to the staging table. */
export async function stageArchivedKeys(
  client: PoolClient,
  keys: readonly ArchivedKey[],
): Promise<void> {
  for (const batch of chunks(keys, STAGE_BATCH_ROWS)) {
    await client.query(
      `INSERT INTO purge_archived_keys
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[])
       ON CONFLICT DO NOTHING`,
      [
        batch.map((k) => k.parcelId),
        batch.map((k) => k.index),
        batch.map((k) => k.acquiredAt),
        batch.map((k) => k.computedAt),
      ],
    );
  }
}

export interface MonthDeletion {
  /** Rows removed, by delete or with their dropped partition. */
  deleted: number;
  /** The partition dropped whole, if one was. */
  partitionDropped: string | null;
  /** Expired rows of the month still stored: not in a verified archive (yet). */
  notArchived: number;
}

/**
 * Deletes the month's stored rows that match a staged archived key and are past their cut-off. When
 * the month's partition holds only such rows it is dropped instead (needs the owner role; without
 * it, or when its lock is not granted quickly, rows are deleted one by one as usual).
 */
export async function deleteStagedObservations(
  client: PoolClient,
  month: string,
  cutoffs: ObservationCutoffs,
): Promise<MonthDeletion> {
  const { start, end } = monthWindow(month);
  const [indices, instants, fallback] = cutoffParams(cutoffs);
  // Only keys past their cut-off may go: an archive may hold rows a longer retention now keeps.
  await client.query(
    `DELETE FROM purge_archived_keys k
      USING (SELECT i.name, COALESCE(c.cutoff, $3::timestamptz) AS cutoff
               FROM (SELECT DISTINCT index_name AS name FROM purge_archived_keys) i
               LEFT JOIN unnest($1::text[], $2::timestamptz[]) AS c(index_name, cutoff)
                 ON c.index_name = i.name) x
      WHERE k.index_name = x.name
        AND (k.acquired_at >= x.cutoff OR k.acquired_at < $4::timestamptz OR k.acquired_at >= $5::timestamptz)`,
    [indices, instants, fallback, start.toISOString(), end.toISOString()],
  );
  const partition = `parcel_observations_${month.replace('-', '_')}`;
  const dropped = await dropPartitionIfArchived(client, partition);
  const deleted = await client.query(
    `DELETE FROM parcel_observations o USING purge_archived_keys k
      WHERE o.parcel_id = k.parcel_id AND o.index_name = k.index_name
        AND o.acquired_at = k.acquired_at AND o.computed_at = k.computed_at
        AND o.acquired_at >= $1::timestamptz AND o.acquired_at < $2::timestamptz`,
    [start.toISOString(), end.toISOString()],
  );
  const left = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n
       FROM parcel_observations o
       LEFT JOIN unnest($1::text[], $2::timestamptz[]) AS c(index_name, cutoff) USING (index_name)
      WHERE o.acquired_at >= $4::timestamptz AND o.acquired_at < $5::timestamptz
        AND o.acquired_at < COALESCE(c.cutoff, $3::timestamptz)`,
    [indices, instants, fallback, start.toISOString(), end.toISOString()],
  );
  return {
    deleted: dropped + (deleted.rowCount ?? 0),
    partitionDropped: dropped > 0 ? partition : null,
    notArchived: left.rows[0]?.n ?? 0,
  };
}

/**
 * Drops the month's partition when every row in it is a staged archived key; returns the rows it
 * held (0 when it was kept). Runs in a savepoint, so a refusal leaves the transaction usable.
 */
async function dropPartitionIfArchived(client: PoolClient, partition: string): Promise<number> {
  const found = await client.query<{ ok: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = 'parcel_observations'::regclass
          AND n.nspname = current_schema() AND c.relname = $1) AS ok`,
    [partition],
  );
  if (!found.rows[0]?.ok) return 0;
  const table = `"${partition.replace(/"/g, '""')}"`;
  await client.query('SAVEPOINT purge_drop_partition');
  try {
    await client.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
    // Nothing may be written into the partition between the check and the drop.
    await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    const counts = await client.query<{ total: number; others: number }>(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE k.parcel_id IS NULL)::int AS others
         FROM ${table} o
         LEFT JOIN purge_archived_keys k
           ON k.parcel_id = o.parcel_id AND k.index_name = o.index_name
          AND k.acquired_at = o.acquired_at AND k.computed_at = o.computed_at`,
    );
    const { total, others } = counts.rows[0] ?? { total: 0, others: 1 };
    if (total === 0 || others > 0) {
      await client.query('ROLLBACK TO SAVEPOINT purge_drop_partition');
      return 0;
    }
    await client.query(`DROP TABLE ${table}`);
    await client.query('SET LOCAL lock_timeout = DEFAULT');
    await client.query('RELEASE SAVEPOINT purge_drop_partition');
    return total;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 42501: not the owner (the writer role); 55P03: the lock was not granted in time.
    if (code !== '42501' && code !== '55P03') throw error;
    await client.query('ROLLBACK TO SAVEPOINT purge_drop_partition');
    return 0;
  }
}
