import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { currentActor } from '../../core/actor';
import { BadInputError, ConfigError } from '../../core/errors';
import type { Database } from '../../store/db/database';
import { assertAuditLog } from '../audit';
import { withDatabase } from '../database';
import { printJson, printTable } from '../output';
import { parseList } from '../parse';

/** Loaded on use: Fastify and the database driver are not needed by other commands. */
const server = () => require('../../api/server') as typeof import('../../api/server');
const keys = () => require('../../store/db/api-keys') as typeof import('../../store/db/api-keys');
const auditLog = () =>
  require('../../store/db/audit-log') as typeof import('../../store/db/audit-log');
const database = () =>
  require('../../store/db/database') as typeof import('../../store/db/database');

export function registerApi(program: Command): void {
  const api = program.command('api').description('The HTTP API: serve it, manage its keys');

  api
    .command('serve')
    .description('Serve the HTTP API (OpenAPI document at /openapi.json) until SIGINT/SIGTERM')
    .option('--port <port>', 'port (default: PARCELWATCH_API_PORT, 8750; 0 picks a free one)')
    .option('--host <host>', 'interface (default: PARCELWATCH_API_HOST, 127.0.0.1)')
    .addHelpText(
      'after',
      `
Examples:
  $ parcelwatch api keys create --name analyst --team team-a     # prints the key once
  $ parcelwatch api serve --port 8750
  $ curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8750/v1/parcels?limit=5`,
    )
    .action(async (options: { port?: string; host?: string }) => {
      const config = loadConfig();
      const port = options.port === undefined ? config.api.port : portNumber(options.port);
      const db = await database().openDatabase(config.database, 'parcelwatch-api');
      try {
        await assertMigrated(db);
        // Keys read as their team's role and writes are audited: both come with the audit log.
        await assertAuditLog(db);
        const app = await server().buildApiServer({ db, config: config.api, logger: true });
        const closed = new Promise<void>((resolve) =>
          app.addHook('onClose', async () => resolve()),
        );
        const stop = () => void app.close();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const address = await app.listen({ host: options.host ?? config.api.host, port });
        console.error(`parcelwatch API listening on ${address} (OpenAPI: ${address}/openapi.json)`);
        await closed;
      } finally {
        await db.close();
      }
    });

  const keysCommand = api.command('keys').description('API keys (stored hashed; shown once)');
  keysCommand
    .command('create')
    .description('Create a key and print it (the only time it is shown)')
    .requiredOption('--name <name>', 'what the key is for, e.g. "dashboard" or a person')
    .requiredOption('--team <team>', 'the team the key belongs to, e.g. team-a')
    .option('--scopes <list>', 'read and/or write, comma-separated', 'read')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ parcelwatch api keys create --name dashboard --team team-a\n  $ parcelwatch api keys create --name importer --team team-a --scopes read,write --json',
    )
    .action(async (options: { name: string; team: string; scopes: string; json?: boolean }) => {
      await withApiDatabase(async (db) => {
        const scopes = keys().parseScopes(parseList(options.scopes) ?? []);
        // The key reads as its team's role: a new team gets one first; both are recorded.
        const created = await keys().createApiKey(
          db,
          { name: options.name, team: options.team, scopes },
          { actor: currentActor() },
        );
        if (options.json) return printJson(created);
        console.log(created.key);
        console.error(
          `created key ${created.record.prefix} (id ${created.record.id}, team ${created.record.team}, scopes ${created.record.scopes.join(',')}); store it now, it is not shown again`,
        );
      });
    });

  keysCommand
    .command('list')
    .description('List keys (never the keys themselves): id, prefix, team, scopes, last use')
    .option('--all', 'include revoked keys')
    .option('--json', 'print the result as JSON')
    .action(async (options: { all?: boolean; json?: boolean }) => {
      await withApiDatabase(async (db) => {
        const list = await keys().listApiKeys(db, { includeRevoked: options.all });
        if (options.json) return printJson(list);
        printTable(
          list.map((k) => ({
            id: k.id,
            prefix: k.prefix,
            name: k.name,
            team: k.team,
            scopes: k.scopes.join(','),
            created: k.createdAt.slice(0, 19).replace('T', ' '),
            'last used': k.lastUsedAt?.slice(0, 19).replace('T', ' ') ?? 'never',
            revoked: k.revokedAt?.slice(0, 19).replace('T', ' ') ?? '',
          })),
        );
      });
    });

  keysCommand
    .command('revoke <key>')
    .description('Revoke a key by id or prefix (pw_…); requests with it get 401 from then on')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      await withApiDatabase(async (db) => {
        const revoked = await keys().revokeApiKey(db, ref);
        if (!revoked) {
          throw new BadInputError(`no API key ${ref}; see \`parcelwatch api keys list\``, {
            code: 'API_KEY_UNKNOWN',
          });
        }
        await auditLog().recordAudit(db, {
          actor: currentActor(),
          action: 'api-key.revoke',
          target: `api-key:${revoked.prefix}`,
          details: { name: revoked.name, team: revoked.team, revokedAt: revoked.revokedAt },
        });
        if (options.json) return printJson(revoked);
        console.log(
          `revoked ${revoked.prefix} (id ${revoked.id}, ${revoked.name}) at ${revoked.revokedAt}`,
        );
      });
    });
}

/** The shared `withDatabase`, refusing a database whose schema predates API keys or the audit log. */
async function withApiDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  return withDatabase(async (db) => {
    await assertMigrated(db);
    await assertAuditLog(db);
    return fn(db);
  });
}

async function assertMigrated(db: Database): Promise<void> {
  const found = await db.pool.query<{ table: string | null }>(
    "SELECT to_regclass('api_keys')::text AS table",
  );
  if (!found.rows[0]?.table) {
    throw new ConfigError(
      `schema ${db.schema} has no api_keys table; run \`parcelwatch db migrate\` first`,
      { code: 'DB_NOT_MIGRATED' },
    );
  }
}

function portNumber(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new BadInputError(`--port ${text} is not a port (0–65535)`, { code: 'OPTION_INVALID' });
  }
  return port;
}
