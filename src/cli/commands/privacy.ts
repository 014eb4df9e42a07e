import type { Command } from 'commander';
import { currentActor } from '../../core/actor';
import { writeFileAtomically } from '../../core/atomic-file';
import { withDatabase } from '../database';
import { printJson } from '../output';

const personalData = () =>
  require('../../store/db/personal-data') as typeof import('../../store/db/personal-data');

/** The file of a data-subject export holds personal data: readable by its owner only. */
const EXPORT_FILE_MODE = 0o600;

/**
 * `parcelwatch privacy export|erase --owner NAME`: data-subject requests on the personal data
 * attached to parcels (holder name, contact values; kept apart since migration 0007). Each is
 * recorded in the audit log under a digest of the subject, not the name.
 */
export function registerPrivacy(program: Command): void {
  const privacy = program
    .command('privacy')
    .description(
      'Data-subject requests: everything held about a person, or its erasure (personal data of parcels)',
    )
    .addHelpText(
      'after',
      `
A person is found by the name the import recorded (the holder/farmer name fields, joined) or by
any of their personal values (an e-mail address, a phone number), ignoring case and extra spaces.
Personal data never reaches attributes, exports, the API, logs or traces; it is kept until the
import stops carrying it for PARCELWATCH_RETENTION_PERSONAL_DAYS, then the purge erases it.`,
    );

  privacy
    .command('export')
    .description(
      "Everything held about a data subject, as JSON: their personal data and their parcels' ids, geometry and attributes",
    )
    .requiredOption(
      '--owner <name>',
      'the data subject: their name as imported, or an e-mail/phone',
    )
    .option('--out <file>', 'write the JSON to this file (mode 600) instead of standard output')
    .addHelpText(
      'after',
      '\nExamples:\n  $ parcelwatch privacy export --owner "Jan Jansen" --out jan-jansen.json\n  $ parcelwatch privacy export --owner jan@example.org',
    )
    .action(async (options: { owner: string; out?: string }) => {
      await withDatabase(async (db) => {
        const held = await personalData().exportDataSubject(db, options.owner, {
          actor: currentActor(),
        });
        if (!options.out) return printJson(held);
        await writeFileAtomically(
          options.out,
          [Buffer.from(`${JSON.stringify(held, null, 2)}\n`)],
          {
            mode: EXPORT_FILE_MODE,
          },
        );
        console.error(
          `${held.parcels.length} parcels with personal data of the subject written to ${options.out}`,
        );
      });
    });

  privacy
    .command('erase')
    .description(
      'Erase the personal data held about a data subject; their parcels, observations and series stay',
    )
    .requiredOption(
      '--owner <name>',
      'the data subject: their name as imported, or an e-mail/phone',
    )
    .option('--dry-run', 'say what would be erased, change nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
The values are removed for good (the record keeps only when and why); the audit log records the
erasure with the parcels and field names, under a digest of the subject. A later import that still
carries the person brings the data back: remove it from the source too.

Examples:
  $ parcelwatch privacy erase --owner "Jan Jansen" --dry-run
  $ parcelwatch privacy erase --owner "Jan Jansen"`,
    )
    .action(async (options: { owner: string; dryRun?: boolean; json?: boolean }) => {
      await withDatabase(async (db) => {
        const report = await personalData().eraseDataSubject(db, options.owner, {
          actor: currentActor(),
          dryRun: options.dryRun,
        });
        if (options.json) return printJson(report);
        const verb = report.dryRun ? 'would erase' : 'erased';
        if (report.parcels.length === 0) {
          console.log(
            `no personal data held about "${report.subject}"${report.dryRun ? '' : ` (recorded as ${report.subjectRef})`}`,
          );
          return;
        }
        console.log(
          `${verb} the personal data of ${report.parcels.length} parcels (fields: ${report.fields.join(', ')}):`,
        );
        for (const parcel of report.parcels) console.log(`  ${parcel}`);
        if (!report.dryRun)
          console.log(`audit log entry ${report.auditId}, subject ${report.subjectRef}`);
      });
    });
}
