/**
 * Multipart uploads of objects already in memory: CreateMultipartUpload, the parts a few at a
 * time, CompleteMultipartUpload — and AbortMultipartUpload whenever anything fails, so no part
 * is left behind. S3 shows the object only once the upload completes, whole, so a failure at any
 * point leaves the previous version (or nothing) visible.
 */
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createLimit } from '../../core/concurrency';
import { s3ErrorName, s3HttpStatus } from './s3-datalake-errors';

/** S3's minimum size of every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3's maximum number of parts of one upload. */
export const MAX_PARTS = 10_000;

export interface MultipartOptions {
  /** Bytes per part (the last may be smaller); raised when the object would need over MAX_PARTS. */
  partSize: number;
  /** Parts in flight at once. */
  concurrency: number;
  contentType?: string;
}

/** An upload that could not be aborted (the server was unreachable): to abort later. */
export interface UnfinishedUpload {
  bucket: string;
  key: string;
  uploadId: string;
}

/**
 * Uploads `bytes` to `bucket`/`key` in parts. On failure the upload is aborted once every part in
 * flight has settled (a part landing after the abort would otherwise survive it); if even the
 * abort fails, `onUnaborted` receives the upload so the caller can abort it later. The first
 * error is rethrown as the SDK raised it.
 */
export async function uploadInParts(
  client: S3Client,
  bucket: string,
  key: string,
  bytes: Uint8Array,
  options: MultipartOptions,
  onUnaborted: (upload: UnfinishedUpload) => void,
): Promise<void> {
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ContentType: options.contentType,
      // Each part carries a CRC32 the server checks; the completed object keeps them.
      ChecksumAlgorithm: 'CRC32',
    }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`CreateMultipartUpload of ${key} answered without an UploadId`);
  try {
    const parts = await uploadParts(client, { bucket, key, uploadId }, bytes, options);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (error) {
    if (!(await abortUpload(client, { bucket, key, uploadId }))) {
      onUnaborted({ bucket, key, uploadId });
    }
    throw error;
  }
}

/** Uploads every part; stops starting new ones (and cancels those in flight) at the first failure. */
async function uploadParts(
  client: S3Client,
  upload: UnfinishedUpload,
  bytes: Uint8Array,
  options: MultipartOptions,
): Promise<CompletedPart[]> {
  const partSize = Math.max(options.partSize, Math.ceil(bytes.byteLength / MAX_PARTS));
  const count = Math.max(1, Math.ceil(bytes.byteLength / partSize));
  const limit = createLimit(options.concurrency);
  const stop = new AbortController();
  let failure: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      limit(async (): Promise<CompletedPart> => {
        stop.signal.throwIfAborted();
        const partNumber = i + 1;
        try {
          const output = await client.send(
            new UploadPartCommand({
              Bucket: upload.bucket,
              Key: upload.key,
              UploadId: upload.uploadId,
              PartNumber: partNumber,
              Body: bytes.subarray(i * partSize, Math.min(bytes.byteLength, (i + 1) * partSize)),
              ChecksumAlgorithm: 'CRC32',
            }),
            { abortSignal: stop.signal },
          );
          return { PartNumber: partNumber, ETag: output.ETag, ChecksumCRC32: output.ChecksumCRC32 };
        } catch (error) {
          // Before this part's slot goes to the next one: no part starts after a failure.
          if (!failure) {
            failure = { error };
            stop.abort(error);
          }
          throw error;
        }
      }),
    ),
  );
  if (failure) throw failure.error;
  return settled.map((result) => (result as PromiseFulfilledResult<CompletedPart>).value);
}

/** Aborts an upload; true when it is gone (aborted now, or already completed or aborted). */
export async function abortUpload(client: S3Client, upload: UnfinishedUpload): Promise<boolean> {
  try {
    await client.send(
      new AbortMultipartUploadCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
      }),
    );
    return true;
  } catch (error) {
    return s3ErrorName(error) === 'NoSuchUpload' || s3HttpStatus(error) === 404;
  }
}

/**
 * Aborts the uploads of exactly `key` started before `startedBefore`: left by a writer that died
 * mid-upload (a younger one may be a concurrent writer's, and is left alone). Best effort: a
 * server that cannot list uploads must not stop the write; the bucket's lifecycle rule remains.
 */
export async function abortStaleUploads(
  client: S3Client,
  bucket: string,
  key: string,
  startedBefore: Date,
): Promise<number> {
  let aborted = 0;
  try {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: key,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key !== key || !upload.UploadId) continue;
        if (!upload.Initiated || upload.Initiated >= startedBefore) continue;
        if (await abortUpload(client, { bucket, key, uploadId: upload.UploadId })) aborted++;
      }
      const previous = `${keyMarker}|${uploadIdMarker}`;
      const more = page.IsTruncated === true;
      keyMarker = more ? page.NextKeyMarker : undefined;
      uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
      // A server repeating its markers would page forever.
      if (`${keyMarker}|${uploadIdMarker}` === previous) break;
    } while (keyMarker !== undefined);
  } catch {
    // Listing uploads is not essential to writing the object.
  }
  return aborted;
}
