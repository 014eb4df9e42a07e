import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import {
  parseTimeBound,
  parseTimeRange,
  TIME_BOUND_PATTERN,
  weekStartBounds,
} from '../../../src/store/exports/time-bounds';

describe('time bounds of selections', () => {
  it('takes a date as its whole UTC day: from its midnight, to the next midnight', () => {
    assert.equal(parseTimeBound('2024-05-31', 'from'), '2024-05-31T00:00:00.000Z');
    assert.equal(parseTimeBound('2024-05-31', 'to'), '2024-06-01T00:00:00.000Z');
    assert.equal(parseTimeBound('2024-12-31', 'to'), '2025-01-01T00:00:00.000Z');
  });

  it('takes an ISO week as Monday 00:00Z to the next Monday, across year ends', () => {
    assert.equal(parseTimeBound('2024-W22', 'from'), '2024-05-27T00:00:00.000Z');
    assert.equal(parseTimeBound('2024-W22', 'to'), '2024-06-03T00:00:00.000Z');
    // 2021-W01 starts on Monday 4 January 2021; 2020-W53 on 28 December 2020.
    assert.equal(parseTimeBound('2021-W01', 'from'), '2021-01-04T00:00:00.000Z');
    assert.equal(parseTimeBound('2020-W53', 'from'), '2020-12-28T00:00:00.000Z');
  });

  it('takes an instant as itself, its zone applied, and includes it as an end', () => {
    assert.equal(parseTimeBound('2024-05-31T12:00:00+02:00', 'from'), '2024-05-31T10:00:00.000Z');
    assert.equal(parseTimeBound('2024-05-31T10:00:00Z', 'to'), '2024-05-31T10:00:00.001Z');
  });

  it('refuses impossible dates, missing weeks, zone-less instants and prose, naming the parameter', () => {
    for (const text of [
      '2024-02-30',
      '2021-W53',
      '2024-05-31T10:00:00',
      'yesterday',
      '31/05/2024',
    ]) {
      assert.throws(
        () => parseTimeBound(text, 'from', '--from'),
        (e: unknown) => e instanceof BadInputError && e.message.includes('--from'),
        text,
      );
    }
  });

  it('accepts in its request pattern exactly the forms it parses', () => {
    const pattern = new RegExp(TIME_BOUND_PATTERN);
    for (const ok of [
      '2024-05-31',
      '2024-W22',
      '2024-05-31T10:00Z',
      '2024-05-31T10:00:00.5+02:00',
    ]) {
      assert.ok(pattern.test(ok), ok);
      assert.doesNotThrow(() => parseTimeBound(ok, 'from'));
    }
    for (const bad of ['2024-5-31', '2024W22', '2024-05-31T10:00:00', '2024-05-31 10:00Z'])
      assert.ok(!pattern.test(bad), bad);
  });

  it('refuses a range that ends before it starts', () => {
    assert.throws(() => parseTimeRange('2024-05-02', '2024-05-01'), /after to/);
    assert.deepEqual(parseTimeRange('2024-05-01', '2024-05-01'), {
      from: '2024-05-01T00:00:00.000Z',
      to: '2024-05-02T00:00:00.000Z',
    });
  });

  it('selects the weeks that meet a range: a week ending at the range start is out, one starting before its end is in', () => {
    // Monday 2024-05-13 starts a week; [05-13, 05-20) meets [05-13 00:00, …) but [05-06, 05-13) does not.
    assert.deepEqual(weekStartBounds({ from: '2024-05-13T00:00:00.000Z' }), {
      first: '2024-05-07',
      last: undefined,
    });
    // Sunday evening belongs to the week of Monday 05-06.
    assert.equal(weekStartBounds({ from: '2024-05-12T23:00:00.000Z' }).first, '2024-05-06');
    // A range ending at Monday 05-20 00:00 excludes the week starting then; one ms later includes it.
    assert.equal(weekStartBounds({ to: '2024-05-20T00:00:00.000Z' }).last, '2024-05-19');
    assert.equal(weekStartBounds({ to: '2024-05-20T00:00:00.001Z' }).last, '2024-05-20');
  });
});
