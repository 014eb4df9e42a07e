/**
 * All byte access goes through this interface: the COG reader does not care whether bytes come
 * from a file, HTTP or S3. Implementations live in `src/store/sources/`.
 */
export interface ByteSource {
  /** Where the bytes come from, used in error messages (`https://…`, `s3://…`, `file:///…`). */
  readonly url: string;
  /**
   * Reads exactly `length` bytes at `offset`. A range past the end yields fewer bytes; callers
   * that need all of them check `byteLength` and report a truncated file.
   */
  fetch(offset: number, length: number, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /** Total size in bytes, when the source knows it cheaply. */
  size?(): Promise<number | undefined>;
}

/** Counts what a source really read, for benchmarks and the `bytes read` KPI. */
export interface ByteCounter {
  requests: number;
  bytes: number;
}
