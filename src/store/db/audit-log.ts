import type { PoolClient } from 'pg';
import { BadInputError } from '../../core/errors';
import type { Database } from './database';

/**
 * The audit log (`audit_log`, migration 0005): who did what, when, to what, in which environment.
 * Append-only: the database refuses UPDATE, DELETE and TRUNCATE to every role but the owner, and
 * stamps the time and environment itself. Record an action in the transaction that performs it
 * when there is one (pass its client), so the action and its record commit or vanish together.
 */

export interface AuditEntry {
  /** Who: `cli:<user>` for the CLI (see `currentActor`), `key:<name>@<team>` for an API key. */
  actor: string;
  /** What, as `area.verb`: `parcels.watch`, `schedule.pause`, `api-key.create`, … */
  action: string;
  /** What it was done to: a source, a workflow id, a schedule id, a key prefix, a team. */
  target?: string;
  /** The rest worth keeping (counts, options); long arrays and strings are shortened. */
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  id: number;
  /** When the database recorded it (ISO 8601). */
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  /** The environment (database schema) the action changed. */
  environment: string;
}

export interface AuditFilter {
  /** Only entries recorded at or after this instant. */
  since?: Date;
  /** An action (`schedule.pause`) or an area (`schedule`: every `schedule.*`). */
  action?: string;
  actor?: string;
  target?: string;
  /** Most entries returned, newest first. @default DEFAULT_AUDIT_LIMIT */
  limit?: number;
}

/** Where an entry is written: the database, or the client of the transaction doing the action. */
export type AuditWriter = Database | Pick<PoolClient, 'query'>;

/** Entries `listAudit` returns unless asked: a screenful of recent history. */
export const DEFAULT_AUDIT_LIMIT = 100;
/** Array items and string characters kept in details: an audit row records, it does not archive. */
const MAX_DETAIL_ITEMS = 20;
const MAX_DETAIL_CHARS = 500;
const MAX_DETAIL_DEPTH = 5;
const ACTION_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;
const MAX_ACTOR_LENGTH = 200;
const MAX_TARGET_LENGTH = 1000;

/** Appends one entry and returns it as stored. */
export async function recordAudit(db: AuditWriter, entry: AuditEntry): Promise<AuditRecord> {
  const actor = entry.actor.trim();
  if (!actor || actor.length > MAX_ACTOR_LENGTH) {
    throw new BadInputError(
      `audit actor "${entry.actor}" must be 1 to ${MAX_ACTOR_LENGTH} characters; set PARCELWATCH_ACTOR to who you are`,
      { code: 'AUDIT_ACTOR_INVALID' },
    );
  }
  if (!ACTION_PATTERN.test(entry.action)) {
    throw new BadInputError(
      `audit action "${entry.action}" must read area.verb in lower case, e.g. parcels.watch`,
      { code: 'AUDIT_ACTION_INVALID' },
    );
  }
  const target =
    entry.target === undefined ? null : entry.target.slice(0, MAX_TARGET_LENGTH) || null;
  const queryable = 'pool' in db ? db.pool : db;
  const rows = await queryable.query<AuditRow>(
    `INSERT INTO audit_log (actor, action, target, details, environment)
     VALUES ($1, $2, $3, $4::jsonb, current_schema()) RETURNING ${COLUMNS}`,
    [actor, entry.action, target, JSON.stringify(compact(entry.details ?? {}, 0))],
  );
  return toRecord(rows.rows[0]!);
}

/** Entries matching every filter given, newest first. */
export async function listAudit(db: Database, filter: AuditFilter = {}): Promise<AuditRecord[]> {
  const limit = filter.limit ?? DEFAULT_AUDIT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new BadInputError(`audit limit ${limit} must be a whole number of 1 or more`, {
      code: 'AUDIT_LIMIT_INVALID',
    });
  }
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.since) where.push(`at >= ${param(filter.since.toISOString())}::timestamptz`);
  if (filter.action !== undefined) {
    const action = param(filter.action);
    where.push(`(action = ${action} OR starts_with(action, ${action} || '.'))`);
  }
  if (filter.actor !== undefined) where.push(`actor = ${param(filter.actor)}`);
  if (filter.target !== undefined) where.push(`target = ${param(filter.target)}`);
  const rows = await db.pool.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_log
      WHERE ${where.length ? where.join(' AND ') : 'true'}
      ORDER BY id DESC LIMIT ${param(limit)}`,
    values,
  );
  return rows.rows.map(toRecord);
}

/** Details as kept: arrays cut to their first items, long strings cut, deep nesting summarised. */
function compact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length > MAX_DETAIL_CHARS
      ? `${value.slice(0, MAX_DETAIL_CHARS)}… (${value.length} characters)`
      : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DETAIL_DEPTH) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_DETAIL_ITEMS).map((item) => compact(item, depth + 1));
    if (value.length > MAX_DETAIL_ITEMS) kept.push(`… and ${value.length - MAX_DETAIL_ITEMS} more`);
    return kept;
  }
  if (value instanceof Date) return value.toISOString();
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, compact(v, depth + 1)]),
  );
}

const COLUMNS = 'id, at, actor, action, target, details, environment';

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  environment: string;
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: Number(row.id),
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: row.details,
    environment: row.environment,
  };
}
