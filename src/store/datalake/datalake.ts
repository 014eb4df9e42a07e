/**
 * The datalake: where the pipeline keeps the rasters it derives (clipped provider COGs, clean
 * COGs), addressed by keys — never paths — so the same code runs on a folder or on S3. Objects are
 * written whole and atomically: a reader sees no object or the complete one, and writing a key
 * again replaces it (activities are retried, and a retry writes the same key with the same bytes).
 */
import type { ByteSource } from '../../core/raster/source';

/** Ranged reads of one object, for the COG reader; close it when done. */
export type DatalakeSource = ByteSource & { close(): Promise<void> };

export interface DatalakeObject {
  key: string;
  /** Bytes. */
  size: number;
  /** When the object was last written. */
  modified: Date;
}

export interface Datalake {
  /** Where the datalake lives (`file:///…`, later `s3://bucket/prefix`), for logs and errors. */
  readonly url: string;
  /** Stores `bytes` under `key`, replacing any previous object, atomically. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The whole object; a BadDataError (code DATALAKE_MISSING) when there is none. */
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /** Size in bytes, or undefined when there is no object. */
  size(key: string): Promise<number | undefined>;
  /** Ranged reads of the object (opened lazily: a missing object fails on the first read). */
  source(key: string): DatalakeSource;
  /**
   * Every object whose key starts with `prefix` (a plain string prefix, as S3 lists), in key order.
   * Objects being written are not listed.
   */
  list(prefix: string): AsyncIterable<DatalakeObject>;
  /** Deletes the objects that exist among `keys`; returns how many there were. */
  delete(keys: readonly string[]): Promise<number>;
}
