import { BadInputError } from '../../core/errors';
import { primaryTile } from '../../core/geo/primary-tile';
import type { ParcelGeometry } from '../../core/geo/types';
import type { Queryable } from '../db/groups';
import type { StagedParcel } from './prepare-feature';
import { MAX_NAMED_PROBLEMS, type RowProblem } from './problems';

/**
 * The staging table of one import: a temporary table of the import's transaction (dropped at its
 * end), filled in batches, then judged set-based by PostGIS — duplicates, validity (or repair),
 * emptiness, area — before anything touches `parcels`.
 */

/** Geodesic area above which a "parcel" is a data error: 10 000 ha, far beyond any single field. */
export const MAX_PARCEL_AREA_M2 = 100_000_000;
/**
 * Geodesic area below which a "parcel" is a data error: 1 m² is no field, and lon/lat read as
 * metres (a wrong --srs or `crs` member) gives shapes of about a millionth of that.
 */
export const MIN_PARCEL_AREA_M2 = 1;
/** Repaired rows whose primary tile is recomputed per query. */
const RETILE_PAGE_ROWS = 5_000;

export async function createStaging(client: Queryable): Promise<void> {
  await client.query(`
    CREATE TEMP TABLE parcel_import_staging (
      file_row integer PRIMARY KEY,
      external_id text NOT NULL,
      name text,
      crop text,
      owner_team text,
      geom geometry NOT NULL,
      primary_tile text NOT NULL,
      attributes jsonb NOT NULL,
      holder_name text,
      personal jsonb,
      repaired boolean NOT NULL DEFAULT false,
      invalid_reason text
    ) ON COMMIT DROP`);
}

/** Writes one batch of prepared rows (MultiPolygon, SRID 4326). */
export async function stageBatch(client: Queryable, batch: readonly StagedParcel[]): Promise<void> {
  if (batch.length === 0) return;
  try {
    await client.query(
      `INSERT INTO parcel_import_staging
         (file_row, external_id, name, crop, owner_team, geom, primary_tile, attributes,
          holder_name, personal)
       SELECT t.file_row, t.external_id, t.name, t.crop, t.owner_team,
              ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(t.geojson), 4326)), t.tile, t.attributes,
              t.holder_name, t.personal
         FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[],
                     $9::text[], $10::jsonb[])
              AS t(file_row, external_id, name, crop, owner_team, geojson, tile, attributes,
                   holder_name, personal)`,
      [
        batch.map((p) => p.row),
        batch.map((p) => p.externalId),
        batch.map((p) => p.name),
        batch.map((p) => p.crop),
        batch.map((p) => p.ownerTeam),
        batch.map((p) => p.geojson),
        batch.map((p) => p.tile),
        batch.map((p) => p.attributes),
        batch.map((p) => p.holderName),
        batch.map((p) => p.personal),
      ],
    );
  } catch (error) {
    throw new BadInputError(
      `PostGIS could not take rows ${batch[0].row}–${batch[batch.length - 1].row} (${(error as Error).message})`,
      { code: 'IMPORT_STAGING_FAILED', cause: error },
    );
  }
}

/** Statistics for the planner: temporary tables are never analysed automatically. */
export async function analyzeStaging(client: Queryable): Promise<void> {
  await client.query('ANALYZE parcel_import_staging');
}

/**
 * External ids used by more than one row: the second and later rows of each, naming the first;
 * the first few and the count.
 */
export async function duplicateProblems(
  client: Queryable,
): Promise<{ problems: RowProblem[]; total: number }> {
  const rows = await client.query<{ external_id: string; rows: number[]; total: string }>(
    `SELECT external_id, (array_agg(file_row ORDER BY file_row))[1:5] AS rows,
            sum(count(*) - 1) OVER () AS total
       FROM parcel_import_staging GROUP BY external_id HAVING count(*) > 1
      ORDER BY min(file_row) LIMIT $1`,
    [MAX_NAMED_PROBLEMS],
  );
  return {
    problems: rows.rows.map((r) => ({
      row: r.rows[1],
      externalId: r.external_id,
      reason: `uses the same external id as row ${r.rows[0]}${r.rows.length > 2 ? ` (and rows ${r.rows.slice(2).join(', ')}…)` : ''}; ids must be unique within a file`,
    })),
    total: Number(rows.rows[0]?.total ?? 0),
  };
}

/**
 * `--repair`: invalid geometries become `ST_MakeValid`'s polygons (lines and points it may leave
 * are dropped), flagged, with PostGIS's reason kept; their primary tile is recomputed. Returns how
 * many rows were repaired.
 */
export async function repairInvalid(client: Queryable): Promise<number> {
  const repaired = await client.query(
    `UPDATE parcel_import_staging
        SET invalid_reason = ST_IsValidReason(geom),
            geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)),
            repaired = true
      WHERE NOT ST_IsValid(geom)`,
  );
  for (let after = 0; ; ) {
    const page = await client.query<{ file_row: number; geometry: string }>(
      `SELECT file_row, ST_AsGeoJSON(geom, 15) AS geometry FROM parcel_import_staging
        WHERE repaired AND NOT ST_IsEmpty(geom) AND file_row > $1 ORDER BY file_row LIMIT $2`,
      [after, RETILE_PAGE_ROWS],
    );
    if (page.rows.length === 0) break;
    const rows: number[] = [];
    const tiles: string[] = [];
    for (const r of page.rows) {
      try {
        tiles.push(primaryTile(JSON.parse(r.geometry) as ParcelGeometry).tile);
        rows.push(r.file_row);
      } catch {
        // Keeps the tile of the unrepaired geometry: repair never moves a parcel far.
      }
    }
    await client.query(
      `UPDATE parcel_import_staging s SET primary_tile = t.tile
         FROM unnest($1::int[], $2::text[]) AS t(file_row, tile) WHERE s.file_row = t.file_row`,
      [rows, tiles],
    );
    after = page.rows[page.rows.length - 1].file_row;
  }
  return repaired.rowCount ?? 0;
}

/**
 * Rows PostGIS refuses: empty (a repair that left no polygon), invalid (with ST_IsValidReason),
 * or larger than MAX_PARCEL_AREA_M2 or smaller than MIN_PARCEL_AREA_M2 on the spheroid. The first few and the count.
 */
export async function geometryProblems(
  client: Queryable,
  repairing: boolean,
): Promise<{ problems: RowProblem[]; total: number }> {
  const rows = await client.query<{
    file_row: number;
    external_id: string;
    reason: string;
    total: string;
  }>(
    `SELECT file_row, external_id, reason, count(*) OVER () AS total FROM (
       SELECT file_row, external_id, CASE
         WHEN ST_IsEmpty(geom) AND repaired
           THEN format('geometry is invalid (%s) and repairing it left no polygon; fix it by hand', invalid_reason)
         WHEN ST_IsEmpty(geom) THEN 'geometry is empty'
         WHEN NOT ST_IsValid(geom) THEN CASE WHEN $2
           THEN format('geometry is invalid (%s) and ST_MakeValid could not repair it; fix it by hand', ST_IsValidReason(geom))
           ELSE format('geometry is invalid: %s; fix it or pass --repair', ST_IsValidReason(geom)) END
         WHEN ST_Area(geom::geography) > $1
           THEN format('is absurdly large for a parcel: %s ha (limit %s ha); check the geometry and its CRS',
                       round((ST_Area(geom::geography) / 10000)::numeric), $1 / 10000)
         WHEN ST_Area(geom::geography) < $4
           THEN format('is too small for a parcel: %s m² (at least %s m²); check the geometry and its CRS (--srs)',
                       ST_Area(geom::geography)::float4, $4)
         END AS reason
       FROM parcel_import_staging) judged
     WHERE reason IS NOT NULL ORDER BY file_row LIMIT $3`,
    [MAX_PARCEL_AREA_M2, repairing, MAX_NAMED_PROBLEMS, MIN_PARCEL_AREA_M2],
  );
  return {
    problems: rows.rows.map((r) => ({
      row: r.file_row,
      externalId: r.external_id,
      reason: r.reason,
    })),
    total: Number(rows.rows[0]?.total ?? 0),
  };
}

/** Rows staged (the upsert walks them in `file_row` ranges up to the largest). */
export async function stagedExtent(client: Queryable): Promise<{ rows: number; maxRow: number }> {
  const result = await client.query<{ n: number; max_row: number | null }>(
    'SELECT count(*)::int AS n, max(file_row) AS max_row FROM parcel_import_staging',
  );
  return { rows: result.rows[0].n, maxRow: result.rows[0].max_row ?? 0 };
}
