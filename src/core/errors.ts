/**
 * Typed errors shared by the whole engine. Callers (activities, CLI, API) tell them apart by class
 * or by `retryable`: a retry can fix a transient failure, never bad data or bad input.
 */
export interface ParcelwatchErrorOptions {
  /** Stable machine-readable code, e.g. `COG_CORRUPT`, `STAC_HTTP_429`. */
  code: string;
  cause?: unknown;
}

export abstract class ParcelwatchError extends Error {
  abstract readonly retryable: boolean;
  readonly code: string;

  constructor(message: string, options: ParcelwatchErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
  }
}

/** Data from a provider or the datalake is unusable (corrupt COG, malformed STAC JSON). Not retryable. */
export class BadDataError extends ParcelwatchError {
  readonly retryable = false;
}

/** What a user gave us is wrong (file, option, geometry). Not retryable; the message says what to fix. */
export class BadInputError extends ParcelwatchError {
  readonly retryable = false;
}

/** A setting is missing or invalid; raised at start-up. Not retryable. */
export class ConfigError extends ParcelwatchError {
  readonly retryable = false;
}

/** Network errors, HTTP 429/5xx, a database that went away: worth retrying with backoff. */
export class TransientError extends ParcelwatchError {
  readonly retryable = true;
  /** Server-advised delay before the next attempt (from `Retry-After`), when known. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ParcelwatchErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True when retrying the failed operation may succeed. Unknown errors count as retryable. */
export function isRetryable(error: unknown): boolean {
  return error instanceof ParcelwatchError ? error.retryable : true;
}
