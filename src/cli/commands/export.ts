import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { currentActor } from '../../core/actor';
import { writeFileAtomically } from '../../core/atomic-file';
import { BadInputError, ConfigError } from '../../core/errors';
import { INDICES } from '../../core/indices/registry';
import type { AuditRecord } from '../../store/db/audit-log';
import type { Database } from '../../store/db/database';
import type { ParcelSelector } from '../../store/db/parcel-selector';
import type { ExportFormat, ExportRequest } from '../../store/exports/export';
import type { SeriesKind } from '../../store/exports/selection';
import { parseTimeRange } from '../../store/exports/time-bounds';
import { printJson } from '../output';
import { addSelectionOptions, buildSelector, type SelectionOptions } from '../parcel-selection';
import { parseList } from '../parse';
import { createProgress } from '../progress';

/** Loaded on use: the export code pulls in the database driver. */
const exporter = () =>
  require('../../store/exports/export') as typeof import('../../store/exports/export');
const database = () =>
  require('../../store/db/database') as typeof import('../../store/db/database');
const personalData = () =>
  require('../../store/exports/personal-data') as typeof import('../../store/exports/personal-data');
const auditLog = () =>
  require('../../store/db/audit-log') as typeof import('../../store/db/audit-log');

const FORMATS: readonly ExportFormat[] = ['csv', 'parquet', 'geojson'];
const KINDS: readonly SeriesKind[] = ['observations', 'weekly'];
/** A file holding personal data is readable by its owner only (as `privacy export` writes it). */
const PERSONAL_DATA_FILE_MODE = 0o600;
/** The options that say what an export holds, recorded as given with an export of personal data. */
const RECORDED_OPTIONS = [
  'source',
  'ids',
  'externalIds',
  'file',
  'column',
  'bbox',
  'within',
  'where',
  'crop',
  'watched',
  'unwatched',
  'kind',
  'index',
  'from',
  'to',
] as const;

export interface ExportOptions extends SelectionOptions {
  format: string;
  out: string;
  kind: string;
  index?: string;
  from?: string;
  to?: string;
  json?: boolean;
  /** False with --no-progress. */
  progress?: boolean;
  /** --include-personal: each row or feature carries its parcel's personal data. */
  includePersonal?: boolean;
}

export function registerExport(program: Command): void {
  const command = program
    .command('export')
    .description(
      'Write the series of a selection (CSV, Parquet) or the latest value per parcel (GeoJSON) to a file, streamed from the database',
    )
    .requiredOption('--format <format>', 'csv, parquet or geojson (latest values)')
    .requiredOption('--out <file>', 'the file to write (appears whole or not at all)')
    .option('--kind <kind>', 'observations (one row per acquisition) or weekly', 'observations');
  addSelectionOptions(command)
    .option(
      '--index <list>',
      'indices (default: all; geojson: one, default the first of PARCELWATCH_INDICES)',
    )
    .option('--from <time>', 'start: YYYY-MM-DD, YYYY-Www or an RFC 3339 instant')
    .option('--to <time>', 'end, included (a date or week counts whole)')
    .option(
      '--include-personal',
      "add each parcel's personal data (holder name, contact values): a personal_data column (JSON) or a personalData property; recorded in the audit log",
    )
    .option('--no-progress', 'no progress bar or progress lines on standard error')
    .option('--json', 'print a summary as JSON (and no progress)')
    .addHelpText(
      'after',
      `
Parcels are selected as for \`parcels list\`: every option given must hold; none exports every parcel.

Examples:
  $ parcelwatch export --format csv --out ndvi.csv --index ndvi --from 2024-03-01 --to 2024-09-30 --watched
  $ parcelwatch export --format parquet --out weekly.parquet --kind weekly --source lpis-2024 --crop wheat
  $ parcelwatch export --format csv --out some.csv --source lpis-2024 --external-ids FR-1,FR-2
  $ parcelwatch export --format geojson --out latest.geojson --index ndvi --bbox 14.9,45.1,15.1,45.3
  $ parcelwatch export --format csv --out holders.csv --kind weekly --source lpis-2024 --include-personal
The API serves the same files: GET /v1/exports/series.csv, /v1/exports/series.parquet, /v1/exports/latest.geojson.

Personal data (holder names, e-mail, phone; see \`parcelwatch privacy\`) is left out unless
--include-personal asks for it, which only the CLI can: rows get a last column personal_data,
{"holderName":…,"fields":{…}} as JSON (empty when the parcel has none), features a property
personalData (null when none). The file is readable by its owner only (mode 600), and the export is
recorded in the audit log (export.personal-data: who, the file, the format, these options, how many
parcels' personal data went out, never the values); when that record cannot be written, no file is
left. Needs the pipeline's writer role: the reader and team roles cannot read personal data.`,
    )
    .action(async (options: ExportOptions) => {
      const config = loadConfig();
      // Options that need no database are checked before connecting: a typo is exit 2, not 3.
      const shape = exportShape(options, config.science.indices);
      const db = await database().openDatabase(config.database, 'parcelwatch-export');
      try {
        const request = shape(await buildSelector(db, options, 'read'));
        if (request.personalData) await assertPersonalExportAllowed(db);
        await writeExport(db, request, options);
      } finally {
        await db.close();
      }
    });
}

/** Writes the file with a progress bar towards the counted total, then prints the summary. */
async function writeExport(db: Database, request: ExportRequest, options: ExportOptions) {
  const started = Date.now();
  const showProgress = options.progress !== false && !options.json;
  const progress = createProgress({ title: 'export', enabled: showProgress });
  const unit = request.format === 'geojson' ? 'features' : 'rows';
  const phase = `writing ${unit}`;
  // Counted only for the bar: the count is one more pass over the selection.
  const total = showProgress ? await exporter().countExportRows(db, request) : 0;
  let rows = 0;
  let personalParcels = 0;
  let audit: AuditRecord | undefined;
  progress.update({ phase, done: 0, total, unit: 'items' });
  let bytes: number;
  try {
    const chunks = exporter().exportChunks(db, request, {
      onRows: (count) => {
        rows = count;
        // Rows written meanwhile can outgrow the count; the bar never passes 100 %.
        progress.update({ phase, done: count, total: Math.max(total, count), unit: 'items' });
      },
      onPersonalData: (parcels) => {
        personalParcels = parcels;
      },
    });
    bytes = request.personalData
      ? await writeFileAtomically(
          options.out,
          thenBeforeRename(chunks, async () => {
            try {
              audit = await recordPersonalExport(db, options, { rows, parcels: personalParcels });
            } catch (error) {
              throw new Error(
                `${options.out} was not written: recording the export of personal data in the audit log failed: ${(error as Error).message}`,
                { cause: error },
              );
            }
          }),
          { mode: PERSONAL_DATA_FILE_MODE },
        )
      : await writeFileAtomically(options.out, chunks);
  } finally {
    progress.stop();
  }
  const summary = {
    file: options.out,
    format: request.format,
    rows,
    bytes,
    seconds: (Date.now() - started) / 1000,
    ...(audit && { personalData: true, personalDataParcels: personalParcels, auditId: audit.id }),
  };
  if (audit) {
    console.error(
      `${options.out} holds the personal data (names, contact values) of ${personalParcels.toLocaleString('en')} parcels: keep it only where personal data may be kept, share it only with those entitled to it, delete it when done (audit log entry ${audit.id})`,
    );
  }
  if (options.json) printJson(summary);
  else
    console.log(
      `wrote ${summary.file}: ${rows.toLocaleString('en')} ${unit}, ${(bytes / 1e6).toFixed(1)} MB in ${summary.seconds.toFixed(1)} s`,
    );
}

/**
 * The chunks, then `record` once the last is written and before the file is renamed into place:
 * when `record` fails, the write fails and the temporary file is removed.
 */
async function* thenBeforeRename<T>(
  chunks: AsyncIterable<T>,
  record: () => Promise<void>,
): AsyncGenerator<T> {
  yield* chunks;
  await record();
}

/**
 * Refuses an export of personal data the connection's role could not read or record, before
 * anything is written: the reader and team roles may not read `parcel_personal_data`.
 */
export async function assertPersonalExportAllowed(db: Database): Promise<void> {
  const access = await personalData().personalExportAccess(db);
  if (!access.readsPersonalData) {
    throw new ConfigError(
      `--include-personal reads parcel_personal_data, which database role ${access.role} may not read in schema ${db.schema} (the reader and team roles never may; an unmigrated schema lacks it); run the export with the pipeline's writer credentials (DATABASE_URL), or after \`parcelwatch db migrate\``,
      { code: 'PERSONAL_DATA_FORBIDDEN' },
    );
  }
  if (!access.writesAuditLog) {
    throw new ConfigError(
      `--include-personal is recorded in the audit log, which database role ${access.role} may not append to in schema ${db.schema}; run the export with the pipeline's writer credentials (DATABASE_URL)`,
      { code: 'AUDIT_LOG_FORBIDDEN' },
    );
  }
}

/** The audit row of an export with personal data: who, where, what was asked, how much went out. */
function recordPersonalExport(
  db: Database,
  options: ExportOptions,
  written: { rows: number; parcels: number },
): Promise<AuditRecord> {
  const given: Record<string, unknown> = {};
  for (const name of RECORDED_OPTIONS) {
    const value = options[name];
    if (name === 'kind' && options.format === 'geojson') continue;
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) given[name] = value;
  }
  return auditLog().recordAudit(db, {
    actor: currentActor(),
    action: 'export.personal-data',
    target: resolve(options.out),
    details: {
      format: options.format,
      options: given,
      rows: written.rows,
      parcelsWithPersonalData: written.parcels,
    },
  });
}

/** The export the options ask for, or a BadInputError naming the option at fault. */
export async function exportRequest(
  db: Database,
  options: ExportOptions,
  configuredIndices: string[],
): Promise<ExportRequest> {
  const shape = exportShape(options, configuredIndices);
  return shape(await buildSelector(db, options, 'read'));
}

/**
 * The options that need no database (format, kind, indices, time), checked: the export of
 * whichever parcels are selected, or a BadInputError naming the option at fault.
 */
function exportShape(
  options: ExportOptions,
  configuredIndices: string[],
): (parcels: ParcelSelector) => ExportRequest {
  const format = options.format as ExportFormat;
  if (!FORMATS.includes(format)) {
    throw new BadInputError(`--format ${options.format} is not one of ${FORMATS.join(', ')}`, {
      code: 'OPTION_INVALID',
    });
  }
  const time = parseTimeRange(options.from, options.to, { from: '--from', to: '--to' });
  const indices = parseList(options.index);
  const unknown = (indices ?? []).filter((name) => !INDICES.some((i) => i.name === name));
  if (unknown.length) {
    throw new BadInputError(
      `--index names unknown indices ${unknown.join(', ')}; known: ${INDICES.map((i) => i.name).join(', ')}`,
      { code: 'OPTION_INVALID' },
    );
  }
  if (format === 'geojson') {
    if (indices && indices.length > 1) {
      throw new BadInputError(
        `--index ${options.index}: a GeoJSON of latest values holds one index; give one, or export each`,
        { code: 'OPTION_INVALID' },
      );
    }
    const index = indices?.[0] ?? configuredIndices[0]!;
    return (parcels) => ({
      format,
      latest: { parcels, index, time },
      ...personalDataAsked(options),
    });
  }
  const kind = options.kind as SeriesKind;
  if (!KINDS.includes(kind)) {
    throw new BadInputError(`--kind ${options.kind} is not one of ${KINDS.join(', ')}`, {
      code: 'OPTION_INVALID',
    });
  }
  return (parcels) => ({
    format,
    selection: { parcels, indices, time, kind },
    ...personalDataAsked(options),
  });
}

/** `personalData: true` with --include-personal; nothing otherwise (the request stays as it was). */
function personalDataAsked(options: ExportOptions): { personalData?: true } {
  return options.includePersonal ? { personalData: true } : {};
}
