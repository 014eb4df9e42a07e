import type { ParcelGeometry } from '../../core/geo/types';
import type { Database } from '../db/database';
import {
  PARCEL_COLUMNS,
  type ParcelRow,
  type StoredParcel,
  toStoredParcel,
} from '../db/parcel-row';
import { allOf, type ParcelSelector, SqlParams, selectorConditions } from '../db/parcel-selector';

/** Parcels as the API lists and shows them: pages by id, one parcel by id or by source and external id. */

export interface ParcelSummary extends StoredParcel {
  groupId: number | null;
  geometryRepaired: boolean;
  /** [minLon, minLat, maxLon, maxLat] of the geometry. */
  bbox: [number, number, number, number];
  createdAt: string;
  updatedAt: string;
}

export interface ParcelDetail extends ParcelSummary {
  /** MultiPolygon, WGS 84. */
  geometry: ParcelGeometry;
}

/** A parcel by database id, or by (source, external id). */
export type ParcelRef = { id: number } | { source: string; externalId: string };

export interface ParcelPage<T> {
  items: T[];
  /** Id to continue after, when more parcels follow. */
  next?: number;
}

const SUMMARY_COLUMNS = `${PARCEL_COLUMNS}, p.group_id, p.geometry_repaired,
  ST_XMin(p.geom) AS min_lon, ST_YMin(p.geom) AS min_lat, ST_XMax(p.geom) AS max_lon,
  ST_YMax(p.geom) AS max_lat, p.created_at, p.updated_at`;
/** Coordinate digits of geometries given back: as stored (doubles from the parcel files). */
const GEOMETRY_DIGITS = 15;

/** One page of the selected parcels (no criterion: all), by id; `withGeometry` adds each geometry. */
export async function listParcels<G extends boolean>(
  db: Database,
  selector: ParcelSelector,
  page: { afterId?: number; limit: number; withGeometry: G },
): Promise<ParcelPage<G extends true ? ParcelDetail : ParcelSummary>> {
  const params = new SqlParams();
  const where = selectorConditions(selector, params);
  if (page.afterId !== undefined) where.push(`p.id > ${params.add(page.afterId)}::bigint`);
  const geometry = page.withGeometry
    ? `, ST_AsGeoJSON(p.geom, ${GEOMETRY_DIGITS}) AS geometry`
    : '';
  const result = await db.pool.query<ParcelRecord>(
    `SELECT ${SUMMARY_COLUMNS}${geometry} FROM parcels p
      WHERE ${allOf(where)} ORDER BY p.id LIMIT ${params.add(page.limit + 1)}`,
    params.values,
  );
  const rows = result.rows.slice(0, page.limit);
  return {
    items: rows.map(toParcel) as Array<G extends true ? ParcelDetail : ParcelSummary>,
    next: result.rows.length > page.limit ? Number(rows.at(-1)?.id) : undefined,
  };
}

/** One parcel with its geometry, or undefined. */
export async function getParcel(db: Database, ref: ParcelRef): Promise<ParcelDetail | undefined> {
  const byId = 'id' in ref;
  const result = await db.pool.query<ParcelRecord>(
    `SELECT ${SUMMARY_COLUMNS}, ST_AsGeoJSON(p.geom, ${GEOMETRY_DIGITS}) AS geometry FROM parcels p
      WHERE ${byId ? 'p.id = $1::bigint' : 'p.source = $1 AND p.external_id = $2'}`,
    byId ? [ref.id] : [ref.source, ref.externalId],
  );
  const row = result.rows[0];
  return row && (toParcel(row) as ParcelDetail);
}

/** The database id of a parcel, or undefined when there is none such. */
export async function resolveParcelId(db: Database, ref: ParcelRef): Promise<number | undefined> {
  const byId = 'id' in ref;
  const result = await db.pool.query<{ id: string }>(
    `SELECT p.id FROM parcels p
      WHERE ${byId ? 'p.id = $1::bigint' : 'p.source = $1 AND p.external_id = $2'}`,
    byId ? [ref.id] : [ref.source, ref.externalId],
  );
  return result.rows[0] ? Number(result.rows[0].id) : undefined;
}

interface ParcelRecord extends ParcelRow {
  group_id: string | null;
  geometry_repaired: boolean;
  min_lon: number;
  min_lat: number;
  max_lon: number;
  max_lat: number;
  created_at: Date;
  updated_at: Date;
  geometry?: string;
}

function toParcel(r: ParcelRecord): ParcelSummary | ParcelDetail {
  const summary: ParcelSummary = {
    ...toStoredParcel(r),
    groupId: r.group_id === null ? null : Number(r.group_id),
    geometryRepaired: r.geometry_repaired,
    bbox: [r.min_lon, r.min_lat, r.max_lon, r.max_lat],
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
  return r.geometry === undefined
    ? summary
    : { ...summary, geometry: JSON.parse(r.geometry) as ParcelGeometry };
}
