import { ApplicationFailure } from '@temporalio/common';
import { ParcelwatchError, TransientError } from '../core/errors';

/**
 * Turns the engine's typed errors into what Temporal acts on: bad data, bad input and bad
 * configuration become non-retryable failures typed by their class (the workflows list these in
 * `nonRetryableErrorTypes`); a transient error stays retryable, with the server's advised delay.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof TransientError) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.name,
      nextRetryDelay: error.retryAfterMs,
      details: [{ code: error.code }],
      cause: error,
    });
  }
  if (error instanceof ParcelwatchError && !error.retryable) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.name,
      nonRetryable: true,
      details: [{ code: error.code }],
      cause: error,
    });
  }
  return error;
}

/** Wraps an activity so its errors reach Temporal as the right kind of failure. */
export function guarded<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw toActivityFailure(error);
    }
  };
}
