import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import { bandsFor, INDICES, resolveIndices } from '../../../src/core/indices/registry';

describe('index registry', () => {
  it('offers NDVI and NDMI plus at least three more crop indices', () => {
    const names = INDICES.map((i) => i.name);
    for (const name of ['ndvi', 'ndmi', 'evi', 'savi', 'ndre', 'ndwi'])
      assert.ok(names.includes(name), name);
  });

  it('evaluates the published formulas on known reflectances', () => {
    const [ndvi, ndmi, evi, savi] = resolveIndices(['ndvi', 'ndmi', 'evi', 'savi']);
    // NIR 0.5, red 0.1: NDVI = 0.4 / 0.6
    assert.ok(Math.abs(ndvi!.formula(0.5, 0.1, 0) - 2 / 3) < 1e-15);
    // NIR 0.4, SWIR 0.2: NDMI = 0.2 / 0.6
    assert.ok(Math.abs(ndmi!.formula(0.4, 0.2, 0) - 1 / 3) < 1e-15);
    // EVI = 2.5 (0.5 − 0.1) / (0.5 + 0.6 − 0.375 + 1) with blue 0.05
    assert.ok(Math.abs(evi!.formula(0.5, 0.1, 0.05) - 1 / 1.725) < 1e-12);
    // SAVI = 1.5 × 0.4 / 1.1
    assert.ok(Math.abs(savi!.formula(0.5, 0.1, 0) - 0.6 / 1.1) < 1e-15);
  });

  it('lists the bands to read, SCL included, once each', () => {
    assert.deepEqual(bandsFor(resolveIndices(['ndvi', 'ndmi'])), ['B08', 'B04', 'B11', 'SCL']);
    assert.deepEqual(bandsFor(resolveIndices(['evi', 'ndwi'])), [
      'B08',
      'B04',
      'B02',
      'B03',
      'SCL',
    ]);
  });

  it('refuses an unknown index, listing the known ones', () => {
    assert.throws(
      () => resolveIndices(['ndvi', 'nvdi']),
      (error: unknown) =>
        error instanceof BadInputError &&
        /Unknown index nvdi; choose among ndvi, ndmi, evi, savi, ndre, ndwi/.test(error.message),
    );
    assert.throws(() => resolveIndices([]), /No index selected/);
  });
});
