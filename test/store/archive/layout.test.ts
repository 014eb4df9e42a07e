import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import {
  archiveManifestKey,
  archiveObjectKey,
  blockRange,
  monthWindow,
  PARCELS_PER_ARCHIVE_OBJECT,
  parseArchiveObjectKey,
} from '../../../src/store/archive/layout';

describe('archive layout', () => {
  it('names one object and one manifest per month, index and block of parcel ids, under archive/', () => {
    const unit = { month: '2024-03', index: 'ndvi', block: 2 };
    assert.equal(PARCELS_PER_ARCHIVE_OBJECT, 10_000);
    assert.equal(
      archiveObjectKey(unit),
      'archive/observations/2024-03/ndvi/parcels-20000-29999.csv.gz',
    );
    assert.equal(
      archiveManifestKey(unit),
      'archive/observations/2024-03/ndvi/parcels-20000-29999.manifest.json',
    );
    assert.deepEqual(parseArchiveObjectKey(archiveObjectKey(unit)), unit);
    assert.deepEqual(blockRange(0), { first: 0, last: 9_999 });
  });

  it('does not take manifests, foreign keys or misaligned blocks for archive objects', () => {
    for (const key of [
      'archive/observations/2024-03/ndvi/parcels-20000-29999.manifest.json',
      'archive/observations/2024-13/ndvi/parcels-0-9999.csv.gz',
      'archive/observations/2024-03/ndvi/parcels-5-10004.csv.gz',
      'archive/observations/2024-03/ndvi/parcels-0-19999.csv.gz',
      'raw/33TWL/2024-03-01/S2A/g1/B04.tif',
    ])
      assert.equal(parseArchiveObjectKey(key), undefined, key);
  });

  it('refuses units that would make bad keys', () => {
    for (const unit of [
      { month: '2024-3', index: 'ndvi', block: 0 },
      { month: '2024-03', index: 'NDVI/..', block: 0 },
      { month: '2024-03', index: 'ndvi', block: -1 },
      { month: '2024-03', index: 'ndvi', block: 0.5 },
    ])
      assert.throws(() => archiveObjectKey(unit), BadInputError, JSON.stringify(unit));
  });

  it('gives a month as its UTC instants, December into January', () => {
    assert.deepEqual(monthWindow('2023-12'), {
      start: new Date('2023-12-01T00:00:00Z'),
      end: new Date('2024-01-01T00:00:00Z'),
    });
    assert.equal(monthWindow('2024-02').end.toISOString(), '2024-03-01T00:00:00.000Z');
  });
});
