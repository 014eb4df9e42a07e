/**
 * Retries of remote reads: exponential backoff with full jitter, the server's Retry-After
 * honoured, abortable sleeps. Only TransientError is retried; everything else fails at once.
 */
import { TransientError } from '../../core/errors';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs × 2ⁿ)]. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server asking to wait longer than this gets the error back at once, with its hint. */
  maxRetryAfterMs: number;
}

/**
 * Five attempts over about 8 s on average: rides out S3's bursts of 403/503 "slow down" without
 * holding an activity long; Temporal retries the activity beyond that.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...overrides };
}

/** Full-jitter exponential backoff (spreads a crowd of clients retrying together). */
export function backoffDelay(retry: number, policy: RetryPolicy, random = Math.random): number {
  return random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, throws something other than a TransientError, or the
 * retries run out; the last TransientError then says how many attempts were made.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      const advised = error.retryAfterMs;
      const giveUp =
        retry >= policy.retries || (advised !== undefined && advised > policy.maxRetryAfterMs);
      if (giveUp) {
        throw new TransientError(`${error.message} (gave up after ${retry + 1} attempts)`, {
          code: error.code,
          cause: error.cause ?? error,
          retryAfterMs: advised,
        });
      }
      await sleep(Math.max(backoffDelay(retry, policy), advised ?? 0), signal);
    }
  }
}
