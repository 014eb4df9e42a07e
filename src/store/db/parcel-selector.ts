import { BadInputError } from '../../core/errors';
import type { BBox, ParcelGeometry } from '../../core/geo/types';

/**
 * Which parcels: one description for every read and write that names a set of parcels — watch
 * lists, `parcels list`, the API's lists and map, and the exports — turned into SQL here, once.
 */

/**
 * Parcels by any combination of these; every criterion given must hold. `watched` only narrows:
 * a write needs another criterion (see `requireSelection`).
 */
export interface ParcelSelector {
  /** Database ids. */
  ids?: number[];
  /** Parcels of this source. */
  source?: string;
  /** External ids: within `source` when it is given, in any source otherwise. */
  externalIds?: string[];
  /** Parcels intersecting this box: [minLon, minLat, maxLon, maxLat], EPSG:4326. */
  bbox?: BBox;
  /** Parcels lying inside this area (covered by it), EPSG:4326. */
  within?: ParcelGeometry;
  /** Conditions on columns or source attributes, all of which must hold. */
  where?: AttributeFilter[];
  /** Only watched (true) or unwatched (false) parcels. */
  watched?: boolean;
}

/**
 * A condition on a parcel column (see `FILTER_COLUMNS`) or, for any other name (or
 * `attributes.<name>`), on a source attribute compared as text. `=` equals, `!=` differs (absent
 * counts as different), `~` contains, ignoring case.
 */
export interface AttributeFilter {
  field: string;
  op: '=' | '!=' | '~';
  value: string;
}

/** Columns a filter can name, as SQL after the table alias (compared as text). */
export const FILTER_COLUMNS: Readonly<Record<string, string>> = {
  id: 'id::text',
  external_id: 'external_id',
  source: 'source',
  name: 'name',
  crop: 'crop',
  owner: 'owner_team',
  owner_team: 'owner_team',
  tile: 'primary_tile',
  primary_tile: 'primary_tile',
  group: 'group_id::text',
  group_id: 'group_id::text',
};

/** Positional parameters of one statement, numbered as they are added. */
export class SqlParams {
  readonly values: unknown[];

  /** `bound`: values the statement already numbers `$1`, `$2`, …; added ones follow them. */
  constructor(bound: readonly unknown[] = []) {
    this.values = [...bound];
  }

  /** Adds a value and returns its placeholder (`$3`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `cond1 AND cond2 …`, or `true` when there is none. */
export function allOf(conditions: readonly string[]): string {
  return conditions.length ? conditions.join(' AND ') : 'true';
}

/** SQL conditions (to be AND-ed) selecting the selector's parcels from `parcels <alias>`. */
export function selectorConditions(
  selector: ParcelSelector,
  params: SqlParams,
  alias = 'p',
): string[] {
  const where: string[] = [];
  if (selector.ids) where.push(`${alias}.id = ANY(${params.add(selector.ids)}::bigint[])`);
  if (selector.source !== undefined) where.push(`${alias}.source = ${params.add(selector.source)}`);
  if (selector.externalIds) {
    where.push(`${alias}.external_id = ANY(${params.add(selector.externalIds)}::text[])`);
  }
  if (selector.bbox) {
    const [minLon, minLat, maxLon, maxLat] = selector.bbox.map((v) => params.add(v));
    where.push(
      `ST_Intersects(${alias}.geom, ST_MakeEnvelope(${minLon}::float8, ${minLat}::float8, ${maxLon}::float8, ${maxLat}::float8, 4326))`,
    );
  }
  if (selector.within) {
    // Made valid and dissolved, so parcels straddling two touching polygons of the area count.
    where.push(
      `ST_CoveredBy(${alias}.geom, ST_UnaryUnion(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(${params.add(JSON.stringify(selector.within))}::text), 4326))))`,
    );
  }
  for (const filter of selector.where ?? []) where.push(filterCondition(filter, params, alias));
  if (selector.watched !== undefined) {
    where.push(`${alias}.watched = ${params.add(selector.watched)}::boolean`);
  }
  return where;
}

function filterCondition(filter: AttributeFilter, params: SqlParams, alias: string): string {
  const attribute = filter.field.startsWith('attributes.')
    ? filter.field.slice('attributes.'.length)
    : undefined;
  const column =
    attribute === undefined && Object.hasOwn(FILTER_COLUMNS, filter.field)
      ? `${alias}.${FILTER_COLUMNS[filter.field]}`
      : `(${alias}.attributes ->> ${params.add(attribute ?? filter.field)}::text)`;
  switch (filter.op) {
    case '=':
      return `${column} = ${params.add(filter.value)}::text`;
    case '!=':
      return `${column} IS DISTINCT FROM ${params.add(filter.value)}::text`;
    case '~':
      return `${column} ILIKE ${params.add(`%${filter.value.replace(/[\\%_]/g, '\\$&')}%`)}::text`;
  }
}

/** Whether the selector names parcels by itself: any criterion but `watched`, which only narrows. */
export function hasSelection(selector: ParcelSelector): boolean {
  return (
    selector.ids !== undefined ||
    selector.source !== undefined ||
    selector.externalIds !== undefined ||
    selector.bbox !== undefined ||
    selector.within !== undefined ||
    (selector.where?.length ?? 0) > 0
  );
}

/** Refuses a selector that names no parcels by itself: a write never applies to every parcel by default. */
export function requireSelection(selector: ParcelSelector): void {
  if (hasSelection(selector)) return;
  throw new BadInputError(
    'no parcels selected; give ids, a source, externalIds (with their source), a bbox, an area or attribute conditions (watched only narrows a selection)',
    { code: 'PARCEL_SELECTOR_EMPTY' },
  );
}
