import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { BadInputError } from '../../core/errors';
import { parseBbox } from '../../core/geo/bbox';
import { INDICES } from '../../core/indices/registry';
import type { ExportFormat, ExportRequest } from '../../store/exports/export';
import type { ParcelFilter, SeriesKind } from '../../store/exports/selection';
import { parseTimeRange } from '../../store/exports/time-bounds';
import { printJson } from '../output';
import { parseIds, parseList } from '../parse';

/** Loaded on use: the export code pulls in the database driver. */
const exporter = () =>
  require('../../store/exports/export') as typeof import('../../store/exports/export');
const files = () =>
  require('../../store/exports/file') as typeof import('../../store/exports/file');
const database = () =>
  require('../../store/db/database') as typeof import('../../store/db/database');

/** Without a terminal, a progress line every this many rows (a log, not a flood). */
const PROGRESS_EVERY_ROWS = 100_000;
const FORMATS: readonly ExportFormat[] = ['csv', 'parquet', 'geojson'];
const KINDS: readonly SeriesKind[] = ['observations', 'weekly'];

export interface ExportOptions {
  format: string;
  out: string;
  kind: string;
  ids?: string;
  source?: string;
  externalIds?: string;
  bbox?: string;
  crop?: string;
  watched?: boolean;
  index?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'Write the series of a selection (CSV, Parquet) or the latest value per parcel (GeoJSON) to a file, streamed from the database',
    )
    .requiredOption('--format <format>', 'csv, parquet or geojson (latest values)')
    .requiredOption('--out <file>', 'the file to write (appears whole or not at all)')
    .option('--kind <kind>', 'observations (one row per acquisition) or weekly', 'observations')
    .option('--ids <ids>', 'parcel ids, comma-separated')
    .option('--source <source>', 'parcels of this source')
    .option('--external-ids <ids>', 'external ids (within --source), comma-separated')
    .option('--bbox <box>', 'minLon,minLat,maxLon,maxLat (WGS 84): parcels intersecting it')
    .option('--crop <crop>', 'parcels of this crop')
    .option('--watched', 'only watched parcels')
    .option('--no-watched', 'only parcels not watched')
    .option(
      '--index <list>',
      'indices (default: all; geojson: one, default the first of PARCELWATCH_INDICES)',
    )
    .option('--from <time>', 'start: YYYY-MM-DD, YYYY-Www or an RFC 3339 instant')
    .option('--to <time>', 'end, included (a date or week counts whole)')
    .option('--json', 'print a summary as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ parcelwatch export --format csv --out ndvi.csv --index ndvi --from 2024-03-01 --to 2024-09-30 --watched
  $ parcelwatch export --format parquet --out weekly.parquet --kind weekly --source lpis-2024
  $ parcelwatch export --format geojson --out latest.geojson --index ndvi --bbox 14.9,45.1,15.1,45.3
The API serves the same files: GET /v1/exports/series.csv, /v1/exports/series.parquet, /v1/exports/latest.geojson.`,
    )
    .action(async (options: ExportOptions) => {
      const config = loadConfig();
      const request = exportRequest(options, config.science.indices);
      const db = await database().openDatabase(config.database, 'parcelwatch-export');
      const started = Date.now();
      const progress = progressReporter(request.format === 'geojson' ? 'features' : 'rows');
      try {
        const bytes = await files().writeChunksAtomically(
          options.out,
          exporter().exportChunks(db, request, { onRows: progress.update }),
        );
        progress.done();
        const summary = {
          file: options.out,
          format: request.format,
          rows: progress.count(),
          bytes,
          seconds: (Date.now() - started) / 1000,
        };
        if (options.json) printJson(summary);
        else
          console.log(
            `wrote ${summary.file}: ${summary.rows.toLocaleString('en')} ${request.format === 'geojson' ? 'features' : 'rows'}, ${(bytes / 1e6).toFixed(1)} MB in ${summary.seconds.toFixed(1)} s`,
          );
      } finally {
        await db.close();
      }
    });
}

/** The export the options ask for, or a BadInputError naming the option at fault. */
export function exportRequest(options: ExportOptions, configuredIndices: string[]): ExportRequest {
  const format = options.format as ExportFormat;
  if (!FORMATS.includes(format)) {
    throw new BadInputError(`--format ${options.format} is not one of ${FORMATS.join(', ')}`, {
      code: 'OPTION_INVALID',
    });
  }
  const parcels: ParcelFilter = {
    ids: parseIds(options.ids, '--ids'),
    source: options.source,
    externalIds: parseList(options.externalIds),
    bbox: options.bbox === undefined ? undefined : parseBbox(options.bbox, '--bbox'),
    crop: options.crop,
    watched: options.watched,
  };
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
    return { format, latest: { parcels, index: indices?.[0] ?? configuredIndices[0]!, time } };
  }
  const kind = options.kind as SeriesKind;
  if (!KINDS.includes(kind)) {
    throw new BadInputError(`--kind ${options.kind} is not one of ${KINDS.join(', ')}`, {
      code: 'OPTION_INVALID',
    });
  }
  return { format, selection: { parcels, indices, time, kind } };
}

/** Rows so far on standard error: one rewritten line on a terminal, a line now and then otherwise. */
function progressReporter(unit: string) {
  const tty = process.stderr.isTTY === true;
  let rows = 0;
  let reported = 0;
  return {
    update: (count: number) => {
      rows = count;
      if (tty) process.stderr.write(`\rexported ${count.toLocaleString('en')} ${unit}…`);
      else if (count - reported >= PROGRESS_EVERY_ROWS) {
        reported = count;
        process.stderr.write(`exported ${count.toLocaleString('en')} ${unit}\n`);
      }
    },
    done: () => {
      if (tty && rows > 0) process.stderr.write('\n');
    },
    count: () => rows,
  };
}
