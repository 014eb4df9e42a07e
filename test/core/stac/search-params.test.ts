import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import {
  cql2Filter,
  mismatchOf,
  prepareSearch,
  queryExtension,
  searchQuery,
} from '../../../src/core/stac/search-params';

const defaults = { collection: 'sentinel-2-l2a', limit: 100 };

describe('STAC search parameters', () => {
  it('writes both grid-code spellings for a zone below 10, in CQL2 and in query', () => {
    const search = prepareSearch({ tile: '1CCV' }, defaults);
    assert.deepEqual(cql2Filter(search), {
      op: 'or',
      args: [
        { op: '=', args: [{ property: 'grid:code' }, 'MGRS-01CCV'] },
        { op: '=', args: [{ property: 'grid:code' }, 'MGRS-1CCV'] },
      ],
    });
    assert.deepEqual(queryExtension(search), { 'grid:code': { in: ['MGRS-01CCV', 'MGRS-1CCV'] } });
  });

  it('sends no filter when neither cloud cover nor tile is asked', () => {
    const search = prepareSearch({ ids: ['a'] }, defaults);
    assert.equal(cql2Filter(search), undefined);
    assert.equal(queryExtension(search), undefined);
  });

  it('encodes a GET search with comma lists and JSON objects', () => {
    const search = prepareSearch(
      {
        bbox: [15, 45, 16, 46],
        ids: ['a', 'b'],
        maxCloudCover: 20,
        datetime: '2023-08-20T00:00:00Z/..',
      },
      defaults,
    );
    const params = searchQuery(search, 'query');
    assert.equal(params.get('bbox'), '15,45,16,46');
    assert.equal(params.get('ids'), 'a,b');
    assert.equal(params.get('datetime'), '2023-08-20T00:00:00Z/..');
    assert.deepEqual(JSON.parse(params.get('query')!), { 'eo:cloud_cover': { lte: 20 } });
  });

  it('refuses searches the STAC API would refuse, before sending them', () => {
    const square = {
      type: 'Polygon' as const,
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ] as [number, number][],
      ],
    };
    const bad = [
      { bbox: [0, 0, 1, 1] as [number, number, number, number], intersects: square },
      { maxCloudCover: 120 },
      { tile: 'WL33' },
      { limit: 0 },
      { datetime: 'last week' },
    ];
    for (const search of bad) {
      assert.throws(() => prepareSearch(search, defaults), BadInputError, JSON.stringify(search));
    }
  });

  it('re-checks the time window on the client', () => {
    const search = prepareSearch({ datetime: { start: '2023-08-15T00:00:00Z' } }, defaults);
    const item = { id: 'x', properties: { datetime: '2023-08-10T09:58:11Z' } };
    assert.match(mismatchOf(item, search)!, /outside 2023-08-15T00:00:00Z\/\.\./);
    item.properties.datetime = '2023-08-20T09:58:11Z';
    assert.equal(mismatchOf(item, search), undefined);
  });
});
