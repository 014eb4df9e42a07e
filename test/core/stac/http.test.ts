import assert from 'node:assert/strict';
import { backoffMs, parseRetryAfter } from '../../../src/core/stac/http';

describe('STAC HTTP retry timing', () => {
  const now = Date.parse('2023-08-20T10:00:00Z');

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Sun, 20 Aug 2023 10:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter('Sun, 20 Aug 2023 09:59:00 GMT', now), 0, 'a past date means now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('doubles the backoff per attempt up to the cap, jitter within the upper half', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    const low = (attempt: number) => backoffMs(attempt, { ...options, random: () => 0 });
    const high = (attempt: number) => backoffMs(attempt, { ...options, random: () => 0.999999 });
    assert.deepEqual([1, 2, 3].map(low), [50, 100, 200]);
    assert.ok(Math.abs(high(3) - 400) < 0.01);
    assert.equal(low(10), 500, 'capped at maxDelayMs');
  });
});
