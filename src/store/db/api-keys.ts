import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BadInputError } from '../../core/errors';
import { recordAudit } from './audit-log';
import type { Database } from './database';
import { ensureTeam } from './team-access';
import { inTransaction } from './transaction';

/**
 * API keys (`api_keys`). A key reads `pw_<prefix>_<secret>`: the prefix (10 characters, public)
 * finds the row, the SHA-256 of the whole key proves possession. Only the hash is stored; the key
 * is returned once, by `createApiKey`. SHA-256 rather than scrypt: the secret is 256 random bits,
 * out of reach of any guessing, so a slow hash would only add tens of milliseconds of CPU to every
 * request (and an easy way to exhaust the server).
 */

export const API_SCOPES = ['read', 'write'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Random bytes of the prefix: 5 bytes = 10 hex characters, enough to tell keys apart. */
const PREFIX_BYTES = 5;
/** Random bytes of the secret: 256 bits, beyond brute force. */
const SECRET_BYTES = 32;
const KEY_PATTERN = /^pw_([0-9a-f]{10})_([A-Za-z0-9_-]{43})$/;
/** Longest team or key name accepted: a label, not a document. */
const MAX_LABEL_LENGTH = 100;

export interface ApiKeyRecord {
  id: number;
  name: string;
  team: string;
  scopes: ApiScope[];
  /** `pw_<prefix>`: the public part, safe to show and log. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface NewApiKey {
  name: string;
  team: string;
  /** @default ['read'] */
  scopes?: readonly string[];
}

/** The outcome of presenting a key: only the holder of a real key learns that it was revoked. */
export type ApiKeyCheck =
  | { status: 'valid'; key: ApiKeyRecord }
  | { status: 'revoked'; key: ApiKeyRecord }
  | { status: 'unknown' };

/**
 * Creates a key; the returned `key` is the only time the secret exists outside its holder. The
 * key's team gets its database role first if it has none (`ensureTeam`): the key reads as it. With
 * an `actor`, both are recorded in the audit log (`api-key.create` in the key's own transaction).
 */
export async function createApiKey(
  db: Database,
  input: NewApiKey,
  options: { actor?: string } = {},
): Promise<{ key: string; record: ApiKeyRecord }> {
  const name = label(input.name, 'name');
  const team = label(input.team, 'team');
  const scopes = parseScopes(input.scopes ?? ['read']);
  await ensureTeam(db, team, options.actor);
  const prefix = randomBytes(PREFIX_BYTES).toString('hex');
  const key = `pw_${prefix}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
  const record = await inTransaction(db.pool, async (client) => {
    const rows = await client.query<ApiKeyRow>(
      `INSERT INTO api_keys (name, team, scopes, prefix, key_hash)
       VALUES ($1, $2, $3::text[], $4, $5) RETURNING ${COLUMNS}`,
      [name, team, scopes, prefix, hashApiKey(key)],
    );
    const created = toRecord(rows.rows[0]!);
    if (options.actor) {
      await recordAudit(client, {
        actor: options.actor,
        action: 'api-key.create',
        target: `api-key:${created.prefix}`,
        details: { name: created.name, team: created.team, scopes },
      });
    }
    return created;
  });
  return { key, record };
}

/** Checks a presented key: format, prefix lookup, constant-time hash comparison, revocation. */
export async function checkApiKey(db: Database, presented: string): Promise<ApiKeyCheck> {
  const match = KEY_PATTERN.exec(presented);
  if (!match) return { status: 'unknown' };
  const rows = await db.pool.query<ApiKeyRow & { key_hash: string }>(
    `SELECT ${COLUMNS}, key_hash FROM api_keys WHERE prefix = $1`,
    [match[1]],
  );
  const row = rows.rows[0];
  if (!row) return { status: 'unknown' };
  const stored = Buffer.from(row.key_hash, 'hex');
  const given = Buffer.from(hashApiKey(presented), 'hex');
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) {
    return { status: 'unknown' };
  }
  const key = toRecord(row);
  return key.revokedAt ? { status: 'revoked', key } : { status: 'valid', key };
}

/** Records that a key was used now (callers throttle: this is a write). */
export async function touchApiKey(db: Database, id: number): Promise<void> {
  await db.pool.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
}

/** Keys, oldest first; revoked ones only when asked. */
export async function listApiKeys(
  db: Database,
  options: { includeRevoked?: boolean } = {},
): Promise<ApiKeyRecord[]> {
  const rows = await db.pool.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM api_keys WHERE $1 OR revoked_at IS NULL ORDER BY id`,
    [options.includeRevoked ?? false],
  );
  return rows.rows.map(toRecord);
}

/**
 * Revokes a key given by id or by prefix (`pw_3f9a1c2b7d` or `3f9a1c2b7d`); a key revoked before
 * keeps its first revocation time. Returns the key, or undefined when none matches.
 */
export async function revokeApiKey(db: Database, ref: string): Promise<ApiKeyRecord | undefined> {
  const trimmed = ref.trim();
  const byId = /^\d+$/.test(trimmed);
  const prefix = trimmed.replace(/^pw_/, '').split('_')[0] ?? '';
  if (!byId && !/^[0-9a-f]{10}$/.test(prefix)) {
    throw new BadInputError(
      `"${ref}" is neither a key id nor a key prefix (pw_ and 10 hex digits); see \`parcelwatch api keys list\``,
      { code: 'API_KEY_REF_INVALID' },
    );
  }
  const rows = await db.pool.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
      WHERE ${byId ? 'id = $1::bigint' : 'prefix = $1'} RETURNING ${COLUMNS}`,
    [byId ? trimmed : prefix],
  );
  return rows.rows[0] && toRecord(rows.rows[0]);
}

/** SHA-256 of the whole key, hex: what `api_keys.key_hash` holds. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Scopes from user input, deduplicated, in canonical order; a clear error for anything else. */
export function parseScopes(scopes: readonly string[]): ApiScope[] {
  const wanted = new Set(scopes.map((s) => s.trim().toLowerCase()).filter(Boolean));
  const unknown = [...wanted].filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || wanted.size === 0) {
    throw new BadInputError(
      `API key scopes ${JSON.stringify([...scopes])} are not valid; give one or more of ${API_SCOPES.join(', ')}`,
      { code: 'API_KEY_SCOPE_INVALID' },
    );
  }
  return API_SCOPES.filter((s) => wanted.has(s));
}

function label(value: string, what: string): string {
  const trimmed = (value ?? '').trim();
  if (!trimmed || trimmed.length > MAX_LABEL_LENGTH) {
    throw new BadInputError(
      `API key ${what} "${value}" must be 1 to ${MAX_LABEL_LENGTH} characters`,
      { code: 'API_KEY_LABEL_INVALID' },
    );
  }
  return trimmed;
}

const COLUMNS = 'id, name, team, scopes, prefix, created_at, last_used_at, revoked_at';

interface ApiKeyRow {
  id: string;
  name: string;
  team: string;
  scopes: ApiScope[];
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: Number(row.id),
    name: row.name,
    team: row.team,
    scopes: row.scopes,
    prefix: `pw_${row.prefix}`,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}
