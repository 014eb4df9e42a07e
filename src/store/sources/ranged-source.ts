import type { ByteSource } from '../../core/raster/source';
import { type RetryPolicy, retryPolicy, withRetries } from './retry';

/**
 * A remote byte source (HTTP, S3): each read is one ranged request, retried by the policy when
 * transient. Subclasses make one attempt and note the object's size when a response tells it, so
 * `size()` costs no extra request.
 */
export abstract class RangedSource implements ByteSource {
  protected knownSize: number | undefined;
  private readonly retry: RetryPolicy;

  constructor(
    readonly url: string,
    retry: Partial<RetryPolicy> | undefined,
  ) {
    this.retry = retryPolicy(retry);
  }

  fetch(
    offset: number,
    length: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    if (length <= 0) return Promise.resolve(new Uint8Array(0));
    return withRetries(
      () => this.attempt(offset, length, options.signal),
      this.retry,
      options.signal,
    );
  }

  /** Known once a response has told it; undefined before. */
  async size(): Promise<number | undefined> {
    return this.knownSize;
  }

  abstract close(): Promise<void>;

  /** One request for `length` bytes at `offset`; throws TransientError for what a retry may cure. */
  protected abstract attempt(
    offset: number,
    length: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array>;
}
