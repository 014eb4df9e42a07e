import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { openDatabase } from '../../store/db/database';
import { migrate } from '../../store/db/migrate';
import { schemaStatus } from '../../store/db/status';
import { printJson } from '../output';

export function registerDb(program: Command): void {
  const db = program.command('db').description('Database schema: migrations and status');

  db.command('migrate')
    .description(
      'Create or update the parcelwatch schema, roles and PostGIS (re-running changes nothing)',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ parcelwatch db migrate\n  $ DATABASE_URL=postgres://admin@db:5432/agri PARCELWATCH_DB_SCHEMA=staging parcelwatch db migrate',
    )
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const result = await migrate({
        url: config.database.url,
        schema: config.database.schema,
        log: options.json ? undefined : (message) => console.log(message),
      });
      if (options.json) return printJson(result);
      console.log(
        result.applied.length
          ? `schema ${result.schema}: applied ${result.applied.join(', ')}`
          : `schema ${result.schema}: up to date (${result.alreadyApplied.length} migrations), nothing to do`,
      );
    });

  db.command('status')
    .description(
      'Show applied and pending migrations, PostGIS and the partitioning of observations',
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const database = await openDatabase(config.database, 'parcelwatch-cli');
      try {
        const status = await schemaStatus(database.pool, config.database.schema);
        if (options.json) return printJson(status);
        console.log(`schema:       ${status.schema}`);
        console.log(`applied:      ${status.applied.join(', ') || '(none)'}`);
        console.log(`pending:      ${status.pending.join(', ') || '(none)'}`);
        console.log(`PostGIS:      ${status.postgisVersion ?? 'not installed'}`);
        console.log(
          `observations: ${status.partitioning} (${status.observationPartitions} partitions)`,
        );
        if (status.pending.length) process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
}
