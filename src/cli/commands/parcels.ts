import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { currentActor } from '../../core/actor';
import { BadInputError } from '../../core/errors';
import type { Database } from '../../store/db/database';
import type { ParcelSelector } from '../../store/db/parcel-selector';
import type { ParcelListing } from '../../store/db/parcels-repo';
import type { ImportProgress, ImportSummary } from '../../store/import/import-parcels';
import { withDatabase } from '../database';
import { printJson, printTable } from '../output';
import { addSelectionOptions, buildSelector, type SelectionOptions } from '../parcel-selection';
import { parseInteger, parseList } from '../parse';
import { createProgress } from '../progress';

/** Loaded on use: the readers (SQLite pages, shapefile, stream-json) are not needed by other commands. */
const importer = () =>
  require('../../store/import/import-parcels') as typeof import('../../store/import/import-parcels');
const repo = () =>
  require('../../store/db/parcels-repo') as typeof import('../../store/db/parcels-repo');

/** Parcels `list` shows unless --limit says otherwise. */
const DEFAULT_LIST_LIMIT = 50;
/** Parcels read per query while listing. */
const LIST_PAGE_ROWS = 5_000;

interface ImportOptions {
  source?: string;
  srs?: string;
  layer?: string;
  encoding?: string;
  idField?: string;
  nameField?: string;
  cropField?: string;
  ownerField?: string;
  personalFields?: string[];
  repair?: boolean;
  unwatchMissing?: boolean;
  dryRun?: boolean;
  progress: boolean;
  json?: boolean;
}

interface ListOptions extends SelectionOptions {
  limit: string;
  json?: boolean;
  geojson?: boolean;
}

export function registerParcels(program: Command): void {
  const parcels = program.command('parcels').description('Import parcels, watch them, list them');

  parcels
    .command('import <file>')
    .description(
      'Import parcels from GeoJSON, GeoPackage or a zipped Shapefile, all or nothing; re-importing updates only what changed',
    )
    .option(
      '--source <name>',
      'name of the parcel source (default: the file name without extension)',
    )
    .option(
      '--srs <crs>',
      'CRS of the coordinates when the file does not say (or says wrong), e.g. EPSG:28992',
    )
    .option(
      '--layer <name>',
      'layer (GeoPackage table, Shapefile in the zip) when the file holds several',
    )
    .option(
      '--encoding <name>',
      "text encoding of a Shapefile's DBF (default: its .cpg, else windows-1252)",
    )
    .option(
      '--id-field <name>',
      'attribute holding the external id (default: id, parcel_id, external_id, fid, …, the feature id, else the row number)',
    )
    .option(
      '--name-field <name>',
      'attribute holding the parcel name (default: name, naam, nom, …)',
    )
    .option(
      '--crop-field <name>',
      'attribute holding the crop (default: crop, gewas, culture, kultur, …)',
    )
    .option(
      '--owner-field <name>',
      'attribute holding the owner team (default: owner_team, owner, team)',
    )
    .option(
      '--personal-fields <names>',
      'attributes holding personal data, comma-separated, besides those recognised (farmer/holder/owner name, e-mail, phone, address, …); kept apart, never in attributes or exports',
      (value: string) => parseList(value) ?? [],
    )
    .option(
      '--repair',
      'repair invalid geometries with ST_MakeValid (flagged geometry_repaired) instead of rejecting them',
    )
    .option(
      '--unwatch-missing',
      "unwatch the source's watched parcels that the file no longer holds (a register's new year); they stay, with their history",
    )
    .option('--dry-run', 'check and count everything, then roll back')
    .option('--no-progress', 'no progress bar or progress lines on standard error')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Parcels are rejected, and then nothing is imported, when their geometry is missing, not a
polygon, invalid (unless --repair), empty, larger than 10 000 ha or 1°, under 1 m², over
100 000 vertices, outside Sentinel-2 coverage (84° N – 80° S), when their text is not in the
file's encoding, or when two rows share an external id; the error names each row. An empty,
truncated or mislabelled file is refused whole. Personal columns (farmer, holder, e-mail,
phone, … and --personal-fields) are kept apart from attributes (see \`parcelwatch privacy\`).

Examples:
  $ parcelwatch parcels import fields.gpkg
  $ parcelwatch parcels import brp.geojson --source brp-2023 --id-field perceel --crop-field gewas
  $ parcelwatch parcels import fields.zip --srs EPSG:2154 --repair --json
  $ parcelwatch parcels import brp-2025.gpkg --source brp --unwatch-missing --dry-run`,
    )
    .action(async (file: string, options: ImportOptions) => {
      const config = loadConfig();
      const progress = createProgress({ title: 'import', enabled: options.progress });
      await withDatabase(async (db) => {
        let summary: ImportSummary;
        try {
          summary = await importer().importParcels(db, file, {
            ...options,
            actor: currentActor(),
            groupMaxParcels: config.pipeline.groupMaxParcels,
            onProgress: (p) => progress.update(progressState(p)),
          });
        } catch (error) {
          progress.stop();
          if (options.json && error instanceof BadInputError) {
            const rejected = error as Partial<
              import('../../store/import/problems').ImportRejectedError
            >;
            printJson({
              error: error.code,
              message: error.message,
              read: rejected.read,
              rejected: rejected.rejected,
              problems: rejected.problems,
            });
          }
          throw error;
        }
        progress.stop();
        if (options.json) return printJson(summary);
        printImportSummary(summary, options.unwatchMissing === true);
      });
    });

  for (const watched of [true, false]) {
    const verb = watched ? 'watch' : 'unwatch';
    addSelectionOptions(
      parcels
        .command(verb)
        .description(
          watched
            ? 'Start watching the selected parcels (weekly runs compute only watched parcels)'
            : 'Stop watching the selected parcels',
        ),
    )
      .option('--json', 'print the counts as JSON')
      .addHelpText(
        'after',
        `
Selections combine: every option given must hold; --watched and --unwatched only narrow one.
Ids that name no parcel are refused, and then nothing changes.

Examples:
  $ parcelwatch parcels ${verb} --source brp --external-ids 17,18,19
  $ parcelwatch parcels ${verb} --ids 4012,4013
  $ parcelwatch parcels ${verb} --source brp --file ids.csv --column perceel_id
  $ parcelwatch parcels ${verb} --bbox 4.5,52.0,4.7,52.2 --crop Sloot
  $ parcelwatch parcels ${verb} --within farm.geojson --where "crop~gras"`,
      )
      .action(async (options: SelectionOptions & { json?: boolean }) => {
        await withDatabase(async (db) => {
          const selector = await buildSelector(db, options, 'write');
          const selected = await repo().countParcels(db, selector);
          const changed = await repo().watchParcels(db, selector, watched, {
            audit: {
              actor: currentActor(),
              action: `parcels.${verb}`,
              target: selector.source === undefined ? 'parcels' : `source:${selector.source}`,
              details: { selector, selected },
            },
          });
          if (options.json) return printJson({ selected, changed, watched });
          console.log(
            `${selected} parcel${selected === 1 ? '' : 's'} selected: ${changed} now ${watched ? 'watched' : 'unwatched'}${selected > changed ? `, ${selected - changed} already ${watched ? 'were' : 'were not watched'}` : ''}`,
          );
        });
      });
  }

  addSelectionOptions(
    parcels.command('list').description('List parcels (all, or those selected), ordered by id'),
  )
    .option('--limit <n>', 'at most this many parcels (0: all)', String(DEFAULT_LIST_LIMIT))
    .option('--json', 'print the parcels as a JSON array (one parcel per line)')
    .option('--geojson', 'print the parcels as a GeoJSON FeatureCollection (WGS 84)')
    .addHelpText(
      'after',
      `
Selections combine as for \`parcels watch\`; ids that name no parcel simply select nothing.

Examples:
  $ parcelwatch parcels list --watched
  $ parcelwatch parcels list --source brp --crop Sloot --limit 0 --json
  $ parcelwatch parcels list --source brp --external-ids 17,18 --unwatched
  $ parcelwatch parcels list --bbox 4.5,52.0,4.7,52.2 --geojson > selected.geojson`,
    )
    .action(async (options: ListOptions) => {
      const limit = parseInteger(options.limit, '--limit', 0);
      await withDatabase(async (db) => {
        const selector = await buildSelector(db, options, 'read');
        await printListing(db, selector, limit, options);
      });
    });
}

async function printListing(
  db: Database,
  selector: ParcelSelector,
  limit: number,
  options: { json?: boolean; geojson?: boolean },
): Promise<void> {
  const wanted = limit === 0 ? Number.POSITIVE_INFINITY : limit;
  const out = process.stdout;
  let shown = 0;
  let afterId = 0;
  if (options.geojson) out.write('{"type":"FeatureCollection","features":[\n');
  else if (options.json) out.write('[\n');
  const table: Array<Record<string, unknown>> = [];
  while (shown < wanted) {
    const page = await repo().listParcels(db, selector, {
      afterId,
      limit: Math.min(LIST_PAGE_ROWS, wanted - shown),
      withGeometry: options.geojson === true,
    });
    for (const parcel of page) {
      const separator = shown > 0 ? ',\n' : '';
      if (options.geojson) out.write(`${separator}${JSON.stringify(toFeature(parcel))}`);
      else if (options.json) out.write(`${separator}${JSON.stringify(parcel)}`);
      else table.push(toRow(parcel));
      shown++;
    }
    if (page.length === 0) break;
    afterId = page[page.length - 1].id;
  }
  if (options.geojson) out.write('\n]}\n');
  else if (options.json) out.write('\n]\n');
  else {
    printTable(table);
    const total = await repo().countParcels(db, selector);
    if (total > shown) console.error(`showing ${shown} of ${total} parcels; --limit 0 shows all`);
  }
}

function toRow(p: ParcelListing): Record<string, unknown> {
  return {
    id: p.id,
    source: p.source,
    external_id: p.externalId,
    name: p.name,
    crop: p.crop,
    area_ha: (p.areaM2 / 10_000).toFixed(2),
    tile: p.primaryTile,
    group: p.groupId,
    watched: p.watched ? 'yes' : '',
    repaired: p.geometryRepaired ? 'yes' : '',
  };
}

function toFeature(p: ParcelListing): Record<string, unknown> {
  const { geometry, ...properties } = p;
  return { type: 'Feature', id: p.externalId, properties, geometry: geometry ?? null };
}

function progressState(p: ImportProgress): import('../progress').ProgressState {
  const features = `${p.read.toLocaleString('en')} features`;
  switch (p.phase) {
    case 'reading':
      return {
        phase: 'reading',
        done: p.position.done,
        total: p.position.total,
        unit: p.position.unit === 'bytes' ? 'bytes' : 'items',
        detail: p.position.unit === 'bytes' ? features : undefined,
      };
    case 'checking':
      return { phase: 'checking with PostGIS', done: 0, total: 0, unit: 'items', detail: features };
    case 'writing':
      return { phase: 'writing', done: p.position.done, total: p.position.total, unit: 'items' };
    case 'grouping':
      return { phase: 'assigning parcel groups', done: 0, total: 0, unit: 'items' };
  }
}

/** With `unwatchMissing` the counts line says how many were unwatched (without it none ever is). */
function printImportSummary(s: ImportSummary, unwatchMissing: boolean): void {
  const crsFrom = { file: 'from the file', option: '--srs', default: 'GeoJSON default' }[
    s.crsOrigin
  ];
  console.log(`${s.file}: ${s.format}, ${s.crs} (${crsFrom}), source "${s.source}"`);
  console.log(
    `  fields: ${Object.entries(s.mapping)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}`,
  );
  console.log(
    `${s.dryRun ? 'dry run (rolled back): would have ' : ''}read ${s.read}, inserted ${s.inserted}, updated ${s.updated}, unchanged ${s.unchanged}, repaired ${s.repaired}${unwatchMissing ? `, unwatched ${s.unwatched} missing from the file` : ''} in ${s.seconds} s`,
  );
  if (s.groups) {
    console.log(
      `  groups: ${s.groups.parcelsAssigned} parcels assigned (${s.regrouped} after a geometry change), ${s.groups.groupsCreated} groups created, ${s.groups.groupsSplit} split, ${s.groups.groupsDeleted} deleted`,
    );
  }
  if (s.personalData) {
    console.log(
      `  personal data: ${s.personalData.stored} parcels (${s.personalData.cleared} cleared), kept apart from attributes; see \`parcelwatch privacy\``,
    );
  }
  for (const warning of s.warnings) console.error(`warning: ${warning}`);
}
