import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from 'pg';
import { ConfigError } from '../../core/errors';
import { packageRoot } from '../../package-root';
import { connectClient, redactUrl, searchPath } from './connection';
import { roleNames } from './roles';

/** Where drizzle-kit writes migrations (`npm run db:generate`); shipped with the package. */
export const MIGRATIONS_DIR = path.join(packageRoot(), 'db', 'migrations');
const STATEMENT_BREAKPOINT = '--> statement-breakpoint';

export interface MigrateOptions {
  /** An admin connection: creates the extension, the roles and the schema. */
  url: string;
  schema: string;
  migrationsDir?: string;
  log?: (message: string) => void;
}

export interface MigrateResult {
  schema: string;
  applied: string[];
  alreadyApplied: string[];
  timescaledb: boolean;
}

interface Migration {
  tag: string;
  sql: string;
  hash: string;
}

/**
 * Brings the schema up to date: PostGIS (and TimescaleDB when the server preloads it), the owner,
 * writer and reader roles, the schema itself, then each pending migration in its own transaction,
 * run as the owner role so every object belongs to it. Re-running changes nothing. A migration
 * edited after it was applied is refused: migrations are append-only.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const migrations = await readMigrations(options.migrationsDir ?? MIGRATIONS_DIR);
  const client = await connectClient(options.url);
  const roles = roleNames(options.schema);
  try {
    // One migrator per schema at a time; others wait here.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [
      `parcelwatch-migrate:${options.schema}`,
    ]);
    await ensureExtension(client, options.url, 'postgis', true);
    const timescaledb = await ensureTimescale(client);
    const extensionSchema = await extensionSchemaOf(client, 'postgis');
    await ensureRoles(client, options.url, roles);
    await client.query(
      `CREATE SCHEMA IF NOT EXISTS ${ident(options.schema)} AUTHORIZATION ${ident(roles.owner)}`,
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${ident(options.schema)}.schema_migrations (
         tag text PRIMARY KEY, hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await client.query(
      `ALTER TABLE ${ident(options.schema)}.schema_migrations OWNER TO ${ident(roles.owner)}`,
    );
    const done = new Map(
      (
        await client.query<{ tag: string; hash: string }>(
          `SELECT tag, hash FROM ${ident(options.schema)}.schema_migrations`,
        )
      ).rows.map((r) => [r.tag, r.hash]),
    );
    const applied: string[] = [];
    const alreadyApplied: string[] = [];
    for (const migration of migrations) {
      const previous = done.get(migration.tag);
      if (previous !== undefined) {
        if (previous !== migration.hash) {
          throw new ConfigError(
            `Migration ${migration.tag} was changed after it was applied to schema ${options.schema}; migrations are append-only — revert the edit and add a new migration (npm run db:generate)`,
            { code: 'MIGRATION_CHANGED' },
          );
        }
        alreadyApplied.push(migration.tag);
        continue;
      }
      log(`applying ${migration.tag}`);
      await applyMigration(client, options.schema, extensionSchema, roles.owner, migration);
      applied.push(migration.tag);
    }
    return { schema: options.schema, applied, alreadyApplied, timescaledb };
  } finally {
    await client
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`parcelwatch-migrate:${options.schema}`])
      .catch(() => undefined);
    await client.end();
  }
}

/** The migrations shipped with this code, in journal order. */
export async function readMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const journal = JSON.parse(await readFile(path.join(dir, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ tag: string }>;
  };
  return Promise.all(
    journal.entries.map(async ({ tag }) => {
      const text = await readFile(path.join(dir, `${tag}.sql`), 'utf8');
      // drizzle-kit qualifies foreign keys of schema-less tables with "public"; the schema of an
      // environment comes from search_path instead, so the qualifier is dropped.
      const sql = text.replace(/REFERENCES "public"\./g, 'REFERENCES ');
      return { tag, sql, hash: createHash('sha256').update(text).digest('hex') };
    }),
  );
}

async function applyMigration(
  client: Client,
  schema: string,
  extensionSchema: string,
  owner: string,
  migration: Migration,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL ROLE ${ident(owner)}`);
    await client.query(`SET LOCAL search_path TO ${searchPath(schema, extensionSchema)}`);
    for (const statement of migration.sql.split(STATEMENT_BREAKPOINT)) {
      if (statement.trim()) await client.query(statement);
    }
    await client.query('INSERT INTO schema_migrations (tag, hash) VALUES ($1, $2)', [
      migration.tag,
      migration.hash,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      `Migration ${migration.tag} failed in schema ${schema}: ${detail}; nothing of it was applied`,
      {
        code: 'MIGRATION_FAILED',
        cause: error,
      },
    );
  }
}

async function ensureExtension(
  client: Client,
  url: string,
  name: string,
  required: boolean,
): Promise<boolean> {
  const installed = await client.query('SELECT 1 FROM pg_extension WHERE extname = $1', [name]);
  if (installed.rowCount) return true;
  const available = await client.query('SELECT 1 FROM pg_available_extensions WHERE name = $1', [
    name,
  ]);
  if (!available.rowCount) {
    if (!required) return false;
    throw new ConfigError(
      `The PostgreSQL server of DATABASE_URL=${redactUrl(url)} has no ${name} extension; install PostGIS 3 there (Debian: apt-get install postgresql-15-postgis-3, or run \`npm run provision\` as root), or set DATABASE_URL to a server with PostGIS`,
      { code: 'DB_NO_POSTGIS' },
    );
  }
  try {
    await client.query(`CREATE EXTENSION IF NOT EXISTS ${ident(name)}`);
  } catch (error) {
    throw new ConfigError(
      `Cannot create extension ${name} with DATABASE_URL=${redactUrl(url)}: ${(error as Error).message}; run the migration once as a superuser, or ask a DBA to run CREATE EXTENSION ${name}`,
      { code: 'DB_EXTENSION', cause: error },
    );
  }
  return true;
}

/** TimescaleDB is used when the server both offers and preloads it; never required. */
async function ensureTimescale(client: Client): Promise<boolean> {
  const installed = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if (installed.rowCount) return true;
  const preload = await client.query<{ libs: string | null }>(
    "SELECT current_setting('shared_preload_libraries', true) AS libs",
  );
  if (!preload.rows[0]?.libs?.includes('timescaledb')) return false;
  return ensureExtension(client, '', 'timescaledb', false).catch(() => false);
}

async function extensionSchemaOf(client: Client, extension: string): Promise<string> {
  const result = await client.query<{ nspname: string }>(
    'SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = $1',
    [extension],
  );
  return result.rows[0]?.nspname ?? 'public';
}

async function ensureRoles(
  client: Client,
  url: string,
  roles: ReturnType<typeof roleNames>,
): Promise<void> {
  for (const role of [roles.owner, roles.writer, roles.reader]) {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (exists.rowCount) continue;
    try {
      await client.query(`CREATE ROLE ${ident(role)} NOLOGIN`);
    } catch (error) {
      throw new ConfigError(
        `Cannot create role ${role} with DATABASE_URL=${redactUrl(url)}: ${(error as Error).message}; run the migration as a user with CREATEROLE, or ask a DBA to create the roles ${roles.owner}, ${roles.writer} and ${roles.reader}`,
        { code: 'DB_ROLES', cause: error },
      );
    }
  }
  // The migrating user must be able to act as the owner (implicit for superusers).
  const member = await client.query('SELECT pg_has_role(current_user, $1, $2) AS ok', [
    roles.owner,
    'MEMBER',
  ]);
  if (!member.rows[0]?.ok) await client.query(`GRANT ${ident(roles.owner)} TO CURRENT_USER`);
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
