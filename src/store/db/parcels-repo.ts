import { BadInputError } from '../../core/errors';
import { validateGeometry } from '../../core/geo/geometry';
import { primaryTile } from '../../core/geo/primary-tile';
import type { ParcelGeometry } from '../../core/geo/types';
import { type AuditEntry, recordAudit } from './audit-log';
import type { Database } from './database';
import { lockParcelGroups, type Queryable, refreshGroups, refreshWatchedCounts } from './groups';
import { PARCEL_COLUMNS, type ParcelRow, type StoredParcel, toStoredParcel } from './parcel-row';
import {
  allOf,
  type ParcelSelector,
  requireSelection,
  SqlParams,
  selectorConditions,
} from './parcel-selector';
import { chunks, inTransaction } from './transaction';

/**
 * Parcels: the minimal programmatic path in (the file importer builds on it), watching, and the
 * reads the compute activity pages through.
 */

/** Source of parcels given without one (the schema's default). */
export const DEFAULT_PARCEL_SOURCE = 'default';
/** Owner of new parcels given without one (the schema's default; governance reassigns). */
export const DEFAULT_OWNER_TEAM = 'team-a';
/** Parcels per INSERT: large enough to amortise round trips, small enough for one statement's memory. */
const UPSERT_BATCH_ROWS = 2_000;
/** Invalid parcels named in one error message; the count says how many more. */
const MAX_NAMED_PROBLEMS = 10;
/** Parcels per page of `parcelsOfGroup` unless asked: one compute chunk. */
const DEFAULT_PAGE_PARCELS = 5_000;

export interface ParcelInput {
  /** The parcel's id in its source; unique per source. */
  externalId: string;
  /** Where it came from (an import name). @default options.source, else 'default' */
  source?: string;
  name?: string | null;
  crop?: string | null;
  /** Absent: a new parcel gets DEFAULT_OWNER_TEAM, a known one keeps its team. */
  ownerTeam?: string;
  /** Polygon or MultiPolygon, WGS 84 lon/lat (EPSG:4326). */
  geometry: ParcelGeometry;
  /** Other attributes of the source, kept as given. */
  attributes?: Record<string, unknown>;
}

export interface UpsertParcelsOptions {
  /** Source of parcels that name none. @default 'default' */
  source?: string;
}

export interface UpsertParcelsResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Database id of each parcel, in input order. */
  ids: number[];
  /** Parcels whose geometry changed and now await a group (run assignGroups). */
  regroup: number;
}

interface Prepared {
  source: string;
  externalId: string;
  name: string | null;
  crop: string | null;
  ownerTeam: string | null;
  geojson: string;
  tile: string;
  attributes: string;
}

/**
 * Inserts or updates parcels by (source, external id), all in one transaction. Geometries are
 * stored as MultiPolygon, SRID 4326, with their geodesic area (PostGIS, on the spheroid) and
 * primary tile. A known parcel is rewritten only when something differs (name, crop, owner,
 * geometry, attributes); name, crop and attributes absent are stored as null / {}. A changed
 * geometry takes the parcel out of its group (its old group is refreshed) until assignGroups
 * places it again. Any invalid geometry fails the whole call, naming each parcel and PostGIS's
 * reason; nothing is written then.
 */
export async function upsertParcels(
  db: Database,
  parcels: readonly ParcelInput[],
  options: UpsertParcelsOptions = {},
): Promise<UpsertParcelsResult> {
  const prepared = prepareParcels(parcels, options.source ?? DEFAULT_PARCEL_SOURCE);
  const result: UpsertParcelsResult = {
    inserted: 0,
    updated: 0,
    unchanged: 0,
    ids: [],
    regroup: 0,
  };
  if (prepared.length === 0) return result;
  return inTransaction(db.pool, async (client) => {
    await lockParcelGroups(client);
    for (const batch of chunks(prepared, UPSERT_BATCH_ROWS)) await assertValid(client, batch);
    const leftGroups: number[] = [];
    for (const batch of chunks(prepared, UPSERT_BATCH_ROWS)) {
      const rows = await client.query<{
        id: string;
        outcome: 'inserted' | 'updated' | 'unchanged';
        old_group: string | null;
        new_group: string | null;
      }>(UPSERT_SQL, [
        batch.map((p) => p.source),
        batch.map((p) => p.externalId),
        batch.map((p) => p.name),
        batch.map((p) => p.crop),
        batch.map((p) => p.ownerTeam),
        batch.map((p) => p.geojson),
        batch.map((p) => p.tile),
        batch.map((p) => p.attributes),
        DEFAULT_OWNER_TEAM,
      ]);
      for (const row of rows.rows) {
        result.ids.push(Number(row.id));
        result[row.outcome]++;
        if (row.old_group !== null && row.new_group === null) {
          leftGroups.push(Number(row.old_group));
          result.regroup++;
        }
      }
    }
    await refreshGroups(client, leftGroups);
    return result;
  });
}

// Inputs are matched to stored rows on the same snapshot (`stored`), so the outcome of each
// parcel is known; the advisory lock keeps concurrent upserts from racing between the two.
const UPSERT_SQL = `
WITH input AS (
  SELECT t.*, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(t.geojson), 4326)) AS geom
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
         WITH ORDINALITY AS t(source, external_id, name, crop, owner_team, geojson, tile, attributes, ord)
), stored AS (
  SELECT p.id, p.source, p.external_id, p.group_id, p.owner_team
    FROM parcels p JOIN input i USING (source, external_id)
), written AS (
  INSERT INTO parcels AS p (source, external_id, name, crop, owner_team, geom, area_m2, primary_tile, attributes)
  SELECT i.source, i.external_id, i.name, i.crop, COALESCE(i.owner_team, s.owner_team, $9),
         i.geom, ST_Area(i.geom::geography), i.tile, i.attributes
    FROM input i LEFT JOIN stored s USING (source, external_id)
   ORDER BY i.ord
  ON CONFLICT (source, external_id) DO UPDATE SET
    name = EXCLUDED.name,
    crop = EXCLUDED.crop,
    owner_team = EXCLUDED.owner_team,
    geom = EXCLUDED.geom,
    area_m2 = EXCLUDED.area_m2,
    primary_tile = EXCLUDED.primary_tile,
    attributes = EXCLUDED.attributes,
    group_id = CASE WHEN ST_AsEWKB(p.geom) = ST_AsEWKB(EXCLUDED.geom)
                     AND p.primary_tile IS NOT DISTINCT FROM EXCLUDED.primary_tile
                    THEN p.group_id END,
    updated_at = now()
  WHERE (p.name, p.crop, p.owner_team, p.primary_tile, p.attributes) IS DISTINCT FROM
        (EXCLUDED.name, EXCLUDED.crop, EXCLUDED.owner_team, EXCLUDED.primary_tile, EXCLUDED.attributes)
     OR ST_AsEWKB(p.geom) <> ST_AsEWKB(EXCLUDED.geom)
  RETURNING p.id, p.source, p.external_id, p.group_id
)
SELECT COALESCE(w.id, s.id) AS id,
       CASE WHEN s.id IS NULL THEN 'inserted' WHEN w.id IS NULL THEN 'unchanged' ELSE 'updated' END AS outcome,
       s.group_id AS old_group,
       CASE WHEN w.id IS NULL THEN s.group_id ELSE w.group_id END AS new_group
  FROM input i
  LEFT JOIN stored s USING (source, external_id)
  LEFT JOIN written w USING (source, external_id)
 ORDER BY i.ord`;

function prepareParcels(parcels: readonly ParcelInput[], defaultSource: string): Prepared[] {
  const seen = new Set<string>();
  return parcels.map((parcel, i) => {
    const externalId = parcel.externalId;
    if (typeof externalId !== 'string' || externalId.trim() === '') {
      throw new BadInputError(
        `parcel ${i} has no external id; give each parcel a non-empty externalId`,
        { code: 'PARCEL_ID_MISSING' },
      );
    }
    const source = parcel.source ?? defaultSource;
    const key = `${source}\u0000${externalId}`;
    if (seen.has(key)) {
      throw new BadInputError(
        `parcel "${externalId}" (source ${source}) is given twice; external ids must be unique per source`,
        { code: 'PARCEL_ID_DUPLICATE' },
      );
    }
    seen.add(key);
    const problems = validateGeometry(parcel.geometry, { geographic: true });
    if (problems.length > 0) {
      throw new BadInputError(
        `parcel "${externalId}" (source ${source}): ${problems.map((p) => p.message).join('; ')}; fix the geometry (WGS 84 lon/lat Polygon or MultiPolygon) and import again`,
        { code: 'PARCEL_GEOMETRY_INVALID' },
      );
    }
    let tile: string;
    try {
      tile = primaryTile(parcel.geometry).tile;
    } catch (error) {
      throw new BadInputError(
        `parcel "${externalId}" (source ${source}): ${(error as Error).message}`,
        {
          code: 'PARCEL_OUTSIDE_TILES',
          cause: error,
        },
      );
    }
    return {
      source,
      externalId,
      name: parcel.name ?? null,
      crop: parcel.crop ?? null,
      ownerTeam: parcel.ownerTeam ?? null,
      geojson: JSON.stringify(parcel.geometry),
      tile,
      attributes: JSON.stringify(parcel.attributes ?? {}),
    };
  });
}

/** Fails naming every parcel of the batch whose geometry PostGIS finds invalid, and why. */
async function assertValid(client: Queryable, batch: Prepared[]): Promise<void> {
  const invalid = await client.query<{ ord: string; reason: string }>(
    `SELECT t.ord, ST_IsValidReason(g) AS reason
       FROM unnest($1::text[]) WITH ORDINALITY AS t(geojson, ord)
      CROSS JOIN LATERAL ST_GeomFromGeoJSON(t.geojson) AS g
      WHERE NOT ST_IsValid(g)
      ORDER BY t.ord`,
    [batch.map((p) => p.geojson)],
  );
  if (invalid.rows.length === 0) return;
  const named = invalid.rows.slice(0, MAX_NAMED_PROBLEMS).map((row) => {
    const parcel = batch[Number(row.ord) - 1];
    return `parcel "${parcel.externalId}" (source ${parcel.source}): ${row.reason}`;
  });
  const more = invalid.rows.length - named.length;
  throw new BadInputError(
    `${invalid.rows.length} parcel geometr${invalid.rows.length === 1 ? 'y is' : 'ies are'} invalid, nothing was written: ${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}; fix the geometries (self-intersections, e.g. with ST_MakeValid or QGIS "Fix geometries") and import again`,
    { code: 'PARCEL_GEOMETRY_INVALID' },
  );
}

/**
 * Starts (`watched` true) or stops watching the selected parcels; only watched parcels are
 * computed. Returns how many parcels changed; their groups' watched counts follow. A selector
 * naming no parcels by itself (nothing, or only `watched`) is refused.
 */
export async function watchParcels(
  db: Database,
  selector: ParcelSelector,
  watched: boolean,
  options: WatchOptions = {},
): Promise<number> {
  requireSelection(selector);
  return inTransaction(db.pool, async (client) => {
    await lockParcelGroups(client);
    const changed = await setWatchedWhere(client, watched, (params) =>
      allOf(selectorConditions(selector, params)),
    );
    if (options.audit) {
      const { details, ...entry } = options.audit;
      await recordAudit(client, { ...entry, details: { ...details, changed } });
    }
    return changed;
  });
}

/**
 * Sets `watched` on the parcels (`parcels p`) matching the condition `where` builds (its values
 * added to the params it is given) whose flag differs, and brings their groups' watched counts
 * up to date. Returns how many changed. Call inside a transaction holding `lockParcelGroups`.
 */
export async function setWatchedWhere(
  client: Queryable,
  watched: boolean,
  where: (params: SqlParams) => string,
): Promise<number> {
  const params = new SqlParams([watched]);
  const condition = where(params);
  // Aggregated in SQL: a selection can be millions of parcels, their groups a few hundred.
  const changed = await client.query<{ n: number; groups: string[] }>(
    `WITH changed AS (
       UPDATE parcels p SET watched = $1, updated_at = now()
        WHERE ${condition} AND p.watched <> $1
        RETURNING p.group_id)
     SELECT count(*)::int AS n,
            COALESCE(array_agg(DISTINCT group_id) FILTER (WHERE group_id IS NOT NULL), '{}') AS groups
       FROM changed`,
    params.values,
  );
  await refreshWatchedCounts(client, changed.rows[0].groups.map(Number));
  return changed.rows[0].n;
}

export interface WatchOptions {
  /** Recorded in the audit log in the same transaction, with the count of parcels changed. */
  audit?: AuditEntry;
}

/** How many parcels the selector matches (no selection: all of them). */
export async function countParcels(db: Database, selector: ParcelSelector): Promise<number> {
  const params = new SqlParams();
  const where = allOf(selectorConditions(selector, params));
  const rows = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM parcels p WHERE ${where}`,
    params.values,
  );
  return rows.rows[0].n;
}

/** A parcel as `parcelwatch parcels list` shows it. */
export interface ParcelListing extends StoredParcel {
  groupId: number | null;
  geometryRepaired: boolean;
  /** MultiPolygon, EPSG:4326, when asked for. */
  geometry?: ParcelGeometry;
}

export interface ListParcelsOptions {
  /** Parcels with a greater id: the last id of the previous page. */
  afterId?: number;
  /** @default 5000 */
  limit?: number;
  withGeometry?: boolean;
}

/** One page of the selected parcels (no selection: all), ordered by id. */
export async function listParcels(
  db: Database,
  selector: ParcelSelector,
  options: ListParcelsOptions = {},
): Promise<ParcelListing[]> {
  const params = new SqlParams([
    options.withGeometry === true,
    options.afterId ?? 0,
    options.limit ?? DEFAULT_PAGE_PARCELS,
  ]);
  const where = allOf(selectorConditions(selector, params));
  const rows = await db.pool.query<
    ParcelRow & { group_id: string | null; geometry_repaired: boolean; geometry: string | null }
  >(
    `SELECT ${PARCEL_COLUMNS}, p.group_id, p.geometry_repaired,
            CASE WHEN $1 THEN ST_AsGeoJSON(p.geom, 9) END AS geometry
       FROM parcels p
      WHERE p.id > $2 AND ${where}
      ORDER BY p.id LIMIT $3`,
    params.values,
  );
  return rows.rows.map((r) => ({
    ...toStoredParcel(r),
    groupId: r.group_id === null ? null : Number(r.group_id),
    geometryRepaired: r.geometry_repaired,
    ...(r.geometry === null ? {} : { geometry: JSON.parse(r.geometry) as ParcelGeometry }),
  }));
}

/** Of these external ids, those no parcel of `source` has: the first `limit` and how many. */
export async function unknownExternalIds(
  db: Database,
  source: string,
  externalIds: readonly string[],
  limit = MAX_NAMED_PROBLEMS,
): Promise<{ ids: string[]; count: number }> {
  const rows = await db.pool.query<{ external_id: string; total: number }>(
    `SELECT t.external_id, (count(*) OVER ())::int AS total
       FROM unnest($2::text[]) WITH ORDINALITY AS t(external_id, ord)
      WHERE NOT EXISTS (SELECT 1 FROM parcels p WHERE p.source = $1 AND p.external_id = t.external_id)
      ORDER BY t.ord LIMIT $3`,
    [source, externalIds, limit],
  );
  return { ids: rows.rows.map((r) => r.external_id), count: rows.rows[0]?.total ?? 0 };
}

/** Of these database ids, those no parcel has: the first `limit` and how many. */
export async function unknownParcelIds(
  db: Database,
  ids: readonly number[],
  limit = MAX_NAMED_PROBLEMS,
): Promise<{ ids: number[]; count: number }> {
  const rows = await db.pool.query<{ id: string; total: number }>(
    `SELECT t.id, (count(*) OVER ())::int AS total
       FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, ord)
      WHERE NOT EXISTS (SELECT 1 FROM parcels p WHERE p.id = t.id)
      ORDER BY t.ord LIMIT $2`,
    [ids, limit],
  );
  return { ids: rows.rows.map((r) => Number(r.id)), count: rows.rows[0]?.total ?? 0 };
}

/** The sources parcels came from, sorted. */
export async function parcelSources(db: Database): Promise<string[]> {
  const rows = await db.pool.query<{ source: string }>(
    'SELECT DISTINCT source FROM parcels ORDER BY source',
  );
  return rows.rows.map((r) => r.source);
}

/**
 * Deletes the selected parcels (their observations and weekly rows go with them) and refreshes
 * their groups, deleting those left empty. Returns how many parcels were deleted. A selector
 * naming no parcels by itself is refused.
 */
export async function deleteParcels(db: Database, selector: ParcelSelector): Promise<number> {
  requireSelection(selector);
  const params = new SqlParams();
  const where = allOf(selectorConditions(selector, params));
  return inTransaction(db.pool, async (client) => {
    await lockParcelGroups(client);
    const deleted = await client.query<{ group_id: string | null }>(
      `DELETE FROM parcels p WHERE ${where} RETURNING p.group_id`,
      params.values,
    );
    await refreshGroups(
      client,
      deleted.rows.flatMap((r) => (r.group_id === null ? [] : [Number(r.group_id)])),
    );
    return deleted.rowCount ?? 0;
  });
}

/** A parcel as the compute activity needs it. */
export interface GroupParcel {
  id: number;
  externalId: string;
  /** MultiPolygon, WGS 84 lon/lat. */
  geometry: ParcelGeometry;
}

export interface GroupPageOptions {
  /** Only watched parcels (what a run computes). */
  watchedOnly: boolean;
  /** Parcels with a greater id: the last id of the previous page. */
  afterId?: number;
  /** @default 5000 */
  limit?: number;
}

/** One page of a group's parcels, ordered by id (page on with `afterId`). */
export async function parcelsOfGroup(
  db: Database,
  groupId: number,
  options: GroupPageOptions,
): Promise<GroupParcel[]> {
  const rows = await db.pool.query<{ id: string; external_id: string; geometry: string }>(
    `SELECT p.id, p.external_id, ST_AsGeoJSON(p.geom, 15) AS geometry
       FROM parcels p
      WHERE p.group_id = $1 AND (NOT $2 OR p.watched) AND p.id > $3
      ORDER BY p.id LIMIT $4`,
    [groupId, options.watchedOnly, options.afterId ?? 0, options.limit ?? DEFAULT_PAGE_PARCELS],
  );
  return rows.rows.map((r) => ({
    id: Number(r.id),
    externalId: r.external_id,
    geometry: JSON.parse(r.geometry) as ParcelGeometry,
  }));
}

/** How many parcels (watched ones only, when asked) the group holds. */
export async function groupParcelCount(
  db: Database,
  groupId: number,
  options: { watchedOnly: boolean },
): Promise<number> {
  const rows = await db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM parcels p WHERE p.group_id = $1 AND (NOT $2 OR p.watched)',
    [groupId, options.watchedOnly],
  );
  return rows.rows[0]?.n ?? 0;
}
