/**
 * The datalake in an S3 bucket (AWS or any S3-compatible server): key `a/b.tif` is the object
 * `<prefix>/a/b.tif`. S3 makes a PUT or a completed multipart upload visible whole or not at all,
 * so a reader never sees half an object and a failed write leaves the previous version in place.
 * Large objects go up in parts, a few at a time; a failed upload is aborted so no part is kept —
 * and should the abort fail too (the server down), it is retried before the next write, and
 * uploads a dead writer left are aborted when their key is written again. A lifecycle rule
 * aborting incomplete multipart uploads after a day is still advisable for writers that never
 * come back. Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, instance roles).
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mapLimit } from '../../core/concurrency';
import { BadDataError, ConfigError, ParcelwatchError } from '../../core/errors';
import type { RetryPolicy } from '../sources/retry';
import { createS3Client, type S3ConnectionOptions, S3Source } from '../sources/s3-source';
import type { Datalake, DatalakeObject, DatalakeSource } from './datalake';
import { checkKey, checkPrefix, MAX_KEY_LENGTH } from './keys';
import { datalakeS3Error, isMissingObject, type S3DatalakeContext } from './s3-datalake-errors';
import {
  abortStaleUploads,
  abortUpload,
  MIN_PART_SIZE,
  type UnfinishedUpload,
  uploadInParts,
} from './s3-multipart';

/** Parts of 8 MiB: few enough requests, small enough that a retried part costs little. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** Below two parts a single PUT is as fast and takes one request instead of three. */
export const DEFAULT_MULTIPART_THRESHOLD = 2 * DEFAULT_PART_SIZE;
/** Four parts in flight (32 MiB of views on bytes already in memory) fill a link without a burst. */
export const DEFAULT_PART_CONCURRENCY = 4;
/** S3's own maximum (and default) of keys per ListObjectsV2 and per DeleteObjects request. */
export const MAX_KEYS_PER_REQUEST = 1000;
/** HEAD requests in flight while `delete` finds which keys exist. */
const DELETE_CHECK_CONCURRENCY = 16;
/**
 * An upload of a key started this long ago belongs to a writer that died: no part upload takes
 * anywhere near as long, so a younger one may be a concurrent writer's, and is left alone.
 */
export const STALE_UPLOAD_MS = 15 * 60 * 1000;

export interface S3DatalakeOptions extends S3ConnectionOptions {
  bucket: string;
  /** Where the datalake's keys start inside the bucket, without leading or trailing '/'. @default '' */
  prefix?: string;
  /** A shared client; the connection options are then ignored and `close` leaves it open. */
  client?: S3Client;
  /** Objects of at least this many bytes are uploaded in parts. @default DEFAULT_MULTIPART_THRESHOLD */
  multipartThreshold?: number;
  /** Bytes per part, at least MIN_PART_SIZE (5 MiB). @default DEFAULT_PART_SIZE */
  partSize?: number;
  /** @default DEFAULT_PART_CONCURRENCY */
  partConcurrency?: number;
  /** Keys per ListObjectsV2 page, at most 1000. @default MAX_KEYS_PER_REQUEST */
  listPageSize?: number;
  /** Uploads of a key older than this are aborted when the key is written. @default STALE_UPLOAD_MS */
  staleUploadMs?: number;
  /** Retries of ranged reads through `source`, on top of the SDK's. @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
}

export class S3Datalake implements Datalake {
  readonly url: string;
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly where: S3DatalakeContext;
  /** Every object key starts with this: `<prefix>/`, or '' for the bucket's root. */
  private readonly keyStart: string;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly listPageSize: number;
  private readonly staleUploadMs: number;
  private readonly retry: Partial<RetryPolicy> | undefined;
  /** Uploads whose abort failed; aborted before the next write. */
  private readonly unaborted: UnfinishedUpload[] = [];

  constructor(options: S3DatalakeOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.url = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.keyStart = this.prefix ? `${this.prefix}/` : '';
    if (this.prefix) {
      try {
        checkKey(this.prefix);
      } catch (error) {
        throw new ConfigError(
          `DATALAKE_URL=${this.url}: the prefix ${JSON.stringify(this.prefix)} is not usable (${(error as Error).message}); write it as s3://bucket/folder/names`,
          { code: 'DATALAKE_S3_BAD_PREFIX', cause: error },
        );
      }
    }
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!(this.partSize >= MIN_PART_SIZE)) {
      throw new RangeError(
        `S3 parts must hold at least ${MIN_PART_SIZE} bytes, not ${this.partSize}`,
      );
    }
    this.multipartThreshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    this.partConcurrency = options.partConcurrency ?? DEFAULT_PART_CONCURRENCY;
    this.listPageSize = Math.min(
      options.listPageSize ?? MAX_KEYS_PER_REQUEST,
      MAX_KEYS_PER_REQUEST,
    );
    this.staleUploadMs = options.staleUploadMs ?? STALE_UPLOAD_MS;
    this.retry = options.retry;
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createS3Client(options);
    this.where = { url: this.url, bucket: this.bucket, endpoint: options.endpoint };
  }

  /**
   * Fails fast, at start-up, on what no retry fixes: rejected or missing credentials, a bucket
   * that does not exist, no permission to list the prefix. A ConfigError says which setting to
   * fix; an unreachable server is a TransientError.
   */
  async assertReachable(): Promise<void> {
    await this.send('list', undefined, () =>
      this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.keyStart, MaxKeys: 1 }),
      ),
    );
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const objectKey = this.objectKey(key);
    await this.abortUnfinished();
    const contentType = key.endsWith('.tif') ? 'image/tiff' : 'application/octet-stream';
    if (bytes.byteLength < this.multipartThreshold) {
      await this.send('write', key, () =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: objectKey,
            Body: bytes,
            ContentType: contentType,
          }),
        ),
      );
      return;
    }
    await abortStaleUploads(
      this.client,
      this.bucket,
      objectKey,
      new Date(Date.now() - this.staleUploadMs),
    );
    await this.send('write', key, () =>
      uploadInParts(
        this.client,
        this.bucket,
        objectKey,
        bytes,
        { partSize: this.partSize, concurrency: this.partConcurrency, contentType },
        (upload) => this.unaborted.push(upload),
      ),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    const objectKey = this.objectKey(key);
    return this.send('read', key, async () => {
      const output = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }),
      );
      return output.Body ? await output.Body.transformToByteArray() : new Uint8Array(0);
    });
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== undefined;
  }

  async size(key: string): Promise<number | undefined> {
    const objectKey = this.objectKey(key);
    return this.send('inspect', key, async () => {
      try {
        const head = await this.client.send(
          new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }),
        );
        return head.ContentLength ?? 0;
      } catch (error) {
        if (isMissingObject(error)) return undefined;
        throw error;
      }
    });
  }

  source(key: string): DatalakeSource {
    const objectKey = this.objectKey(key);
    return new S3Source(`s3://${this.bucket}/${objectKey}`, {
      client: this.client,
      retry: this.retry,
      classifyError: (error, range) => datalakeS3Error(this.where, `read ${range} of`, key, error),
    });
  }

  async *list(prefix: string): AsyncIterable<DatalakeObject> {
    checkPrefix(prefix);
    let token: string | undefined;
    do {
      const page = await this.send('list', prefix || '(root)', () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.keyStart + prefix,
            MaxKeys: this.listPageSize,
            ContinuationToken: token,
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.keyStart.length);
        // Objects put there by other tools under names no datalake key can have are not ours.
        if (key === undefined || !isKey(key)) continue;
        yield { key, size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(keys: readonly string[]): Promise<number> {
    // Every key is checked before anything is deleted; a key named twice is deleted once.
    for (const key of keys) this.objectKey(key);
    const unique = [...new Set(keys)];
    let deleted = 0;
    for (let start = 0; start < unique.length; start += MAX_KEYS_PER_REQUEST) {
      const batch = unique.slice(start, start + MAX_KEYS_PER_REQUEST);
      // DeleteObjects reports every key as deleted, present or not: count with HEAD first.
      const present = await mapLimit(batch, DELETE_CHECK_CONCURRENCY, (key) => this.exists(key));
      const existing = batch.filter((_, i) => present[i]);
      if (existing.length === 0) continue;
      const output = await this.send('delete', existing[0], () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: existing.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
          }),
        ),
      );
      const failed = output.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        throw datalakeS3Error(
          this.where,
          `delete ${failed.length} of ${existing.length} objects, the first`,
          first.Key?.slice(this.keyStart.length),
          Object.assign(new Error(first.Message ?? 'delete refused'), { name: first.Code }),
        );
      }
      deleted += existing.length;
    }
    return deleted;
  }

  /** Releases the connections of a client the datalake created. */
  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  /** The bucket's key of a datalake key. */
  private objectKey(key: string): string {
    checkKey(key);
    const objectKey = this.keyStart + key;
    if (objectKey.length > MAX_KEY_LENGTH) {
      throw new BadDataError(
        `datalake ${this.url}: key ${key} is longer than S3's ${MAX_KEY_LENGTH} characters once under the prefix; shorten the prefix of DATALAKE_URL`,
        { code: 'DATALAKE_BAD_KEY' },
      );
    }
    return objectKey;
  }

  /** Retries the aborts that failed earlier; those failing again wait for the next write. */
  private async abortUnfinished(): Promise<void> {
    const pending = this.unaborted.splice(0);
    for (const upload of pending) {
      if (!(await abortUpload(this.client, upload))) this.unaborted.push(upload);
    }
  }

  /** Runs one S3 call, turning its failure into our typed error. */
  private async send<T>(
    action: string,
    key: string | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ParcelwatchError) throw error;
      throw datalakeS3Error(this.where, action, key, error);
    }
  }
}

function isKey(key: string): boolean {
  try {
    checkKey(key);
    return true;
  } catch {
    return false;
  }
}
