import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BadInputError } from '../../../src/core/errors';
import { sceneFromItem } from '../../../src/core/stac/items';
import type { Scene } from '../../../src/core/stac/scene';
import type { Database } from '../../../src/store/db/database';
import { assignGroups } from '../../../src/store/db/groups';
import { upsertParcels } from '../../../src/store/db/parcels-repo';
import {
  getScene,
  getSceneGroup,
  markScene,
  recordSceneGroup,
  upsertScenes,
} from '../../../src/store/db/scenes-repo';
import { REPO_ROOT } from '../../helpers/services';
import { isolatedDatabase } from './isolated-schema';
import { randomParcels } from './test-parcels';

/** Real Earth Search items of 33TWL, parsed as the pipeline parses them. */
function scene(id: string): Scene {
  const file = path.join(REPO_ROOT, 'test', 'fixtures', 'earth-search-v1', 'items', `${id}.json`);
  const parsed = sceneFromItem(JSON.parse(readFileSync(file, 'utf8')), {
    requiredBands: ['B04', 'B08', 'B11', 'SCL'],
    // The fixture's hrefs are relative (the rasters are not shipped).
    baseUrl: `https://example.test/${id}/`,
  });
  assert.ok(parsed.ok, `fixture ${id} parses`);
  return parsed.scene;
}

describe('scenes repository (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: Database;
  let groupId: number;
  const a = scene('S2B_33TWL_20230820_0_L2A');
  const b = scene('S2A_33TWL_20230818_0_L2A');

  before(async () => {
    db = await isolatedDatabase('pw_scenes');
    await upsertParcels(db, randomParcels(2, 1, [540_000, 5_040_000, 541_000, 5_041_000], 's'));
    await assignGroups(db, { maxParcels: 5_000 });
    groupId = Number(
      (await db.pool.query<{ id: string }>('SELECT id FROM parcel_groups')).rows[0].id,
    );
  });
  after(async () => db?.close());

  it('stores what a scene is (tile, time, cloud cover, harmonisation, band hrefs, the parsed scene) and changes nothing when found again', async () => {
    assert.equal(await upsertScenes(db, [a, b, a], 'found'), 2);
    const stored = await getScene(db, a.id);
    assert.ok(stored);
    assert.equal(stored.tile, '33TWL');
    assert.equal(stored.acquiredAt, new Date(a.acquiredAt).toISOString());
    assert.equal(stored.processingBaseline, a.processingBaseline);
    assert.ok(a.cloudCover !== null && Math.abs((stored.cloudCover ?? -1) - a.cloudCover) < 1e-5);
    assert.deepEqual(stored.harmonisation, a.harmonisation);
    assert.equal(stored.assets.B04, `https://example.test/${a.id}/B04.tif`);
    assert.equal(stored.assets.SCL, a.bands.SCL?.href);
    assert.equal(stored.status, 'found');
    // The whole parsed scene comes back, so activities need not ask the STAC API again.
    assert.deepEqual(stored.scene, JSON.parse(JSON.stringify(a)));
    assert.equal(await upsertScenes(db, [a, b], 'found'), 0);
  });

  it('never moves a status backwards when a scene is found or reported again', async () => {
    await markScene(db, a.id, 'processed');
    await upsertScenes(db, [a], 'found');
    assert.equal((await getScene(db, a.id))?.status, 'processed');
    await upsertScenes(db, [a], 'downloaded');
    assert.equal((await getScene(db, a.id))?.status, 'processed');
    await upsertScenes(db, [a], 'failed');
    assert.equal((await getScene(db, a.id))?.status, 'processed');

    await markScene(db, b.id, 'failed', 'COG B04 truncated');
    await upsertScenes(db, [b], 'found');
    assert.deepEqual(
      [(await getScene(db, b.id))?.status, (await getScene(db, b.id))?.statusReason],
      ['failed', 'COG B04 truncated'],
    );
    await upsertScenes(db, [b], 'downloaded');
    assert.deepEqual(
      [(await getScene(db, b.id))?.status, (await getScene(db, b.id))?.statusReason],
      ['downloaded', null],
    );
    // A later decision about the item (a reprocessed version replaces it) always applies.
    await upsertScenes(db, [a], 'superseded');
    assert.equal((await getScene(db, a.id))?.status, 'superseded');
    await upsertScenes(db, [a], 'masked');
    assert.equal((await getScene(db, a.id))?.status, 'superseded');
  });

  it('marks a scene as told, with a reason and the offset suspicion, and refuses an unknown scene', async () => {
    await markScene(db, b.id, 'skipped', 'no parcel pixel in the footprint', {
      offsetSuspect: true,
    });
    const stored = await getScene(db, b.id);
    assert.deepEqual(
      [stored?.status, stored?.statusReason, stored?.offsetSuspect],
      ['skipped', 'no parcel pixel in the footprint', true],
    );
    await assert.rejects(markScene(db, 'S2B_99XXX_20230101_0_L2A', 'processed'), BadInputError);
  });

  it('records the steps of a scene for a group, merging datalake keys and keeping what a step does not say', async () => {
    assert.equal(await getSceneGroup(db, a.id, groupId), undefined);
    await recordSceneGroup(db, {
      sceneId: a.id,
      groupId,
      status: 'downloaded',
      rawKeys: { B04: 'raw/b04.tif' },
      runId: 'run-1',
    });
    await recordSceneGroup(db, {
      sceneId: a.id,
      groupId,
      status: 'downloaded',
      rawKeys: { B08: 'raw/b08.tif' },
    });
    await recordSceneGroup(db, {
      sceneId: a.id,
      groupId,
      status: 'masked',
      cleanKeys: { B04: 'clean/b04.tif' },
    });
    await recordSceneGroup(db, { sceneId: a.id, groupId, status: 'failed', reason: 'worker lost' });
    let state = await getSceneGroup(db, a.id, groupId);
    assert.equal(state?.reason, 'worker lost');
    await recordSceneGroup(db, {
      sceneId: a.id,
      groupId,
      status: 'computed',
      algorithmVersion: 'v1',
      observations: 4,
      runId: 'run-2',
    });
    state = await getSceneGroup(db, a.id, groupId);
    assert.ok(state);
    assert.deepEqual(
      { ...state, updatedAt: undefined },
      {
        sceneId: a.id,
        groupId,
        status: 'computed',
        rawKeys: { B04: 'raw/b04.tif', B08: 'raw/b08.tif' },
        cleanKeys: { B04: 'clean/b04.tif' },
        reason: null,
        algorithmVersion: 'v1',
        observations: 4,
        runId: 'run-2',
        updatedAt: undefined,
      },
    );
    await recordSceneGroup(db, { sceneId: a.id, groupId, status: 'computed' });
    state = await getSceneGroup(db, a.id, groupId);
    assert.deepEqual(
      [state?.algorithmVersion, state?.observations, state?.runId],
      ['v1', 4, 'run-2'],
    );
  });

  it('refuses state for a scene or a group that does not exist', async () => {
    await assert.rejects(
      recordSceneGroup(db, { sceneId: 'S2B_99XXX_20230101_0_L2A', groupId, status: 'downloaded' }),
      (e: unknown) => e instanceof BadInputError && /does not exist/.test(e.message),
    );
    await assert.rejects(
      recordSceneGroup(db, { sceneId: a.id, groupId: 987_654, status: 'downloaded' }),
      BadInputError,
    );
  });
});
