import type { Command } from 'commander';
import { BadInputError } from '../core/errors';
import { parseBbox } from '../core/geo/bbox';
import type { Database } from '../store/db/database';
import {
  type AttributeFilter,
  hasSelection,
  type ParcelSelector,
} from '../store/db/parcel-selector';
import { parseIds, parseList } from './parse';

/**
 * How commands name a set of parcels — `parcels watch|unwatch|list` and `export` alike: by
 * database ids, a source, external ids (listed or in a file), a bounding box, the polygons of a
 * GeoJSON file and attribute conditions, narrowed to watched or unwatched parcels. All criteria
 * given must hold.
 */

const repo = () => require('../store/db/parcels-repo') as typeof import('../store/db/parcels-repo');
const selectionFiles = () =>
  require('../store/import/selection-files') as typeof import('../store/import/selection-files');

/** The options `addSelectionOptions` defines, as commander hands them over. */
export interface SelectionOptions {
  source?: string;
  ids?: string;
  externalIds?: string;
  file?: string;
  column?: string;
  bbox?: string;
  within?: string;
  /** Repeatable; commander starts it as []. */
  where?: string[];
  crop?: string;
  watched?: boolean;
  unwatched?: boolean;
}

/**
 * What the selection is for. `write` (watch, unwatch): a selection is required, and ids that
 * name no parcel are refused, so a typo never silently changes fewer parcels. `read` (list,
 * export): no selection means every parcel, and unknown ids simply select nothing.
 */
export type SelectionPurpose = 'write' | 'read';

/** The options people combine on the command line to select parcels, in `--help` order. */
export function addSelectionOptions(command: Command): Command {
  return command
    .option('--source <name>', 'parcels of this source (the --source of `parcels import`)')
    .option(
      '--ids <list>',
      'database parcel ids (the id column of `parcels list`), comma-separated',
    )
    .option(
      '--external-ids <list>',
      'external ids within --source, comma-separated (without --source: the only source there is)',
    )
    .option('--file <file>', 'external ids in a file: one per line, or a CSV column (see --column)')
    .option(
      '--column <name>',
      'the id column of a CSV --file (default: id, external_id, parcel_id, … or the first)',
    )
    .option('--bbox <minLon,minLat,maxLon,maxLat>', 'parcels intersecting this box (WGS 84)')
    .option('--within <geojson>', 'parcels inside the polygons of this GeoJSON file')
    .option(
      '--where <condition>',
      'attribute condition, repeatable: field=value, field!=value, field~text (contains, any case); fields: crop, name, owner_team, primary_tile, external_id, or any source attribute',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--crop <crop>', 'parcels of this crop (short for --where crop=<crop>)')
    .option('--watched', 'only watched parcels (narrows the other options)')
    .option('--unwatched', 'only parcels not watched (narrows the other options)');
}

/** The selector the options describe, or a BadInputError naming the option at fault. */
export async function buildSelector(
  db: Database,
  options: SelectionOptions,
  purpose: SelectionPurpose,
): Promise<ParcelSelector> {
  if (options.watched && options.unwatched) {
    throw new BadInputError('give --watched or --unwatched, not both', { code: 'OPTION_INVALID' });
  }
  if (options.column !== undefined && options.file === undefined) {
    throw new BadInputError('--column names a column of --file; give the file too', {
      code: 'OPTION_INVALID',
    });
  }
  const selector: ParcelSelector = {};
  const ids = parseIds(options.ids, '--ids');
  if (options.ids !== undefined && !ids) throw emptyList('--ids', options.ids);
  if (ids) selector.ids = ids;
  if (options.source !== undefined) selector.source = options.source;
  if (options.bbox !== undefined) selector.bbox = parseBbox(options.bbox, '--bbox');
  const where: AttributeFilter[] = (options.where ?? []).map(parseFilter);
  if (options.crop !== undefined) where.push({ field: 'crop', op: '=', value: options.crop });
  if (where.length > 0) selector.where = where;
  if (options.within !== undefined) {
    selector.within = await selectionFiles().readSelectionArea(options.within);
  }
  const externalIds = await externalIdsOf(options);
  if (externalIds) {
    selector.source ??= await onlySource(db);
    selector.externalIds = externalIds;
  }
  if (purpose === 'write') {
    if (!hasSelection(selector)) {
      throw new BadInputError(
        `select parcels with --source, --ids, --external-ids, --file, --bbox, --within, --where or --crop${options.watched || options.unwatched ? ' (--watched and --unwatched only narrow a selection)' : ''} (see --help)`,
        { code: 'OPTION_INVALID' },
      );
    }
    await refuseUnknownIds(db, selector);
  }
  if (options.watched) selector.watched = true;
  if (options.unwatched) selector.watched = false;
  return selector;
}

/** External ids of --external-ids and --file together, or undefined when neither is given. */
async function externalIdsOf(options: SelectionOptions): Promise<string[] | undefined> {
  if (options.externalIds === undefined && options.file === undefined) return undefined;
  const listed = parseList(options.externalIds);
  if (options.externalIds !== undefined && !listed) {
    throw emptyList('--external-ids', options.externalIds);
  }
  const fromFile =
    options.file === undefined
      ? []
      : await selectionFiles().readIdList(options.file, options.column);
  if (options.file !== undefined && fromFile.length === 0) {
    throw new BadInputError(`--file ${options.file} holds no external id`, {
      code: 'OPTION_INVALID',
    });
  }
  return [...(listed ?? []), ...fromFile];
}

function emptyList(option: string, value: string): BadInputError {
  return new BadInputError(`${option} "${value}" lists no id; give them comma-separated`, {
    code: 'OPTION_INVALID',
  });
}

/** The source external ids refer to when --source is not given: the only one there is. */
async function onlySource(db: Database): Promise<string> {
  const sources = await repo().parcelSources(db);
  if (sources.length === 1) return sources[0];
  throw new BadInputError(
    sources.length === 0
      ? 'there are no parcels yet; import some with `parcelwatch parcels import FILE`'
      : `parcels come from ${sources.length} sources (${sources.join(', ')}); say which one the external ids belong to with --source`,
    { code: 'OPTION_INVALID' },
  );
}

/** Refuses ids or external ids that name no parcel, before anything is changed. */
async function refuseUnknownIds(db: Database, selector: ParcelSelector): Promise<void> {
  const named = <T>(unknown: { ids: T[]; count: number }) =>
    `${unknown.ids.map((id) => `"${id}"`).join(', ')}${unknown.count > unknown.ids.length ? ', …' : ''}`;
  if (selector.ids) {
    const unknown = await repo().unknownParcelIds(db, selector.ids);
    if (unknown.count > 0) {
      throw new BadInputError(
        `${unknown.count} of the ${selector.ids.length} --ids ${unknown.count === 1 ? 'is' : 'are'} no parcel's id: ${named(unknown)}; nothing was changed — --ids takes database ids (\`parcelwatch parcels list\`), --external-ids the ids of your files`,
        { code: 'PARCEL_IDS_UNKNOWN' },
      );
    }
  }
  if (selector.externalIds && selector.source !== undefined) {
    const unknown = await repo().unknownExternalIds(db, selector.source, selector.externalIds);
    if (unknown.count > 0) {
      throw new BadInputError(
        `${unknown.count} of the ${selector.externalIds.length} external ids ${unknown.count === 1 ? 'is' : 'are'} not parcels of source ${selector.source}: ${named(unknown)}; nothing was changed — check the ids and --source (\`parcelwatch parcels list --source ${selector.source}\`)`,
        { code: 'PARCEL_IDS_UNKNOWN' },
      );
    }
  }
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
