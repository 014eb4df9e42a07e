/** Wraps a ByteSource and counts what it really read: for benchmarks and the bytes-read KPI. */
import type { ByteCounter, ByteSource } from './source';

export class CountingSource implements ByteSource, ByteCounter {
  readonly url: string;
  /** Requests that returned bytes. */
  requests = 0;
  /** Bytes those requests returned. */
  bytes = 0;

  constructor(readonly inner: ByteSource & { close?(): Promise<void> }) {
    this.url = inner.url;
  }

  async fetch(
    offset: number,
    length: number,
    options?: { signal?: AbortSignal },
  ): Promise<Uint8Array> {
    const bytes = await this.inner.fetch(offset, length, options);
    this.requests++;
    this.bytes += bytes.byteLength;
    return bytes;
  }

  async size(): Promise<number | undefined> {
    return this.inner.size?.();
  }

  /** Starts counting afresh, e.g. after the header was read. */
  reset(): void {
    this.requests = 0;
    this.bytes = 0;
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
