import type { Command } from 'commander';
import { assertAuditLog } from '../audit';
import { withDatabase } from '../database';
import { printJson, printTable } from '../output';
import { parseInstant, parseInteger } from '../parse';

/** Loaded on use, like every database module of the CLI. */
const auditLog = () =>
  require('../../store/db/audit-log') as typeof import('../../store/db/audit-log');

interface ListOptions {
  since?: string;
  action?: string;
  actor?: string;
  target?: string;
  limit: string;
  json?: boolean;
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('The audit log: who imported, watched, scheduled, ran, purged, managed keys');

  audit
    .command('list')
    .description('Audit entries, newest first')
    .option('--since <instant>', 'only entries from this instant on, ISO 8601')
    .option('--action <action>', 'an action (schedule.pause) or an area (schedule)')
    .option('--actor <actor>', 'only this actor, e.g. cli:alice or key:dashboard@team-a')
    .option('--target <target>', 'only this target, e.g. schedule:parcelwatch-weekly')
    .option('--limit <n>', 'at most this many entries', '100')
    .option('--json', 'print the entries as JSON')
    .addHelpText(
      'after',
      `
The log is append-only: the database refuses to change or delete its rows for every role but the
schema's owner. Actors: cli:<user> (PARCELWATCH_ACTOR, else the OS user) and key:<name>@<team>.

Examples:
  $ parcelwatch audit list --since 2026-11-01T00:00:00Z
  $ parcelwatch audit list --action parcels --json
  $ parcelwatch audit list --actor cli:alice --limit 20`,
    )
    .action(async (options: ListOptions) => {
      const filter = {
        since: options.since === undefined ? undefined : parseInstant(options.since, '--since'),
        action: options.action,
        actor: options.actor,
        target: options.target,
        limit: parseInteger(options.limit, '--limit', 1),
      };
      await withDatabase(async (db) => {
        await assertAuditLog(db);
        const entries = await auditLog().listAudit(db, filter);
        if (options.json) return printJson(entries);
        printTable(
          entries.map((e) => ({
            at: e.at.slice(0, 19).replace('T', ' '),
            actor: e.actor,
            action: e.action,
            target: e.target ?? '',
            details: JSON.stringify(e.details),
          })),
        );
      });
    });
}
