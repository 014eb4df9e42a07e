import type { Command } from 'commander';
import { loadConfig } from '../../config';
import type { SchemaStatus } from '../../store/db/status';
import { printJson } from '../output';

/** Loaded on use: the Temporal client takes most of a second to load, and few commands need it. */
const temporal = () =>
  require('../../temporal/connection') as typeof import('../../temporal/connection');

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'Run the checkDatabase workflow through Temporal: proves worker, database and schema are ready',
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const client = await temporal().connectClient(config.temporal);
      try {
        const status: SchemaStatus = await client.workflow.execute('checkDatabase', {
          taskQueue: config.temporal.taskQueues.io,
          workflowId: `check-database-${Date.now()}`,
          workflowExecutionTimeout: '2 minutes',
          args: [],
        });
        if (options.json) return printJson(status);
        console.log(
          `ready: schema ${status.schema}, ${status.applied.length} migrations, PostGIS ${status.postgisVersion}, observations ${status.partitioning} (${status.observationPartitions} partitions)`,
        );
      } finally {
        await client.connection.close();
      }
    });
}
