import type { Queryable } from '../db/groups';
import { DEFAULT_OWNER_TEAM } from '../db/parcels-repo';

/**
 * Moves staged rows into `parcels`, upserting by (source, external id) like `upsertParcels` does,
 * set-based over a range of file rows: a parcel is rewritten only when something differs, and a
 * changed geometry leaves its group (the caller refreshes the groups left, assignGroups places
 * the parcel again). Returns counts only, so a million rows cost no memory here.
 */

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Parcels whose geometry changed and left their group. */
  regroup: number;
  /** Groups those parcels left. */
  leftGroups: number[];
}

export async function upsertStagedRange(
  client: Queryable,
  source: string,
  fromRow: number,
  toRow: number,
): Promise<UpsertCounts> {
  const result = await client.query<{
    inserted: number;
    updated: number;
    unchanged: number;
    regroup: number;
    left_groups: string[];
  }>(UPSERT_STAGED_SQL, [source, fromRow, toRow, DEFAULT_OWNER_TEAM]);
  const row = result.rows[0];
  return {
    inserted: row.inserted,
    updated: row.updated,
    unchanged: row.unchanged,
    regroup: row.regroup,
    leftGroups: row.left_groups.map(Number),
  };
}

// `stored` and `written` see the same snapshot, so each row's outcome is known; the caller holds
// lockParcelGroups so no concurrent writer changes groups in between.
const UPSERT_STAGED_SQL = `
WITH input AS (
  SELECT * FROM parcel_import_staging WHERE file_row >= $2 AND file_row <= $3
), stored AS (
  SELECT p.id, p.external_id, p.group_id, p.owner_team
    FROM parcels p JOIN input i ON p.source = $1 AND p.external_id = i.external_id
), written AS (
  INSERT INTO parcels AS p (source, external_id, name, crop, owner_team, geom, area_m2, primary_tile,
                            geometry_repaired, attributes)
  SELECT $1, i.external_id, i.name, i.crop, COALESCE(i.owner_team, s.owner_team, $4),
         i.geom, ST_Area(i.geom::geography), i.primary_tile, i.repaired, i.attributes
    FROM input i LEFT JOIN stored s USING (external_id)
   ORDER BY i.file_row
  ON CONFLICT (source, external_id) DO UPDATE SET
    name = EXCLUDED.name,
    crop = EXCLUDED.crop,
    owner_team = EXCLUDED.owner_team,
    geom = EXCLUDED.geom,
    area_m2 = EXCLUDED.area_m2,
    primary_tile = EXCLUDED.primary_tile,
    geometry_repaired = EXCLUDED.geometry_repaired,
    attributes = EXCLUDED.attributes,
    group_id = CASE WHEN ST_AsEWKB(p.geom) = ST_AsEWKB(EXCLUDED.geom)
                     AND p.primary_tile IS NOT DISTINCT FROM EXCLUDED.primary_tile
                    THEN p.group_id END,
    updated_at = now()
  WHERE (p.name, p.crop, p.owner_team, p.primary_tile, p.geometry_repaired, p.attributes) IS DISTINCT FROM
        (EXCLUDED.name, EXCLUDED.crop, EXCLUDED.owner_team, EXCLUDED.primary_tile,
         EXCLUDED.geometry_repaired, EXCLUDED.attributes)
     OR ST_AsEWKB(p.geom) <> ST_AsEWKB(EXCLUDED.geom)
  RETURNING p.external_id, p.group_id
)
SELECT (count(*) FILTER (WHERE s.id IS NULL))::int AS inserted,
       (count(*) FILTER (WHERE s.id IS NOT NULL AND w.external_id IS NOT NULL))::int AS updated,
       (count(*) FILTER (WHERE w.external_id IS NULL))::int AS unchanged,
       (count(*) FILTER (WHERE s.group_id IS NOT NULL AND w.external_id IS NOT NULL
                           AND w.group_id IS NULL))::int AS regroup,
       COALESCE(array_agg(DISTINCT s.group_id) FILTER (WHERE s.group_id IS NOT NULL
                           AND w.external_id IS NOT NULL AND w.group_id IS NULL), '{}') AS left_groups
  FROM input i
  LEFT JOIN stored s USING (external_id)
  LEFT JOIN written w USING (external_id)`;
