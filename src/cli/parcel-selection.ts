import type { Command } from 'commander';
import { BadInputError } from '../core/errors';
import { parseBbox } from '../core/geo/bbox';
import type { Database } from '../store/db/database';
import type { AttributeFilter, ParcelSelector } from '../store/db/parcels-repo';
import { parseList } from './parse';

/**
 * How commands name a set of parcels: by source, external ids (listed or in a file), a bounding
 * box, the polygons of a GeoJSON file and attribute conditions. All criteria given must hold.
 */

const repo = () => require('../store/db/parcels-repo') as typeof import('../store/db/parcels-repo');
const selectionFiles = () =>
  require('../store/import/selection-files') as typeof import('../store/import/selection-files');

export interface SelectionOptions {
  source?: string;
  ids?: string;
  file?: string;
  column?: string;
  bbox?: string;
  within?: string;
  where: string[];
}

export function addSelectionOptions(command: Command): Command {
  return command
    .option(
      '--source <name>',
      'parcels of this source (needed with --ids when there are several sources)',
    )
    .option('--ids <list>', 'external ids, comma-separated')
    .option('--file <file>', 'external ids in a file: one per line, or a CSV column (see --column)')
    .option(
      '--column <name>',
      'the id column of a CSV --file (default: id, external_id, parcel_id, … or the first)',
    )
    .option('--bbox <minLon,minLat,maxLon,maxLat>', 'parcels intersecting this box (WGS 84)')
    .option('--within <file>', 'parcels inside the polygons of this GeoJSON file')
    .option(
      '--where <field=value>',
      'attribute condition, repeatable: field=value, field!=value, field~text (contains, any case); fields: crop, name, owner_team, primary_tile, or any source attribute',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    );
}

export async function buildSelector(
  db: Database,
  options: SelectionOptions,
  { requireSelection = true } = {},
): Promise<ParcelSelector> {
  const selector: ParcelSelector = {};
  if (options.source !== undefined) selector.source = options.source;
  const ids = [
    ...(parseList(options.ids) ?? []),
    ...(options.file ? await selectionFiles().readIdList(options.file, options.column) : []),
  ];
  if (options.ids !== undefined || options.file !== undefined) {
    if (ids.length === 0) {
      throw new BadInputError(`no external id given (${options.file ?? '--ids'} is empty)`, {
        code: 'OPTION_INVALID',
      });
    }
    selector.source ??= await onlySource(db);
    selector.externalIds = ids;
    const unknown = await repo().unknownExternalIds(db, selector.source, ids);
    if (unknown.count > 0) {
      throw new BadInputError(
        `${unknown.count} of the ${ids.length} ids ${unknown.count === 1 ? 'is' : 'are'} not parcels of source ${selector.source}: ${unknown.ids.map((id) => `"${id}"`).join(', ')}${unknown.count > unknown.ids.length ? ', …' : ''}; nothing was changed — check the ids and --source (\`parcelwatch parcels list --source ${selector.source}\`)`,
        { code: 'PARCEL_IDS_UNKNOWN' },
      );
    }
  }
  if (options.bbox !== undefined) selector.bbox = parseBbox(options.bbox, '--bbox');
  if (options.within !== undefined)
    selector.within = await selectionFiles().readSelectionArea(options.within);
  if (options.where.length > 0) selector.where = options.where.map(parseFilter);
  if (requireSelection && Object.keys(selector).length === 0) {
    throw new BadInputError(
      'select parcels with --source, --ids, --file, --bbox, --within or --where (see --help)',
      { code: 'OPTION_INVALID' },
    );
  }
  return selector;
}

/** The source external ids refer to when --source is not given: the only one there is. */
async function onlySource(db: Database): Promise<string> {
  const sources = await repo().parcelSources(db);
  if (sources.length === 1) return sources[0];
  throw new BadInputError(
    sources.length === 0
      ? 'there are no parcels yet; import some with `parcelwatch parcels import FILE`'
      : `parcels come from ${sources.length} sources (${sources.join(', ')}); say which one the ids belong to with --source`,
    { code: 'OPTION_INVALID' },
  );
}

export function parseFilter(value: string): AttributeFilter {
  const match = /^([^=!~]+?)\s*(!=|=|~)\s*(.*)$/.exec(value);
  if (!match || match[1].trim() === '') {
    throw new BadInputError(
      `--where "${value}" is not field=value, field!=value or field~text, e.g. crop=wheat`,
      { code: 'OPTION_INVALID' },
    );
  }
  return { field: match[1].trim(), op: match[2] as AttributeFilter['op'], value: match[3] };
}
