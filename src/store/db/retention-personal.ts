import { recordAudit } from './audit-log';
import type { Database } from './database';
import { markErased } from './personal-data';
import { inTransaction } from './transaction';

/**
 * Retention of personal data (PARCELWATCH_RETENTION_PERSONAL_DAYS): a parcel's holder name and
 * contact values go once no import has carried them since the cut-off — the register they came
 * from no longer lists them. The parcel, its observations and series stay.
 */

/** Who the audit log names for erasures retention makes. */
export const RETENTION_ACTOR = 'system:retention';
/** Rows erased per statement: the lock footprint of one transaction stays small. */
const ERASE_BATCH_ROWS = 10_000;

/** Personal data records past the cut-off (last imported before it), not yet erased. */
export async function countPersonalDataPastRetention(
  db: Database,
  cutoff: string,
): Promise<number> {
  const result = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM parcel_personal_data
      WHERE erased_at IS NULL AND imported_at < $1::timestamptz`,
    [cutoff],
  );
  return result.rows[0].n;
}

/**
 * Erases the personal data last imported before `cutoff`, in batches, each batch with its audit
 * row (`privacy.retention`, the count and cut-off: no personal value). Idempotent: a re-run finds
 * nothing left. Returns how many records were erased.
 */
export async function erasePersonalDataPastRetention(
  db: Database,
  cutoff: string,
  options: { actor?: string } = {},
): Promise<number> {
  let erased = 0;
  for (;;) {
    const batch = await inTransaction(db.pool, async (client) => {
      const due = await client.query<{ parcel_id: string }>(
        `SELECT parcel_id FROM parcel_personal_data
          WHERE erased_at IS NULL AND imported_at < $1::timestamptz
          ORDER BY parcel_id LIMIT $2
            FOR UPDATE SKIP LOCKED`,
        [cutoff, ERASE_BATCH_ROWS],
      );
      const n = await markErased(
        client,
        due.rows.map((r) => r.parcel_id),
        'retention',
      );
      if (n > 0) {
        await recordAudit(client, {
          actor: options.actor ?? RETENTION_ACTOR,
          action: 'privacy.retention',
          target: 'parcel_personal_data',
          details: { erased: n, importedBefore: cutoff },
        });
      }
      return { n, more: due.rows.length === ERASE_BATCH_ROWS };
    });
    erased += batch.n;
    if (!batch.more) return erased;
  }
}
