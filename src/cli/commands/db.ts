import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { printJson } from '../output';

/** Loaded on use, like every database module of the CLI (pg and drizzle are slow to load). */
const database = () =>
  require('../../store/db/database') as typeof import('../../store/db/database');
const migrations = () =>
  require('../../store/db/migrate') as typeof import('../../store/db/migrate');
const status = () => require('../../store/db/status') as typeof import('../../store/db/status');

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
      const result = await migrations().migrate({
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
      const opened = await database().openDatabase(config.database, 'parcelwatch-cli');
      try {
        const schema = await status().schemaStatus(opened.pool, config.database.schema);
        if (options.json) return printJson(schema);
        console.log(`schema:       ${schema.schema}`);
        console.log(`applied:      ${schema.applied.join(', ') || '(none)'}`);
        console.log(`pending:      ${schema.pending.join(', ') || '(none)'}`);
        console.log(`PostGIS:      ${schema.postgisVersion ?? 'not installed'}`);
        console.log(
          `observations: ${schema.partitioning} (${schema.observationPartitions} partitions)`,
        );
        if (schema.pending.length) process.exitCode = 1;
      } finally {
        await opened.close();
      }
    });
}
