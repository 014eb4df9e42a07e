import { currentActor } from '../core/actor';
import { ConfigError } from '../core/errors';
import type { AuditEntry } from '../store/db/audit-log';
import type { Database } from '../store/db/database';
import { withDatabase } from './database';

/** Loaded on use, like every database module of the CLI. */
const auditLog = () => require('../store/db/audit-log') as typeof import('../store/db/audit-log');

/** An entry of the command's actor: `record` adds who. */
export type RecordAction = (entry: Omit<AuditEntry, 'actor'>) => Promise<void>;

/**
 * Runs an admin action that happens outside the database (a Temporal schedule or workflow) and
 * records it in the audit log as `currentActor()`. The database and its audit log are checked
 * before the action, so an action that could not be recorded is not taken; `record` is called once
 * the action succeeded, with what it did.
 */
export async function withAuditLog<T>(fn: (record: RecordAction) => Promise<T>): Promise<T> {
  return withDatabase(async (db) => {
    await assertAuditLog(db);
    const actor = currentActor();
    return fn(async (entry) => {
      try {
        await auditLog().recordAudit(db, { actor, ...entry });
      } catch (error) {
        throw new Error(
          `${entry.action} ${entry.target ?? ''} was done, but recording it in the audit log failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
    });
  });
}

/** Refuses a schema whose migrations predate the audit log, before anything is done. */
export async function assertAuditLog(db: Database): Promise<void> {
  const found = await db.pool.query<{ table: string | null }>(
    "SELECT to_regclass('audit_log')::text AS table",
  );
  if (!found.rows[0]?.table) {
    throw new ConfigError(
      `schema ${db.schema} has no audit_log table, so admin actions cannot be recorded; run \`parcelwatch db migrate\` first`,
      { code: 'DB_NOT_MIGRATED' },
    );
  }
}
