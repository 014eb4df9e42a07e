import { Command } from 'commander';
import { redactSecrets } from '../telemetry/redact';
import { registerApi } from './commands/api';
import { registerAudit } from './commands/audit';
import { registerCheck } from './commands/check';
import { registerCompute } from './commands/compute';
import { registerCosts } from './commands/costs';
import { registerDatasets } from './commands/datasets';
import { registerDb } from './commands/db';
import { registerExport } from './commands/export';
import { registerLineage } from './commands/lineage';
import { registerParcels } from './commands/parcels';
import { registerPipeline } from './commands/pipeline';
import { registerPrivacy } from './commands/privacy';
import { registerPurge } from './commands/purge';
import { registerSchedule } from './commands/schedule';
import { registerStatus } from './commands/status';
import { registerTeams } from './commands/teams';
import { registerWorker } from './commands/worker';
import { EXIT, exitCodeFor } from './exit-codes';

export function buildProgram(): Command {
  const program = new Command('parcelwatch')
    .description('Per-parcel Sentinel-2 vegetation-index time series, every week, durably')
    .showHelpAfterError()
    .addHelpText(
      'after',
      `\nExit codes: ${EXIT.ok} ok, ${EXIT.failed} failed, ${EXIT.usage} bad usage/input/configuration, ${EXIT.unavailable} a service did not answer.\nConfiguration comes from environment variables (see README).`,
    );
  registerDb(program);
  registerWorker(program);
  registerCheck(program);
  registerCompute(program);
  registerParcels(program);
  registerPipeline(program);
  registerPrivacy(program);
  registerSchedule(program);
  registerStatus(program);
  registerPurge(program);
  registerApi(program);
  registerTeams(program);
  registerAudit(program);
  registerExport(program);
  registerDatasets(program);
  registerLineage(program);
  registerCosts(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    // The last net for secrets: a message that quotes a setting never shows its password or token.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`parcelwatch: ${redactSecrets(message)}`);
    process.exitCode = exitCodeFor(error);
  }
}

if (require.main === module) void main();
