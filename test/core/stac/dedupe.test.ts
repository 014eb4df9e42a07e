import assert from 'node:assert/strict';
import {
  dedupeScenes,
  isSameAcquisition,
  SAME_ACQUISITION_TOLERANCE_MS,
  scenesOfTile,
} from '../../../src/core/stac/dedupe';
import { sceneFromItem } from '../../../src/core/stac/items';
import type { Scene } from '../../../src/core/stac/scene';
import type { StacItemJson } from '../../../src/core/stac/stac-json';
import { fixtureItem, fixtureItems } from './fixtures';

function toScene(item: StacItemJson): Scene {
  const result = sceneFromItem(item, { requiredBands: ['B04', 'SCL'], baseUrl: 'file:///x/' });
  if (!result.ok) assert.fail(result.rejected.reason);
  return result.scene;
}

const allFixtureScenes = () => fixtureItems().map((f) => toScene(f.item));

/** A reprocessed copy of a fixture item, as Earth Search lists it beside the original. */
function reprocessedCopy(id: string, counter: number, updated: string): Scene {
  const { item } = fixtureItem(id);
  item.id = id.replace(/_\d+_L2A$/, `_${counter}_L2A`);
  (item.properties as Record<string, unknown>).updated = updated;
  return toScene(item);
}

describe('dedupe of scenes', () => {
  it('keeps every fixture scene: no two are the same acquisition of one tile', () => {
    const scenes = allFixtureScenes();
    const { kept, dropped } = dedupeScenes(scenes);
    assert.equal(kept.length, scenes.length);
    assert.deepEqual(dropped, []);
    // Oldest acquisition first.
    const times = kept.map((s) => s.acquiredAt);
    assert.deepEqual(times, [...times].sort());
  });

  it('does not treat one datatake seen in 33TWL and 33TWM as duplicates', () => {
    const twl = toScene(fixtureItem('S2B_33TWL_20230820_0_L2A').item);
    const twm = toScene(fixtureItem('S2B_33TWM_20230820_0_L2A').item);
    assert.equal(twl.datatake, twm.datatake);
    assert.equal(isSameAcquisition(twl, twm), false);
    assert.equal(dedupeScenes([twl, twm]).kept.length, 2);
  });

  it('selects the scenes of one tile whatever its spelling', () => {
    const scenes = allFixtureScenes();
    for (const spelling of ['33TWL', 'T33TWL', 'MGRS-33TWL', '33twl']) {
      const ids = scenesOfTile(scenes, spelling).map((s) => s.id);
      assert.deepEqual(ids.sort(), [
        'S2A_33TWL_20230815_0_L2A',
        'S2A_33TWL_20230818_0_L2A',
        'S2B_33TWL_20230810_0_L2A',
        'S2B_33TWL_20230813_0_L2A',
        'S2B_33TWL_20230820_0_L2A',
      ]);
    }
  });

  it('keeps the _1_L2A reprocessing and drops the _0_L2A original with the reason', () => {
    const original = toScene(fixtureItem('S2B_33TWL_20230820_0_L2A').item);
    const copy = reprocessedCopy('S2B_33TWL_20230820_0_L2A', 1, '2024-01-10T00:00:00Z');
    const others = allFixtureScenes().filter((s) => s.id !== original.id);

    for (const input of [[original, copy, ...others], [...others, copy, original].reverse()]) {
      const { kept, dropped } = dedupeScenes(input);
      assert.ok(kept.some((s) => s.id === 'S2B_33TWL_20230820_1_L2A'));
      assert.ok(!kept.some((s) => s.id === 'S2B_33TWL_20230820_0_L2A'));
      assert.equal(kept.length, others.length + 1);
      assert.equal(dropped.length, 1);
      assert.equal(dropped[0]!.scene.id, 'S2B_33TWL_20230820_0_L2A');
      assert.equal(dropped[0]!.supersededBy, 'S2B_33TWL_20230820_1_L2A');
      assert.match(dropped[0]!.reason, /^superseded by S2B_33TWL_20230820_1_L2A/);
    }
  });

  it('prefers the higher counter even when the older counter was updated later', () => {
    const zero = reprocessedCopy('S2B_33TWL_20230820_0_L2A', 0, '2025-01-01T00:00:00Z');
    const one = reprocessedCopy('S2B_33TWL_20230820_0_L2A', 1, '2024-01-01T00:00:00Z');
    assert.deepEqual(
      dedupeScenes([zero, one]).kept.map((s) => s.id),
      [one.id],
    );
  });

  it('keeps the newer processing baseline of one datatake, then the newer update', () => {
    const base = toScene(fixtureItem('S2B_33TWL_20230820_0_L2A').item);
    const newerBaseline: Scene = {
      ...base,
      id: 'S2B_T33TWL_20230820T094549_L2A',
      processingBaseline: '05.10',
    };
    const { kept, dropped } = dedupeScenes([newerBaseline, base]);
    assert.deepEqual(
      kept.map((s) => s.id),
      [newerBaseline.id],
    );
    assert.match(dropped[0]!.reason, /baseline 05\.10 > 05\.09/);

    const newerUpdate: Scene = {
      ...base,
      id: 'S2B_33TWL_20230820_0_L2A-copy',
      updatedAt: '2024-05-01T00:00:00.000Z',
    };
    assert.deepEqual(
      dedupeScenes([base, newerUpdate]).kept.map((s) => s.id),
      [newerUpdate.id],
    );
  });

  it('drops an item listed twice', () => {
    const scene = toScene(fixtureItem('S2B_33TWL_20230820_0_L2A').item);
    const { kept, dropped } = dedupeScenes([scene, { ...scene }]);
    assert.equal(kept.length, 1);
    assert.match(dropped[0]!.reason, /^listed twice/);
  });

  it('falls back to acquisition time when a datatake is unknown', () => {
    const base = toScene(fixtureItem('S2B_33TWL_20230820_0_L2A').item);
    const at = (ms: number) => new Date(Date.parse(base.acquiredAt) + ms).toISOString();
    const close: Scene = { ...base, id: 'close', datatake: null, acquiredAt: at(30_000) };
    const nextOrbit: Scene = {
      ...base,
      id: 'next-orbit',
      datatake: null,
      acquiredAt: at(100 * 60_000),
    };
    const otherPlatform: Scene = { ...close, id: 'other', platform: 'sentinel-2a' };

    assert.equal(isSameAcquisition(base, close), true);
    assert.equal(isSameAcquisition(base, nextOrbit), false);
    assert.equal(isSameAcquisition(base, otherPlatform), false);
    assert.ok(SAME_ACQUISITION_TOLERANCE_MS < 100 * 60_000, 'shorter than one orbit');
  });
});
