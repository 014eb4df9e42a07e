import assert from 'node:assert/strict';
import {
  archiveKey,
  checkKey,
  checkPrefix,
  parseSceneRasterKey,
  type SceneRasterRef,
  sceneGroupPrefix,
  sceneRasterKey,
} from '../../../src/store/datalake/keys';

const REF: SceneRasterRef = {
  area: 'raw',
  tile: '29RKH',
  acquiredAt: '2020-02-19T11:24:31.456Z',
  sceneId: 'S2A_29RKH_20200219_0_L2A',
  groupNumber: 3,
  band: 'B04',
};

describe('datalake keys', () => {
  it('lays out raw and clean rasters by tile, UTC day, scene, group and band', () => {
    assert.equal(sceneRasterKey(REF), 'raw/29RKH/2020-02-19/S2A_29RKH_20200219_0_L2A/g3/B04.tif');
    assert.equal(
      sceneRasterKey({ ...REF, area: 'clean', band: 'SCL', groupNumber: 0 }),
      'clean/29RKH/2020-02-19/S2A_29RKH_20200219_0_L2A/g0/SCL.tif',
    );
    assert.equal(sceneGroupPrefix(REF), 'raw/29RKH/2020-02-19/S2A_29RKH_20200219_0_L2A/g3/');
  });

  it('writes the same key for every spelling of the same scene and group', () => {
    const key = sceneRasterKey(REF);
    assert.equal(sceneRasterKey({ ...REF, tile: 'T29RKH' }), key);
    assert.equal(sceneRasterKey({ ...REF, tile: 'MGRS-29rkh' }), key);
    assert.equal(sceneRasterKey({ ...REF, acquiredAt: '2020-02-19' }), key);
    // An instant with an offset is placed on its UTC day.
    assert.equal(sceneRasterKey({ ...REF, acquiredAt: '2020-02-18T23:30:00-02:00' }), key);
    assert.match(
      sceneRasterKey({ ...REF, acquiredAt: '2020-02-19T23:30:00-02:00' }),
      /\/2020-02-20\//,
    );
    assert.match(sceneRasterKey({ ...REF, tile: '1CCV' }), /^raw\/01CCV\//);
  });

  it('parses a scene raster key back into its parts, and nothing else', () => {
    assert.deepEqual(parseSceneRasterKey(sceneRasterKey(REF)), {
      ...REF,
      acquiredAt: '2020-02-19',
    });
    for (const other of [
      'archive/raw/29RKH/2020-02-19/S/g3/B04.tif',
      'raw/29RKH/2020-02-19/S/g3/B99.tif',
      'raw/29RKH/2020-02-19/S/gx/B04.tif',
      'raw/29RKH/2020-02-19/S/g3/B04.tiff',
      'raw/29RKH/2020-02-19/g3/B04.tif',
    ]) {
      assert.equal(parseSceneRasterKey(other), undefined, other);
    }
  });

  it('refuses parts that would make a wrong or unsafe key', () => {
    const bad: Array<Partial<SceneRasterRef>> = [
      { tile: 'XYZ' },
      { tile: '61AAA' },
      { sceneId: '../S2A' },
      { sceneId: 'S2A/29RKH' },
      { sceneId: '' },
      { groupNumber: -1 },
      { groupNumber: 1.5 },
      { band: 'B99' as SceneRasterRef['band'] },
      { acquiredAt: '2020-02-30' },
      { acquiredAt: 'yesterday' },
      { area: 'archive' as SceneRasterRef['area'] },
    ];
    for (const change of bad) {
      assert.throws(
        () => sceneRasterKey({ ...REF, ...change }),
        { name: 'BadInputError', code: 'DATALAKE_BAD_KEY' },
        JSON.stringify(change),
      );
    }
  });

  it('accepts relative /-separated keys of a limited charset and refuses every way out of the root', () => {
    for (const good of ['raw/29RKH/B04.tif', 'a', 'tile=29RKH/x_y-z.1.tif', '_a/b']) {
      assert.equal(checkKey(good), good);
    }
    for (const bad of [
      '',
      '/etc/passwd',
      'a//b',
      'a/',
      '..',
      '../x',
      'a/../../b',
      './a',
      'a/.hidden',
      'a\\..\\b',
      'a b',
      'é.tif',
      'a/b\0c',
      'x'.repeat(201),
      `${'a/'.repeat(600)}a`,
    ]) {
      assert.throws(() => checkKey(bad), { name: 'BadInputError', code: 'DATALAKE_BAD_KEY' }, bad);
    }
  });

  it('accepts list prefixes that end in / or inside a segment, not ones that climb out', () => {
    for (const good of ['', 'raw/', 'raw/29R', 'raw/29RKH/2020-02-19/']) {
      assert.equal(checkPrefix(good), good);
    }
    for (const bad of ['/', '../', 'raw//', '/raw', 'raw/..']) {
      assert.throws(() => checkPrefix(bad), { name: 'BadInputError' }, bad);
    }
  });

  it('keeps archive copies under the reserved archive/ prefix', () => {
    const key = sceneRasterKey(REF);
    assert.equal(archiveKey(key), `archive/${key}`);
    assert.throws(() => archiveKey(archiveKey(key)), { name: 'BadInputError' });
  });
});
