import assert from 'node:assert/strict';
import { reprojectGeometry } from '../../../src/core/geo/crs';
import { geometryBBox, geometryCentroid } from '../../../src/core/geo/geometry';
import { primaryTile } from '../../../src/core/geo/primary-tile';
import { cellBBox, groupNumberOfCell } from '../../../src/core/geo/quadtree';
import { s2Tile } from '../../../src/core/geo/s2-tiles';
import type { BBox, ParcelGeometry, Polygon } from '../../../src/core/geo/types';
import type { Database } from '../../../src/store/db/database';
import { assignGroups, groupsToProcess } from '../../../src/store/db/groups';
import {
  deleteParcels,
  type ParcelInput,
  upsertParcels,
  watchParcels,
} from '../../../src/store/db/parcels-repo';
import { isolatedDatabase } from './isolated-schema';
import { randomParcels, utmSquare } from './test-parcels';

const MAX = 10;
/** Inside 33TWL's own square, clear of the overlap with 33TWM (y > 5 090 220). */
const TWL_BOX: BBox = [500_000, 5_000_000, 600_000, 5_085_000];

interface GroupRow {
  id: string;
  tile: string;
  group_number: number;
  cell: string;
  parcel_count: number;
  watched_count: number;
  updated_at: Date;
  bbox: string;
}

interface Member {
  external_id: string;
  geometry: string;
  group_id: string;
  tile: string;
  cell: string;
}

async function groups(db: Database): Promise<GroupRow[]> {
  return (
    await db.pool.query<GroupRow>(
      `SELECT id, tile, group_number, cell, parcel_count, watched_count, updated_at,
              ST_AsGeoJSON(bbox) AS bbox
         FROM parcel_groups ORDER BY tile, group_number`,
    )
  ).rows;
}

async function members(db: Database): Promise<Member[]> {
  return (
    await db.pool.query<Member>(
      `SELECT p.external_id, ST_AsGeoJSON(p.geom) AS geometry, p.group_id, g.tile, g.cell
         FROM parcels p JOIN parcel_groups g ON g.id = p.group_id ORDER BY p.external_id`,
    )
  ).rows;
}

/** The parcel's centroid in its tile's UTM CRS, computed here (not by PostGIS). */
function utmCentroid(geometry: ParcelGeometry, tile: string): [number, number] {
  return geometryCentroid(reprojectGeometry(geometry, 4326, s2Tile(tile).epsg));
}

/** Checks the invariants every assignment must keep; returns the groups. */
async function assertWellFormed(db: Database): Promise<GroupRow[]> {
  const all = await groups(db);
  const byGroup = new Map<string, Member[]>();
  for (const m of await members(db))
    byGroup.set(m.group_id, [...(byGroup.get(m.group_id) ?? []), m]);
  const unassigned = await db.pool.query('SELECT 1 FROM parcels WHERE group_id IS NULL');
  assert.equal(unassigned.rowCount, 0, 'every parcel has a group');
  for (const g of all) {
    const inside = byGroup.get(g.id) ?? [];
    assert.ok(
      inside.length >= 1 && inside.length <= MAX,
      `group ${g.cell}: ${inside.length} parcels`,
    );
    assert.equal(g.parcel_count, inside.length);
    assert.equal(g.group_number, groupNumberOfCell(g.cell));
    // Contiguous: the group's cell holds each of its parcels' centroids (1 cm for PROJ vs proj4).
    const [minX, minY, maxX, maxY] = cellBBox(g.cell, s2Tile(g.tile).bboxUtm);
    const lonLat: BBox = [Infinity, Infinity, -Infinity, -Infinity];
    for (const m of inside) {
      const geometry = JSON.parse(m.geometry) as ParcelGeometry;
      const [x, y] = utmCentroid(geometry, g.tile);
      assert.ok(x >= minX - 0.01 && x <= maxX + 0.01 && y >= minY - 0.01 && y <= maxY + 0.01);
      const b = geometryBBox(geometry);
      lonLat[0] = Math.min(lonLat[0], b[0]);
      lonLat[1] = Math.min(lonLat[1], b[1]);
      lonLat[2] = Math.max(lonLat[2], b[2]);
      lonLat[3] = Math.max(lonLat[3], b[3]);
    }
    assert.deepEqual(geometryBBox(JSON.parse(g.bbox) as Polygon), lonLat, `bbox of ${g.cell}`);
  }
  return all;
}

/** A parcel (100 m square) whose centroid lies at the given fraction of a cell of 33TWL. */
function parcelInCell(cell: string, fx: number, fy: number, externalId: string): ParcelInput {
  const [minX, minY, maxX, maxY] = cellBBox(cell, s2Tile('33TWL').bboxUtm);
  const x = minX + fx * (maxX - minX) - 50;
  const y = minY + fy * (maxY - minY) - 50;
  return { externalId, geometry: utmSquare(x, y) };
}

describe('parcel groups (real PostGIS)', function () {
  this.timeout(120_000);
  let db: Database;
  let fresh: Database;
  const initial = randomParcels(35, 7, TWL_BOX, 'twl');
  const added: ParcelInput[] = [];

  before(async () => {
    db = await isolatedDatabase('pw_groups');
    fresh = await isolatedDatabase('pw_groups_fresh');
  });
  after(async () => {
    await db?.close();
    await fresh?.close();
  });

  /** Groups of the same parcels assigned at once, in reverse order, in an empty schema. */
  async function freshAssignment(parcels: ParcelInput[]) {
    await fresh.pool.query('TRUNCATE parcels, parcel_groups CASCADE');
    await upsertParcels(fresh, [...parcels].reverse());
    await assignGroups(fresh, { maxParcels: MAX });
    const rows = await members(fresh);
    return rows.map((m) => [m.external_id, m.tile, m.cell]);
  }

  it('splits a tile holding more parcels than the maximum into quadtree cells of at most the maximum', async () => {
    await upsertParcels(db, initial);
    const result = await assignGroups(db, { maxParcels: MAX });
    assert.deepEqual(result.tiles, ['33TWL']);
    assert.equal(result.parcelsAssigned, 35);
    assert.equal(result.groupsSplit, 0);
    const all = await assertWellFormed(db);
    assert.ok(all.length >= 4, `${all.length} groups`);
    assert.equal(result.groupsCreated, all.length);
    assert.ok(all.every((g) => g.tile === '33TWL' && g.cell !== ''));
  });

  it('is deterministic: the same parcels given in another order get the same cells and numbers', async () => {
    const here = (await members(db)).map((m) => [m.external_id, m.tile, m.cell]);
    assert.deepEqual(await freshAssignment(initial), here);
  });

  it('is incremental: parcels joining a leaf with room touch that leaf only', async () => {
    const before = await groups(db);
    const roomy = before.find((g) => g.parcel_count <= MAX - 5);
    assert.ok(roomy, 'this seed leaves a group with room for 5 parcels');
    const five = [0.2, 0.35, 0.5, 0.65, 0.8].map((f, i) =>
      parcelInCell(roomy.cell, f, 1 - f, `add-${i}`),
    );
    added.push(...five);
    await upsertParcels(db, five);
    const result = await assignGroups(db, { maxParcels: MAX });
    assert.deepEqual(
      [
        result.parcelsAssigned,
        result.groupsCreated,
        result.groupsSplit,
        result.groupsDeleted,
        result.parcelsMoved,
      ],
      [5, 0, 0, 0, 0],
    );
    const after = await assertWellFormed(db);
    assert.equal(after.length, before.length);
    after.forEach((g, i) => {
      assert.equal(g.id, before[i].id);
      if (g.id === roomy.id) assert.equal(g.parcel_count, roomy.parcel_count + 5);
      else assert.deepEqual(g, before[i], `group ${g.cell} untouched`);
    });
  });

  it('splits only the leaf that grows past the maximum, moving only its parcels', async () => {
    const before = await groups(db);
    const target = [...before].sort((a, b) => b.parcel_count - a.parcel_count)[0];
    const extra = Array.from({ length: MAX + 1 - target.parcel_count }, (_, i) =>
      parcelInCell(
        target.cell,
        0.1 + (0.8 * i) / MAX,
        0.15 + (0.7 * ((i * 7) % MAX)) / MAX,
        `grow-${i}`,
      ),
    );
    added.push(...extra);
    const ownBefore = (await members(db)).filter((m) => m.group_id === target.id);
    await upsertParcels(db, extra);
    const result = await assignGroups(db, { maxParcels: MAX });
    assert.equal(result.groupsSplit, 1);
    assert.equal(result.parcelsMoved, ownBefore.length);
    assert.equal(result.parcelsAssigned, extra.length);
    const after = await assertWellFormed(db);
    assert.ok(!after.some((g) => g.id === target.id), 'the split group is gone');
    const children = after.filter((g) => !before.some((b) => b.id === g.id));
    assert.equal(children.length, result.groupsCreated);
    assert.ok(children.length >= 2);
    for (const child of children)
      assert.ok(child.cell.startsWith(target.cell) && child.cell.length > target.cell.length);
    for (const g of before.filter((b) => b.id !== target.id)) {
      assert.deepEqual(
        after.find((a) => a.id === g.id),
        g,
        `group ${g.cell} untouched`,
      );
    }
  });

  it('after additions and splits, holds the same groups as assigning all the parcels at once', async () => {
    const here = (await members(db)).map((m) => [m.external_id, m.tile, m.cell]);
    assert.deepEqual(await freshAssignment([...initial, ...added]), here);
  });

  it('deletes groups left empty, whether parcels go through deleteParcels or straight from SQL', async () => {
    const [first, second] = await groups(db);
    const inFirst = (await members(db))
      .filter((m) => m.group_id === first.id)
      .map((m) => m.external_id);
    assert.equal(await deleteParcels(db, { externalIds: inFirst }), inFirst.length);
    assert.ok(!(await groups(db)).some((g) => g.id === first.id));

    await db.pool.query('DELETE FROM parcels WHERE group_id = $1', [second.id]);
    const result = await assignGroups(db, { maxParcels: MAX });
    assert.equal(result.groupsDeleted, 1);
    assert.ok(!(await groups(db)).some((g) => g.id === second.id));
    await assertWellFormed(db);
  });

  it('puts a new parcel falling where a group was deleted into a group of that free cell', async () => {
    const before = await groups(db);
    const gone = (await freshCells()).find((cell) => !before.some((g) => g.cell === cell));
    assert.ok(gone, 'a cell lost its group in the previous test');
    await upsertParcels(db, [parcelInCell(gone, 0.5, 0.5, 'refill')]);
    const result = await assignGroups(db, { maxParcels: MAX });
    assert.deepEqual([result.groupsCreated, result.parcelsAssigned], [1, 1]);
    const after = await assertWellFormed(db);
    const created = after.filter((g) => !before.some((b) => b.id === g.id));
    assert.equal(created.length, 1);
    // The free cell is the deleted one, or its parent when all its siblings went too.
    assert.ok(gone.startsWith(created[0].cell));
    for (const g of before) assert.ok(!g.cell.startsWith(created[0].cell), `overlaps ${g.cell}`);
  });

  /** Cells of the groups in the fresh schema (the full set before deletions). */
  async function freshCells(): Promise<string[]> {
    return (await groups(fresh)).map((g) => g.cell);
  }

  it('plans only groups holding watched parcels, ordered by tile and number, with their watched count', async () => {
    assert.deepEqual(await groupsToProcess(db), []);
    const all = await groups(db);
    const [a, b] = [all[all.length - 1], all[0]];
    const pick = async (groupId: string, n: number) =>
      (
        await db.pool.query<{ id: string }>(
          'SELECT id FROM parcels WHERE group_id = $1 ORDER BY id LIMIT $2',
          [groupId, n],
        )
      ).rows.map((r) => Number(r.id));
    await watchParcels(db, { ids: [...(await pick(a.id, 2)), ...(await pick(b.id, 1))] }, true);
    const planned = await groupsToProcess(db);
    assert.deepEqual(
      planned.map((g) => [g.groupId, g.tile, g.groupNumber, g.cell, g.watchedCount]),
      [
        [Number(b.id), b.tile, b.group_number, b.cell, 1],
        [Number(a.id), a.tile, a.group_number, a.cell, 2],
      ],
    );
    assert.equal(planned[0].bbox?.type, 'Polygon');
    assert.deepEqual(await groupsToProcess(db, { tiles: ['33TWM'] }), []);
    assert.deepEqual(
      (await groupsToProcess(db, { groupIds: [Number(a.id)] })).map((g) => g.groupId),
      [Number(a.id)],
    );
  });

  it("puts parcels of the 33TWL/33TWM overlap into their primary tile's groups", async () => {
    const overlap = await isolatedDatabase('pw_groups_overlap');
    try {
      const parcels: ParcelInput[] = [
        // In both tiles' footprints, centroid in 33TWL's square: 33TWL.
        ...randomParcels(12, 21, [520_000, 5_091_000, 600_000, 5_099_000], 'south'),
        // Centroid in 33TWM's square, inside 33TWM only: 33TWM.
        ...randomParcels(12, 22, [520_000, 5_100_500, 600_000, 5_109_000], 'north'),
        // Centroid 20 m below 33TWL's north edge but reaching past it: only 33TWM holds it whole.
        { externalId: 'edge', geometry: utmSquare(550_000, 5_099_900, 160) },
      ];
      await upsertParcels(overlap, parcels);
      const result = await assignGroups(overlap, { maxParcels: MAX });
      assert.deepEqual(result.tiles, ['33TWL', '33TWM']);
      const placed = new Map((await members(overlap)).map((m) => [m.external_id, m]));
      for (const parcel of parcels) {
        const m = placed.get(parcel.externalId)!;
        assert.equal(m.tile, primaryTile(parcel.geometry).tile, parcel.externalId);
        const [x, y] = utmCentroid(parcel.geometry, m.tile);
        const [minX, minY, maxX, maxY] = cellBBox(m.cell, s2Tile(m.tile).bboxUtm);
        assert.ok(x >= minX && x <= maxX && y >= minY && y <= maxY, parcel.externalId);
      }
      assert.equal(placed.get('edge')?.tile, '33TWM');
      assert.ok(
        parcels
          .filter((p) => p.externalId.startsWith('south'))
          .every((p) => placed.get(p.externalId)?.tile === '33TWL'),
      );
      assert.ok(
        parcels
          .filter((p) => p.externalId.startsWith('north'))
          .every((p) => placed.get(p.externalId)?.tile === '33TWM'),
      );
    } finally {
      await overlap.close();
    }
  });
});
