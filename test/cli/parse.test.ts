import assert from 'node:assert/strict';
import { parseIds, parseInteger, parseList } from '../../src/cli/parse';

describe('command-line value parsing', () => {
  it('reads whole numbers at or above the minimum and refuses others, naming the option', () => {
    assert.equal(parseInteger('0', '--limit', 0), 0);
    assert.equal(parseInteger('12', '--limit', 1), 12);
    for (const bad of ['', ' ', '1.5', '-1', 'ten', '0']) {
      assert.throws(
        () => parseInteger(bad, '--limit', 1),
        /--limit ".*" is not a whole number ≥ 1/,
        bad,
      );
    }
  });

  it('splits lists, dropping empty items, and reads positive ids', () => {
    assert.deepEqual(parseList(' a, ,b,'), ['a', 'b']);
    assert.equal(parseList(','), undefined);
    assert.deepEqual(parseIds('3,4', '--groups'), [3, 4]);
    assert.throws(() => parseIds('3,0', '--groups'), /--groups: "0" is not a positive integer id/);
    assert.deepEqual(parseIds('9007199254740991', '--ids'), [Number.MAX_SAFE_INTEGER]);
    assert.throws(
      () => parseIds('9007199254740993', '--ids'),
      /--ids: "9007199254740993" is not a positive integer id/,
    );
    assert.throws(
      () => parseInteger('1e300', '--limit', 0),
      /--limit "1e300" is not a whole number/,
    );
  });
});
