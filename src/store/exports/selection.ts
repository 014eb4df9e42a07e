import type { BBox } from '../../core/geo/types';

/**
 * Which parcels, indices and times a read covers: one description shared by the API's lists, the
 * map, and the CSV/Parquet/GeoJSON exports, turned into SQL conditions here.
 */

/** Parcels by any combination of these (all given conditions must hold). */
export interface ParcelFilter {
  /** Database ids. */
  ids?: number[];
  source?: string;
  /** External ids, within `source` when given. */
  externalIds?: string[];
  /** WGS 84 [minLon, minLat, maxLon, maxLat]: parcels intersecting it. */
  bbox?: BBox;
  watched?: boolean;
  crop?: string;
  /** Case-insensitive substring of the external id. */
  externalIdContains?: string;
}

/** A time range [from, to) of instants, ISO 8601; either end may be open. */
export interface TimeRange {
  from?: string;
  to?: string;
}

export type SeriesKind = 'observations' | 'weekly';

/** A slice of the series: parcels × indices × time. */
export interface SeriesSelection {
  parcels: ParcelFilter;
  /** Index names; absent: every index. */
  indices?: string[];
  time: TimeRange;
  kind: SeriesKind;
}

/** Positional parameters of one statement, numbered as they are added. */
export class SqlParams {
  readonly values: unknown[] = [];

  /** Adds a value and returns its placeholder (`$3`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** SQL conditions (to be AND-ed) selecting the filter's parcels from `parcels <alias>`. */
export function parcelConditions(filter: ParcelFilter, params: SqlParams, alias = 'p'): string[] {
  const where: string[] = [];
  if (filter.ids) where.push(`${alias}.id = ANY(${params.add(filter.ids)}::bigint[])`);
  if (filter.source !== undefined) where.push(`${alias}.source = ${params.add(filter.source)}`);
  if (filter.externalIds) {
    where.push(`${alias}.external_id = ANY(${params.add(filter.externalIds)}::text[])`);
  }
  if (filter.bbox) {
    const [minLon, minLat, maxLon, maxLat] = filter.bbox.map((v) => params.add(v));
    where.push(
      `ST_Intersects(${alias}.geom, ST_MakeEnvelope(${minLon}::float8, ${minLat}::float8, ${maxLon}::float8, ${maxLat}::float8, 4326))`,
    );
  }
  if (filter.watched !== undefined) where.push(`${alias}.watched = ${params.add(filter.watched)}`);
  if (filter.crop !== undefined) where.push(`${alias}.crop = ${params.add(filter.crop)}`);
  if (filter.externalIdContains !== undefined) {
    const escaped = filter.externalIdContains.replace(/[\\%_]/g, (c) => `\\${c}`);
    where.push(`${alias}.external_id ILIKE ${params.add(`%${escaped}%`)}`);
  }
  return where;
}

/** `cond1 AND cond2 …`, or `true` when there is none. */
export function allOf(conditions: readonly string[]): string {
  return conditions.length ? conditions.join(' AND ') : 'true';
}
