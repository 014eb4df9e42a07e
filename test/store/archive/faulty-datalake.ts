/** A datalake that fails on demand, around a real one: how tests make archives fail. */
import type {
  Datalake,
  DatalakeObject,
  DatalakeSource,
} from '../../../src/store/datalake/datalake';

export interface Faults {
  /** Throws this from `put` of matching keys. */
  put?: { match: RegExp; error: () => Error; times?: number };
  /** Returns other bytes from `get` of matching keys (a read-back mismatch). */
  get?: { match: RegExp; alter: (bytes: Uint8Array) => Uint8Array };
}

export class FaultyDatalake implements Datalake {
  readonly url: string;
  /** Keys whose put failed, in order. */
  readonly failedPuts: string[] = [];

  constructor(
    private readonly inner: Datalake,
    private readonly faults: Faults,
  ) {
    this.url = inner.url;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const fault = this.faults.put;
    if (
      fault?.match.test(key) &&
      (fault.times === undefined || this.failedPuts.length < fault.times)
    ) {
      this.failedPuts.push(key);
      throw fault.error();
    }
    return this.inner.put(key, bytes);
  }

  async get(key: string): Promise<Uint8Array> {
    const bytes = await this.inner.get(key);
    const fault = this.faults.get;
    return fault?.match.test(key) ? fault.alter(bytes) : bytes;
  }

  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }

  size(key: string): Promise<number | undefined> {
    return this.inner.size(key);
  }

  source(key: string): DatalakeSource {
    return this.inner.source(key);
  }

  list(prefix: string): AsyncIterable<DatalakeObject> {
    return this.inner.list(prefix);
  }

  delete(keys: readonly string[]): Promise<number> {
    return this.inner.delete(keys);
  }
}
