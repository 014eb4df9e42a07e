import assert from 'node:assert/strict';
import { parseFilter } from '../../src/cli/parcel-selection';
import { BadInputError } from '../../src/core/errors';

describe('parcel selection options: --where conditions', () => {
  it('reads field=value, field!=value and field~text, trimming around the operator only', () => {
    assert.deepEqual(parseFilter('crop=wheat'), { field: 'crop', op: '=', value: 'wheat' });
    assert.deepEqual(parseFilter('crop != Grasland, blijvend'), {
      field: 'crop',
      op: '!=',
      value: 'Grasland, blijvend',
    });
    assert.deepEqual(parseFilter('attributes.farm~North '), {
      field: 'attributes.farm',
      op: '~',
      value: 'North ',
    });
  });

  it('splits at the first operator: the value may hold =, ! and ~', () => {
    assert.deepEqual(parseFilter('note=a=b!=c~d'), { field: 'note', op: '=', value: 'a=b!=c~d' });
    assert.deepEqual(parseFilter('note~=x'), { field: 'note', op: '~', value: '=x' });
  });

  it('accepts an empty value: field= selects parcels whose field is the empty text', () => {
    assert.deepEqual(parseFilter('crop='), { field: 'crop', op: '=', value: '' });
  });

  it('refuses a condition without field or operator, saying the forms it takes', () => {
    for (const text of ['crop', '=wheat', ' = wheat', '!=x', '', 'crop wheat']) {
      assert.throws(
        () => parseFilter(text),
        (e: unknown) =>
          e instanceof BadInputError &&
          e.code === 'OPTION_INVALID' &&
          e.message.includes(`--where "${text}" is not field=value, field!=value or field~text`),
        text,
      );
    }
  });
});
