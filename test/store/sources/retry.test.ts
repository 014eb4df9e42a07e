import assert from 'node:assert/strict';
import { BadDataError, TransientError } from '../../../src/core/errors';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryPolicy,
  withRetries,
} from '../../../src/store/sources/retry';

describe('retry', () => {
  it('parses Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    const now = Date.parse('2026-11-26T10:00:00Z');
    assert.equal(parseRetryAfter('Thu, 26 Nov 2026 10:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });

  it('draws backoff between zero and the doubled, capped delay (full jitter)', () => {
    const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 });
    assert.equal(
      backoffDelay(0, policy, () => 0.999999),
      99.9999,
    );
    assert.equal(
      backoffDelay(3, policy, () => 0.5),
      400,
    );
    assert.equal(
      backoffDelay(10, policy, () => 1),
      1000,
    );
    assert.equal(
      backoffDelay(2, policy, () => 0),
      0,
    );
  });

  it('retries a TransientError and returns the first success', async () => {
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw new TransientError('flaky', { code: 'X' });
        return 'ok';
      },
      retryPolicy({ baseDelayMs: 1 }),
    );
    assert.deepEqual([result, calls], ['ok', 3]);
  });

  it('makes retries + 1 attempts, then says so in the error', async () => {
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new TransientError('HTTP 503', { code: 'HTTP_503' });
    };
    await assert.rejects(withRetries(failing, retryPolicy({ retries: 2, baseDelayMs: 1 })), {
      name: 'TransientError',
      code: 'HTTP_503',
      message: 'HTTP 503 (gave up after 3 attempts)',
    });
    assert.equal(calls, 3);
  });

  it('does not retry bad data', async () => {
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new BadDataError('missing', { code: 'SOURCE_MISSING' });
    };
    await assert.rejects(withRetries(failing, DEFAULT_RETRY_POLICY), BadDataError);
    assert.equal(calls, 1);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const pending = withRetries(
      async () => {
        throw new TransientError('busy', { code: 'X', retryAfterMs: 10_000 });
      },
      retryPolicy({ maxRetryAfterMs: 60_000 }),
      controller.signal,
    );
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
  });
});
