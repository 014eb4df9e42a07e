import assert from 'node:assert/strict';
import { sceneFromItem, scenesFromItems } from '../../../src/core/stac/items';
import type { BandId, Scene } from '../../../src/core/stac/scene';
import { clone, EARTH_SEARCH_ITEMS, fixtureItem, fixtureItems } from './fixtures';

const REQUIRED: BandId[] = ['B04', 'B08', 'B11', 'SCL'];

/** Parses one item that must parse. */
function parse(item: unknown, baseUrl?: string, requiredBands: BandId[] = REQUIRED): Scene {
  const result = sceneFromItem(item, { requiredBands, baseUrl });
  if (!result.ok) assert.fail(`rejected: ${result.rejected.reason}`);
  return result.scene;
}

function rejection(item: unknown, requiredBands: BandId[] = REQUIRED): string {
  const result = sceneFromItem(item, { requiredBands, baseUrl: 'file:///fixtures/' });
  if (result.ok) assert.fail(`expected ${result.scene.id} to be rejected`);
  return result.rejected.reason;
}

/** A sentinel-2-c1-l2a style copy of a v1 item: c1 id, proj:code, eo:bands named B04, no flag. */
function c1Item(): Record<string, unknown> {
  const { item } = fixtureItem('S2B_33TWL_20230820_0_L2A');
  const properties = item.properties as Record<string, unknown>;
  delete properties['proj:epsg'];
  delete properties['earthsearch:boa_offset_applied'];
  properties['proj:code'] = 'EPSG:32633';
  const assets = item.assets as Record<string, Record<string, unknown>>;
  const esaNames: Record<string, string> = { red: 'B04', nir: 'B08', swir16: 'B11' };
  for (const [key, name] of Object.entries(esaNames)) {
    assets[key]!['eo:bands'] = [{ name, common_name: key }];
  }
  return {
    ...item,
    id: 'S2B_T33TWL_20230820T094549_L2A',
    collection: 'sentinel-2-c1-l2a',
    links: [{ rel: 'self', href: 'https://stac.example/items/S2B_T33TWL_20230820T094549_L2A' }],
  };
}

describe('STAC items → scenes', () => {
  describe('the fixture items', () => {
    for (const { file, item, baseUrl } of fixtureItems()) {
      it(`parses ${file} with B04, B08, B11 and SCL`, () => {
        const scene = parse(item, baseUrl);
        const [, tile] = /^S2[AB]_(\w{5})_/.exec(file)!;
        assert.equal(scene.id, file.replace('.json', ''));
        assert.equal(scene.tile, tile);
        // Every fixture tile is in the northern hemisphere (band ≥ N): WGS 84 / UTM north.
        assert.equal(scene.epsg, 32600 + Number(tile!.slice(0, 2)));
        assert.equal(scene.reprocessing, 0);
        for (const band of REQUIRED) assert.ok(scene.bands[band]?.href, `${band} href`);
        assert.deepEqual(
          {
            scale: scene.bands.SCL!.scale,
            offset: scene.bands.SCL!.offset,
            nodata: scene.bands.SCL!.nodata,
          },
          { scale: 1, offset: 0, nodata: 0 },
        );
        assert.equal(
          scene.acquiredAt,
          new Date(String((item.properties as Record<string, unknown>).datetime)).toISOString(),
        );
      });
    }
  });

  it('reads the Earth Search v1 facts of S2B_33TWL_20230820_0_L2A', () => {
    const { item, baseUrl } = fixtureItem('S2B_33TWL_20230820_0_L2A');
    const scene = parse(item, baseUrl);
    assert.equal(scene.collection, 'sentinel-2-l2a');
    assert.equal(scene.cloudCover, 8.066346);
    assert.equal(scene.processingBaseline, '05.09');
    assert.equal(scene.boaOffsetApplied, true);
    assert.equal(scene.platform, 'sentinel-2b');
    assert.equal(scene.datatake, 'S2B_20230820T094549');
    assert.equal(scene.updatedAt, '2023-08-20T19:09:05.193Z');
    assert.deepEqual(scene.bbox?.length, 4);
    // red was rewritten to a relative "B04.tif": resolved against the item's folder.
    assert.equal(scene.bands.B04!.href, `file://${EARTH_SEARCH_ITEMS}/B04.tif`);
    // swir16 kept its absolute S3 URL.
    assert.match(scene.bands.B11!.href, /^https:\/\/sentinel-cogs\..*\/B11\.tif$/);
    assert.deepEqual(
      { scale: scene.bands.B04!.scale, offset: scene.bands.B04!.offset, gsd: scene.bands.B04!.gsd },
      { scale: 0.0001, offset: -0.1, gsd: 10 },
    );
    assert.equal(scene.bands.B11!.gsd, 20);
  });

  it('gives the same datatake to 33TWL and 33TWM of 2023-08-20 (one pass, two tiles)', () => {
    const twl = parse(fixtureItem('S2B_33TWL_20230820_0_L2A').item, 'file:///x/');
    const twm = parse(fixtureItem('S2B_33TWM_20230820_0_L2A').item, 'file:///x/');
    assert.equal(twl.datatake, twm.datatake);
    assert.notEqual(twl.tile, twm.tile);
  });

  it('parses the 2019 item whose assets are keyed by band name (B04, SCL) and reads its product id', () => {
    const scene = parse(fixtureItem('S2A_31NBJ_20190524_0_L2A').item);
    assert.equal(scene.collection, 'sentinel-s2-l2a-cogs');
    assert.equal(scene.tile, '31NBJ');
    assert.match(scene.bands.B04!.href, /\/S2A_31NBJ_20190524_0_L2A\/B04\.tif$/);
    assert.match(scene.bands.SCL!.href, /\/S2A_31NBJ_20190524_0_L2A\/SCL\.tif$/);
    // sentinel:product_id S2A_MSIL2A_20190524T101031_N0212_…: baseline 02.12, datatake start.
    assert.equal(scene.processingBaseline, '02.12');
    assert.equal(scene.datatake, 'S2A_20190524T101031');
    assert.equal(scene.boaOffsetApplied, null);
  });

  it('parses a sentinel-2-c1-l2a style item (T-prefixed id, proj:code, bands named in eo:bands)', () => {
    const item = c1Item();
    // Rename the asset keys too: only eo:bands names the bands now.
    const assets = item.assets as Record<string, unknown>;
    for (const key of ['red', 'nir', 'swir16']) {
      assets[`${key}-cog`] = assets[key];
      delete assets[key];
    }
    const scene = parse(item);
    assert.equal(scene.tile, '33TWL');
    assert.equal(scene.epsg, 32633);
    assert.equal(scene.reprocessing, 0);
    assert.equal(scene.boaOffsetApplied, null);
    // The relative red href resolves against the self link.
    assert.equal(scene.bands.B04!.href, 'https://stac.example/items/B04.tif');
    assert.match(scene.bands.B11!.href, /B11\.tif$/);
  });

  it('rejects an item without SCL with the reason, and still parses the rest of the page', () => {
    const withoutScl = fixtureItem('S2B_33TWL_20230820_0_L2A').item;
    delete (withoutScl.assets as Record<string, unknown>).scl;
    const good = fixtureItem('S2B_33TWL_20230813_0_L2A').item;
    const { scenes, rejected } = scenesFromItems([withoutScl, good], {
      requiredBands: REQUIRED,
      baseUrl: 'file:///x/',
    });
    assert.deepEqual(rejected, [
      { id: 'S2B_33TWL_20230820_0_L2A', reason: 'missing asset SCL (scl)' },
    ]);
    assert.deepEqual(
      scenes.map((s) => s.id),
      ['S2B_33TWL_20230813_0_L2A'],
    );
  });

  it('accepts an item lacking a band nobody asked for', () => {
    const { item } = fixtureItem('S2B_33TWL_20230820_0_L2A');
    delete (item.assets as Record<string, unknown>).nir08;
    const scene = parse(item, 'file:///x/');
    assert.equal(scene.bands.B8A, undefined);
  });

  it('rejects an item whose CRS is unknown', () => {
    const { item } = fixtureItem('S2B_33TWL_20230820_0_L2A');
    delete (item.properties as Record<string, unknown>)['proj:epsg'];
    assert.match(rejection(item), /^unknown CRS/);

    const foreign = clone(item);
    (foreign.properties as Record<string, unknown>)['proj:code'] = 'IAU_2015:30100';
    assert.match(rejection(foreign), /^unknown CRS/);
  });

  it('takes the EPSG from the band assets when the item level has none', () => {
    const { item } = fixtureItem('S2B_33TWL_20230820_0_L2A');
    delete (item.properties as Record<string, unknown>)['proj:epsg'];
    const assets = item.assets as Record<string, Record<string, unknown>>;
    for (const key of ['red', 'nir', 'swir16', 'scl']) assets[key]!['proj:code'] = 'EPSG:32633';
    assert.equal(parse(item, 'file:///x/').epsg, 32633);

    assets.scl!['proj:code'] = 'EPSG:32634';
    assert.match(rejection(item), /bands in different CRS .*SCL EPSG:32634/);
  });

  it('rejects malformed items with a reason instead of throwing', () => {
    const { item } = fixtureItem('S2B_33TWL_20230820_0_L2A');
    const noId = clone(item);
    delete noId.id;
    const badDate = clone(item);
    (badDate.properties as Record<string, unknown>).datetime = '2023-02-30T10:00:00Z';
    const noTile = clone(item);
    noTile.id = 'mystery';
    for (const key of ['grid:code', 'mgrs:utm_zone'])
      delete (noTile.properties as Record<string, unknown>)[key];

    const { scenes, rejected } = scenesFromItems([noId, badDate, noTile, 'not an item'], {
      requiredBands: REQUIRED,
      baseUrl: 'file:///x/',
    });
    assert.equal(scenes.length, 0);
    assert.deepEqual(rejected[0], { id: '(item 0 without id)', reason: 'no id' });
    assert.equal(rejected[1]!.id, 'S2B_33TWL_20230820_0_L2A');
    assert.match(rejected[1]!.reason, /^unparseable datetime "2023-02-30T10:00:00Z"/);
    assert.match(rejected[2]!.reason, /^no MGRS tile/);
    assert.deepEqual(rejected[3], { id: '(item 3 without id)', reason: 'not a JSON object' });
  });

  it('rejects a relative href when there is no base URL and no self link', () => {
    const { item } = fixtureItem('S2B_33TWL_20230820_0_L2A');
    const result = sceneFromItem(item, { requiredBands: REQUIRED });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.rejected.reason : '', /relative href "B04\.tif" of asset red/);
  });

  it('rejects an item whose reflectance bands declare different offsets', () => {
    const { item } = fixtureItem('S2B_33TWL_20230820_0_L2A');
    const nir = (item.assets as Record<string, Record<string, unknown>>).nir!;
    (nir['raster:bands'] as Record<string, unknown>[])[0]!.offset = 0;
    assert.match(rejection(item), /reflectance bands declare different scale\/offset/);
  });

  it('reads the reprocessing counter of a _1_L2A id', () => {
    const { item } = fixtureItem('S2B_33TWL_20230820_0_L2A');
    item.id = 'S2B_33TWL_20230820_1_L2A';
    assert.equal(parse(item, 'file:///x/').reprocessing, 1);
  });
});
