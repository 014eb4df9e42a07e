import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import { parseInstant, resolveDatetime } from '../../../src/core/stac/datetime';

describe('STAC datetime', () => {
  it('parses RFC 3339 instants with fractions and offsets', () => {
    assert.equal(parseInstant('2023-08-20T09:58:11.072000Z'), Date.UTC(2023, 7, 20, 9, 58, 11, 72));
    assert.equal(parseInstant('2022-11-06T10:32:34+01:00'), Date.UTC(2022, 10, 6, 9, 32, 34));
  });

  it('refuses dates that are not RFC 3339 date-times or do not exist', () => {
    for (const text of [
      '2023-08-20',
      '2023-02-30T00:00:00Z',
      '2023-08-20T25:00:00Z',
      'yesterday',
    ]) {
      assert.equal(parseInstant(text), undefined, text);
    }
  });

  it('accepts intervals with an open end', () => {
    const open = resolveDatetime('2023-08-10T00:00:00Z/..');
    assert.equal(open.startMs, Date.UTC(2023, 7, 10));
    assert.equal(open.endMs, Infinity);
    assert.equal(resolveDatetime({ end: '2023-08-31T00:00:00Z' }).param, '../2023-08-31T00:00:00Z');
    assert.equal(
      resolveDatetime({ start: new Date(Date.UTC(2023, 7, 1)) }).param,
      '2023-08-01T00:00:00.000Z/..',
    );
  });

  it('rejects a reversed, doubly open or malformed interval with BadInputError', () => {
    for (const text of [
      '2023-08-31T00:00:00Z/2023-08-01T00:00:00Z',
      '../..',
      '2023-08-01/..',
      'a/b/c',
    ]) {
      assert.throws(() => resolveDatetime(text), BadInputError, text);
    }
  });
});
