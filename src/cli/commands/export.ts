import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { writeFileAtomically } from '../../core/atomic-file';
import { BadInputError } from '../../core/errors';
import { INDICES } from '../../core/indices/registry';
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

const FORMATS: readonly ExportFormat[] = ['csv', 'parquet', 'geojson'];
const KINDS: readonly SeriesKind[] = ['observations', 'weekly'];

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
The API serves the same files: GET /v1/exports/series.csv, /v1/exports/series.parquet, /v1/exports/latest.geojson.`,
    )
    .action(async (options: ExportOptions) => {
      const config = loadConfig();
      // Options that need no database are checked before connecting: a typo is exit 2, not 3.
      const shape = exportShape(options, config.science.indices);
      const db = await database().openDatabase(config.database, 'parcelwatch-export');
      try {
        await writeExport(db, shape(await buildSelector(db, options, 'read')), options);
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
  progress.update({ phase, done: 0, total, unit: 'items' });
  let bytes: number;
  try {
    bytes = await writeFileAtomically(
      options.out,
      exporter().exportChunks(db, request, {
        onRows: (count) => {
          rows = count;
          // Rows written meanwhile can outgrow the count; the bar never passes 100 %.
          progress.update({ phase, done: count, total: Math.max(total, count), unit: 'items' });
        },
      }),
    );
  } finally {
    progress.stop();
  }
  const summary = {
    file: options.out,
    format: request.format,
    rows,
    bytes,
    seconds: (Date.now() - started) / 1000,
  };
  if (options.json) printJson(summary);
  else
    console.log(
      `wrote ${summary.file}: ${rows.toLocaleString('en')} ${unit}, ${(bytes / 1e6).toFixed(1)} MB in ${summary.seconds.toFixed(1)} s`,
    );
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
    return (parcels) => ({ format, latest: { parcels, index, time } });
  }
  const kind = options.kind as SeriesKind;
  if (!KINDS.includes(kind)) {
    throw new BadInputError(`--kind ${options.kind} is not one of ${KINDS.join(', ')}`, {
      code: 'OPTION_INVALID',
    });
  }
  return (parcels) => ({ format, selection: { parcels, indices, time, kind } });
}
