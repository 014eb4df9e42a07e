import type { PoolClient } from 'pg';
import {
  type CellPath,
  groupNumberOfCell,
  pointKey,
  QUADTREE_MAX_LEVEL,
  QuadtreeLeaves,
  splitCell,
} from '../../core/geo/quadtree';
import { s2Tile } from '../../core/geo/s2-tiles';
import type { Polygon } from '../../core/geo/types';
import type { Database } from './database';
import { chunks, inTransaction } from './transaction';

/**
 * Parcel groups: the unit of work of a weekly run. A group is a leaf cell of a quadtree over its
 * tile's square (see core/geo/quadtree.ts), holding the parcels whose centroid — in the tile's UTM
 * CRS — falls in the cell; a cell past the maximum splits into quadrants. Group number =
 * 4^level + Morton code of the cell, unique per tile. Every write that changes group membership
 * (here and in parcels-repo) runs under one advisory lock per schema, so counts stay exact.
 */

/** Most parcels per group unless configured (PARCELWATCH_GROUP_MAX_PARCELS): one compute chunk. */
export const DEFAULT_GROUP_MAX_PARCELS = 5_000;
/** Centroids read per query: bounds one result set, not the tile (keys are kept for the tile). */
const CENTROID_PAGE_ROWS = 50_000;
/** Parcels per UPDATE of their group id: a few hundred kB of parameters. */
const ASSIGN_BATCH_ROWS = 20_000;

/** A pool connection or any other client that can run queries. */
export type Queryable = Pick<PoolClient, 'query'>;

/** Serialises group maintenance of the connection's schema until the transaction ends. */
export async function lockParcelGroups(client: Queryable): Promise<void> {
  await client.query(
    "SELECT pg_advisory_xact_lock(hashtext('parcelwatch-parcel-groups:' || current_schema()))",
  );
}

export interface AssignGroupsOptions {
  /** Most parcels per group; a cell past it splits. @default DEFAULT_GROUP_MAX_PARCELS */
  maxParcels?: number;
  /** Only these tiles; default: every tile with parcels awaiting a group or groups left empty. */
  tiles?: string[];
}

export interface AssignGroupsResult {
  /** Tiles examined, sorted. */
  tiles: string[];
  groupsCreated: number;
  /** Groups that grew past the maximum and were replaced by their quadrants' groups. */
  groupsSplit: number;
  /** Groups deleted because no parcel was left in them. */
  groupsDeleted: number;
  /** Parcels that had no group (new, or geometry changed) and got one. */
  parcelsAssigned: number;
  /** Parcels already grouped that moved to a quadrant's group when their group split. */
  parcelsMoved: number;
}

/**
 * Gives a group to every parcel without one (new parcels, and parcels whose geometry changed),
 * incrementally: each goes to the existing leaf holding its centroid, or to the free cell there;
 * a leaf growing past `maxParcels` splits, moving only its own parcels. Groups left empty are
 * deleted; counts and bbox of the groups touched are refreshed. One transaction per tile; a tile
 * needs in memory only the ids and keys of the parcels it moves.
 */
export async function assignGroups(
  db: Database,
  options: AssignGroupsOptions = {},
): Promise<AssignGroupsResult> {
  const maxParcels = options.maxParcels ?? DEFAULT_GROUP_MAX_PARCELS;
  if (!Number.isInteger(maxParcels) || maxParcels < 1) {
    throw new RangeError(`maxParcels must be a positive integer, got ${maxParcels}`);
  }
  const tiles = options.tiles
    ? [...new Set(options.tiles.map((t) => s2Tile(t).id))].sort()
    : await tilesNeedingGroups(db);
  const result: AssignGroupsResult = {
    tiles,
    groupsCreated: 0,
    groupsSplit: 0,
    groupsDeleted: 0,
    parcelsAssigned: 0,
    parcelsMoved: 0,
  };
  for (const tile of tiles) {
    await inTransaction(db.pool, (client) => assignTile(client, tile, maxParcels, result));
  }
  return result;
}

async function tilesNeedingGroups(db: Database): Promise<string[]> {
  const rows = await db.pool.query<{ tile: string }>(
    `SELECT DISTINCT primary_tile AS tile FROM parcels
      WHERE group_id IS NULL AND primary_tile IS NOT NULL
     UNION
     SELECT g.tile FROM parcel_groups g
      WHERE NOT EXISTS (SELECT 1 FROM parcels p WHERE p.group_id = g.id)
     ORDER BY 1`,
  );
  return rows.rows.map((r) => r.tile);
}

interface Arrivals {
  ids: number[];
  keys: number[];
}

async function assignTile(
  client: PoolClient,
  tile: string,
  maxParcels: number,
  result: AssignGroupsResult,
): Promise<void> {
  await lockParcelGroups(client);
  const deleted = await client.query(
    `DELETE FROM parcel_groups g WHERE g.tile = $1
        AND NOT EXISTS (SELECT 1 FROM parcels p WHERE p.group_id = g.id)`,
    [tile],
  );
  result.groupsDeleted += deleted.rowCount ?? 0;

  const groups = await client.query<{ id: string; cell: string }>(
    'SELECT id, cell FROM parcel_groups WHERE tile = $1',
    [tile],
  );
  const groupOfCell = new Map(groups.rows.map((g) => [g.cell, Number(g.id)]));
  const leaves = new QuadtreeLeaves(groupOfCell.keys());

  const newcomers = await centroidKeys(client, tile, 'p.group_id IS NULL AND p.primary_tile = $1', [
    tile,
  ]);
  if (newcomers.ids.length === 0) return;
  const byCell = new Map<CellPath, Arrivals>();
  newcomers.keys.forEach((key, i) => {
    const { cell } = leaves.place(key);
    const arrivals = byCell.get(cell) ?? { ids: [], keys: [] };
    byCell.set(cell, arrivals);
    arrivals.ids.push(newcomers.ids[i]);
    arrivals.keys.push(key);
  });

  const counts = await groupSizes(
    client,
    [...byCell.keys()].flatMap((cell) => groupOfCell.get(cell) ?? []),
  );
  const moves: Array<[parcelId: number, groupId: number]> = [];
  const touched: number[] = [];
  const splitParents: number[] = [];

  for (const [cell, arrivals] of [...byCell].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const groupId = groupOfCell.get(cell);
    const size = (groupId !== undefined ? (counts.get(groupId) ?? 0) : 0) + arrivals.ids.length;
    if (size <= maxParcels || cell.length >= QUADTREE_MAX_LEVEL) {
      const target = groupId ?? (await createGroups(client, tile, [cell])).get(cell)!;
      if (groupId === undefined) result.groupsCreated++;
      for (const id of arrivals.ids) moves.push([id, target]);
      touched.push(target);
      continue;
    }
    // Past the maximum: the cell's own parcels (if it is a group already) join the split.
    const residents =
      groupId !== undefined
        ? await centroidKeys(client, tile, 'p.group_id = $1', [groupId])
        : { ids: [], keys: [] };
    const ids = [...residents.ids, ...arrivals.ids];
    const parts = splitCell(cell, [...residents.keys, ...arrivals.keys], maxParcels);
    const created = await createGroups(client, tile, [...parts.keys()]);
    result.groupsCreated += created.size;
    for (const [part, members] of parts) {
      const target = created.get(part)!;
      for (const i of members) moves.push([ids[i], target]);
      touched.push(target);
    }
    if (groupId !== undefined) {
      splitParents.push(groupId);
      result.groupsSplit++;
      result.parcelsMoved += residents.ids.length;
    }
  }

  for (const slice of chunks(moves, ASSIGN_BATCH_ROWS)) {
    await client.query(
      `UPDATE parcels p SET group_id = m.group_id
         FROM unnest($1::bigint[], $2::bigint[]) AS m(id, group_id)
        WHERE p.id = m.id`,
      [slice.map(([id]) => id), slice.map(([, group]) => group)],
    );
  }
  result.parcelsAssigned += newcomers.ids.length;
  if (splitParents.length > 0) {
    await client.query('DELETE FROM parcel_groups WHERE id = ANY($1::bigint[])', [splitParents]);
  }
  await refreshGroups(client, touched);
}

/** Ids and quadtree keys (centroid in the tile's UTM CRS) of the tile's parcels matching `where`. */
async function centroidKeys(
  client: Queryable,
  tile: string,
  where: string,
  params: unknown[],
): Promise<Arrivals> {
  const { epsg, bboxUtm } = s2Tile(tile);
  const out: Arrivals = { ids: [], keys: [] };
  const n = params.length;
  let after = 0;
  for (;;) {
    const page = await client.query<[string, number, number]>({
      text: `SELECT p.id, ST_X(c), ST_Y(c)
               FROM parcels p CROSS JOIN LATERAL ST_Centroid(ST_Transform(p.geom, $${n + 1}::int)) AS c
              WHERE ${where} AND p.id > $${n + 2}
              ORDER BY p.id LIMIT $${n + 3}`,
      values: [...params, epsg, after, CENTROID_PAGE_ROWS],
      rowMode: 'array',
    });
    for (const [id, x, y] of page.rows) {
      out.ids.push(Number(id));
      out.keys.push(pointKey(x, y, bboxUtm));
    }
    if (page.rows.length < CENTROID_PAGE_ROWS) return out;
    after = out.ids[out.ids.length - 1];
  }
}

async function groupSizes(client: Queryable, groupIds: number[]): Promise<Map<number, number>> {
  if (groupIds.length === 0) return new Map();
  const rows = await client.query<{ group_id: string; n: number }>(
    `SELECT group_id, count(*)::int AS n FROM parcels
      WHERE group_id = ANY($1::bigint[]) GROUP BY group_id`,
    [groupIds],
  );
  return new Map(rows.rows.map((r) => [Number(r.group_id), r.n]));
}

async function createGroups(
  client: Queryable,
  tile: string,
  cells: CellPath[],
): Promise<Map<CellPath, number>> {
  const rows = await client.query<{ id: string; cell: string }>(
    `INSERT INTO parcel_groups (tile, group_number, cell)
     SELECT $1, n, c FROM unnest($2::int[], $3::text[]) AS t(n, c)
     RETURNING id, cell`,
    [tile, cells.map(groupNumberOfCell), cells],
  );
  return new Map(rows.rows.map((r) => [r.cell, Number(r.id)]));
}

/**
 * Recomputes parcel and watched counts and bbox (envelope of the parcels, EPSG:4326) of these
 * groups from their parcels, and deletes those left without a parcel. Call inside the
 * transaction that changed their membership, holding `lockParcelGroups`.
 */
export async function refreshGroups(
  client: Queryable,
  groupIds: number[],
): Promise<{ refreshed: number; deleted: number }> {
  const ids = [...new Set(groupIds)];
  if (ids.length === 0) return { refreshed: 0, deleted: 0 };
  const refreshed = await client.query(
    `WITH stats AS (
       SELECT p.group_id, count(*)::int AS n, (count(*) FILTER (WHERE p.watched))::int AS w,
              ST_Extent(p.geom) AS e
         FROM parcels p WHERE p.group_id = ANY($1::bigint[]) GROUP BY p.group_id
     ), boxes AS (
       SELECT group_id, n, w,
              ST_MakeEnvelope(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), 4326) AS bbox
         FROM stats
     )
     UPDATE parcel_groups g
        SET parcel_count = b.n, watched_count = b.w, bbox = b.bbox, updated_at = now()
       FROM boxes b
      WHERE g.id = b.group_id
        AND (g.parcel_count <> b.n OR g.watched_count <> b.w OR g.bbox IS NULL
             OR NOT ST_OrderingEquals(g.bbox, b.bbox))`,
    [ids],
  );
  const deleted = await client.query(
    `DELETE FROM parcel_groups g WHERE g.id = ANY($1::bigint[])
        AND NOT EXISTS (SELECT 1 FROM parcels p WHERE p.group_id = g.id)`,
    [ids],
  );
  return { refreshed: refreshed.rowCount ?? 0, deleted: deleted.rowCount ?? 0 };
}

/** Recomputes only the watched counts of these groups (after parcels were watched or unwatched). */
export async function refreshWatchedCounts(client: Queryable, groupIds: number[]): Promise<void> {
  const ids = [...new Set(groupIds)];
  if (ids.length === 0) return;
  await client.query(
    `UPDATE parcel_groups g
        SET watched_count = w.n, updated_at = now()
       FROM (SELECT g2.id, (SELECT count(*)::int FROM parcels p WHERE p.group_id = g2.id AND p.watched) AS n
               FROM parcel_groups g2 WHERE g2.id = ANY($1::bigint[])) AS w
      WHERE g.id = w.id AND g.watched_count <> w.n`,
    [ids],
  );
}

/** A group a weekly run works on. */
export interface PlannedGroup {
  groupId: number;
  tile: string;
  groupNumber: number;
  /** Quadtree cell of the tile (`''`: the whole tile). */
  cell: string;
  /** Envelope of the group's parcels, EPSG:4326. */
  bbox: Polygon | null;
  watchedCount: number;
  parcelCount: number;
}

/**
 * The groups holding at least one watched parcel (optionally of some tiles, or some groups),
 * ordered by tile and group number: what a weekly run plans. Reads only groups, never parcels.
 */
export async function groupsToProcess(
  db: Database,
  filter: { tiles?: string[]; groupIds?: number[] } = {},
): Promise<PlannedGroup[]> {
  const rows = await db.pool.query<GroupRow>(
    `SELECT ${GROUP_COLUMNS} FROM parcel_groups g
      WHERE g.watched_count > 0
        AND ($1::text[] IS NULL OR g.tile = ANY($1::text[]))
        AND ($2::bigint[] IS NULL OR g.id = ANY($2::bigint[]))
      ORDER BY g.tile, g.group_number`,
    [filter.tiles?.map((t) => s2Tile(t).id) ?? null, filter.groupIds ?? null],
  );
  return rows.rows.map(toPlannedGroup);
}

/** One group by id, or undefined. */
export async function getGroup(db: Database, groupId: number): Promise<PlannedGroup | undefined> {
  const rows = await db.pool.query<GroupRow>(
    `SELECT ${GROUP_COLUMNS} FROM parcel_groups g WHERE g.id = $1`,
    [groupId],
  );
  return rows.rows[0] && toPlannedGroup(rows.rows[0]);
}

const GROUP_COLUMNS = `g.id, g.tile, g.group_number, g.cell, ST_AsGeoJSON(g.bbox) AS bbox,
  g.watched_count, g.parcel_count`;

interface GroupRow {
  id: string;
  tile: string;
  group_number: number;
  cell: string;
  bbox: string | null;
  watched_count: number;
  parcel_count: number;
}

function toPlannedGroup(r: GroupRow): PlannedGroup {
  return {
    groupId: Number(r.id),
    tile: r.tile,
    groupNumber: r.group_number,
    cell: r.cell,
    bbox: r.bbox ? (JSON.parse(r.bbox) as Polygon) : null,
    watchedCount: r.watched_count,
    parcelCount: r.parcel_count,
  };
}
