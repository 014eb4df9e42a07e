import assert from 'node:assert/strict';
import { gridCodesOf, normaliseTile } from '../../../src/core/stac/tile';

describe('MGRS tile ids', () => {
  it('normalises the spellings providers use', () => {
    for (const text of ['33TWL', 'T33TWL', 'MGRS-33TWL', 'mgrs-33twl']) {
      assert.equal(normaliseTile(text), '33TWL', text);
    }
    assert.equal(normaliseTile('1CCV'), '01CCV');
    assert.equal(normaliseTile('T01KAA'), '01KAA');
  });

  it('refuses what cannot be a tile (zone 0 or 61, latitude band I or O, row letter W)', () => {
    for (const text of ['00TWL', '61TWL', '33IWL', '33OWL', '33TWW', '33TW', 'S2B_33TWL']) {
      assert.equal(normaliseTile(text), undefined, text);
    }
  });

  it('asks for padded and unpadded grid codes below zone 10', () => {
    assert.deepEqual(gridCodesOf('33TWL'), ['MGRS-33TWL']);
    assert.deepEqual(gridCodesOf('01CCV'), ['MGRS-01CCV', 'MGRS-1CCV']);
  });
});
