import type { Command } from 'commander';
import { currentActor } from '../../core/actor';
import { assertAuditLog } from '../audit';
import { withDatabase } from '../database';
import { printJson, printTable } from '../output';

/** Loaded on use, like every database module of the CLI. */
const teams = () =>
  require('../../store/db/team-access') as typeof import('../../store/db/team-access');

export function registerTeams(program: Command): void {
  const command = program
    .command('teams')
    .description('Teams and what they may read (row-level security by owner team)')
    .addHelpText(
      'after',
      `
Each team has a database role, <schema>_team_<team>. Whoever holds it (a person granted it by a DBA,
or an API key of the team) reads the parcels, observations and weekly rows the team owns, plus those
of the teams it was granted; the writer role (pipeline, API server, CLI) reads everything.
Every change is recorded in the audit log.

Examples:
  $ parcelwatch teams add team-b
  $ psql -c 'GRANT parcelwatch_team_team_b TO alice'
  $ parcelwatch teams grant team-b --read team-a     # team-b may read team-a's parcels
  $ parcelwatch teams list`,
    );

  command
    .command('add <team...>')
    .description(
      'Give teams their database role (needs CREATEROLE); known teams are left as they are',
    )
    .option('--json', 'print the result as JSON')
    .action(async (names: string[], options: { json?: boolean }) => {
      await withTeamsDatabase(async (db) => {
        const results = [];
        for (const name of names) {
          results.push(await teams().ensureTeam(db, name, currentActor()));
        }
        if (options.json) return printJson(results);
        for (const r of results) {
          console.log(
            r.created
              ? `team ${r.team}: role ${r.role} created; grant it to people with GRANT ${r.role} TO <user>`
              : `team ${r.team}: role ${r.role} already there, nothing changed`,
          );
        }
      });
    });

  command
    .command('list')
    .description('Teams with their role and the teams they may read')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await withTeamsDatabase(async (db) => {
        const list = await teams().listTeams(db);
        if (options.json) return printJson(list);
        printTable(
          list.map((t) => ({ team: t.team, role: t.role, 'also reads': t.reads.join(', ') })),
        );
      });
    });

  for (const granted of [true, false]) {
    const verb = granted ? 'grant' : 'revoke';
    command
      .command(`${verb} <team>`)
      .description(
        granted
          ? "Let a team read another team's parcels, observations and weekly rows"
          : 'Stop a team reading another team (its own parcels stay readable)',
      )
      .requiredOption('--read <team>', 'the team whose data is concerned')
      .option('--json', 'print the result as JSON')
      .action(async (team: string, options: { read: string; json?: boolean }) => {
        await withTeamsDatabase(async (db) => {
          const changed = await teams().setTeamGrant(
            db,
            { team, readsTeam: options.read, granted },
            currentActor(),
          );
          if (options.json) return printJson({ team, reads: options.read, granted, changed });
          const state = granted ? 'may read' : 'no longer reads';
          console.log(
            changed
              ? `team ${team} ${state} team ${options.read}`
              : `team ${team} already ${granted ? 'could read' : 'did not read'} team ${options.read}, nothing changed`,
          );
        });
      });
  }
}

async function withTeamsDatabase<T>(
  fn: (db: import('../../store/db/database').Database) => Promise<T>,
): Promise<T> {
  return withDatabase(async (db) => {
    await assertAuditLog(db);
    return fn(db);
  });
}
