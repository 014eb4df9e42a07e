import { Command, InvalidArgumentError } from 'commander';
import { startStacServer } from './server';

/**
 * tsx scripts/stac-server/main.ts --data DIR [--data DIR2] [--port N] [--host H]: serves the
 * synthetic data as a STAC API until SIGINT or SIGTERM. Faults: POST /_admin/faults.
 */
const program = new Command()
  .name('stac-server')
  .description('Local STAC API over synthetic Sentinel-2 data, with fault injection')
  .requiredOption(
    '--data <dir>',
    'data directory (items/, cogs/); repeatable',
    (v: string, p: string[] = []) => [...p, v],
  )
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option(
    '--port <n>',
    'port (0 = any free port)',
    (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535)
        throw new InvalidArgumentError(`"${v}" is not a port`);
      return n;
    },
    0,
  );

async function main(): Promise<void> {
  const options = program.parse().opts<{ data: string[]; host: string; port: number }>();
  const server = await startStacServer({
    dataDirs: options.data,
    host: options.host,
    port: options.port,
  });
  console.log(`STAC API at ${server.url}/ (data: ${options.data.join(', ')})`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
