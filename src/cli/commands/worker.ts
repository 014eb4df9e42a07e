import { type Command, Option } from 'commander';

/** Loaded on use: the worker runtime (Temporal, telemetry) is only needed by this command. */
const workers = () => require('../../workers/main') as typeof import('../../workers/main');

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a Temporal worker for the pipeline (stops gracefully on SIGINT/SIGTERM)')
    .addOption(
      new Option('--queue <queue>', 'which task queues to serve')
        .choices(['io', 'cpu', 'all'])
        .default('all'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ parcelwatch worker\n  $ parcelwatch worker --queue cpu   # a CPU-only worker on a bigger machine',
    )
    .action(async (options: { queue: 'io' | 'cpu' | 'all' }) => {
      await workers().runWorkerProcess(options.queue === 'all' ? ['io', 'cpu'] : [options.queue]);
    });
}
