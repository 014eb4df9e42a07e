/**
 * What an S3 failure means for the datalake, as one of our typed errors: settings a person must fix
 * (credentials, bucket, region, permissions) are ConfigErrors naming DATALAKE_URL and the variable
 * to change; a missing object is a BadDataError; network failures, throttling and 5xx are
 * TransientErrors, raised once the SDK's own retries are spent (activities retry further).
 */
import { BadDataError, ConfigError, TransientError } from '../../core/errors';

/** Where the failure happened, for the message. */
export interface S3DatalakeContext {
  /** `s3://bucket/prefix`. */
  url: string;
  bucket: string;
  /** A custom endpoint, when one is configured. */
  endpoint?: string;
}

/** The keys themselves are wrong, or there are none: retrying cannot help. */
const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);

/** The request went to the wrong region or the bucket name is unusable. */
const LOCATION_ERRORS = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
  'InvalidBucketName',
]);

const THROTTLING_ERRORS = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
  // A multipart upload aborted under us (a concurrent cleanup): the next attempt starts a new one.
  'NoSuchUpload',
]);

const CREDENTIAL_VARIABLES =
  'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE';

export function s3ErrorName(error: unknown): string {
  return (error as { name?: string })?.name ?? 'Error';
}

export function s3HttpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** True for "no such object" answers (GetObject's NoSuchKey, HeadObject's bodiless 404). */
export function isMissingObject(error: unknown): boolean {
  const name = s3ErrorName(error);
  return name === 'NoSuchKey' || name === 'NotFound' || s3HttpStatus(error) === 404;
}

/**
 * The typed error for an S3 failure while doing `action` (`write`, `read`, …) on `key`
 * (relative to the datalake; undefined for the datalake as a whole).
 */
export function datalakeS3Error(
  where: S3DatalakeContext,
  action: string,
  key: string | undefined,
  error: unknown,
): Error {
  const name = s3ErrorName(error);
  const status = s3HttpStatus(error);
  const code = (error as { code?: string })?.code;
  // HEAD answers have no body, hence no S3 error code: the SDK calls them Unknown.
  const detail =
    name === 'Unknown' && status
      ? `HTTP ${status} without an error code`
      : `${name}${code && code !== name ? ` ${code}` : ''}${status ? `, HTTP ${status}` : ''}: ${(error as Error)?.message ?? error}`;
  const setting = `DATALAKE_URL=${where.url}`;
  const target = key === undefined ? '' : ` ${key}`;
  const server = where.endpoint ? `the S3 server at ${where.endpoint}` : 'AWS S3';
  if (name === 'CredentialsProviderError') {
    return new ConfigError(
      `${setting}: no AWS credentials found to ${action}${target} (${detail}); set ${CREDENTIAL_VARIABLES}, or run where an IAM role is available`,
      { code: 'DATALAKE_S3_NO_CREDENTIALS', cause: error },
    );
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new ConfigError(
      `${setting}: ${server} rejected the credentials while trying to ${action}${target} (${detail}); check ${CREDENTIAL_VARIABLES}`,
      { code: 'DATALAKE_S3_CREDENTIALS', cause: error },
    );
  }
  if (name === 'NoSuchBucket') {
    return new ConfigError(
      `${setting}: the bucket ${where.bucket} does not exist on ${server}; create it (e.g. \`aws s3 mb s3://${where.bucket}${where.endpoint ? ` --endpoint-url ${where.endpoint}` : ''}\`) or point DATALAKE_URL at an existing bucket`,
      { code: 'DATALAKE_S3_NO_BUCKET', cause: error },
    );
  }
  if (LOCATION_ERRORS.has(name) || status === 301) {
    return new ConfigError(
      `${setting}: ${server} refused the bucket ${where.bucket} (${detail}); check the bucket name, AWS_REGION and S3_ENDPOINT`,
      { code: 'DATALAKE_S3_LOCATION', cause: error },
    );
  }
  if (isMissingObject(error)) {
    return new BadDataError(
      `datalake ${where.url}: cannot ${action}${target}: no such object; re-run the step that writes it (downloadScene for raw/, maskScene for clean/)`,
      { code: 'DATALAKE_MISSING', cause: error },
    );
  }
  // Our own bucket, signed requests: a 403 is a policy or a wrong secret (HEAD answers carry no
  // code to tell them apart), never load.
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    return new ConfigError(
      `${setting}: ${server} refused to ${action}${target} (${detail}); check ${CREDENTIAL_VARIABLES}, and that they may s3:ListBucket on ${where.bucket} and s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload under the prefix`,
      { code: 'DATALAKE_S3_ACCESS_DENIED', cause: error },
    );
  }
  if (
    status === undefined ||
    status === 408 ||
    status === 429 ||
    status >= 500 ||
    THROTTLING_ERRORS.has(name)
  ) {
    return new TransientError(
      `datalake ${where.url}: cannot ${action}${target}: ${server} failed or could not be reached (${detail})`,
      { code: 'DATALAKE_S3_TRANSIENT', cause: error },
    );
  }
  return new BadDataError(
    `datalake ${where.url}: cannot ${action}${target} (${detail}); ${server} refused the request — check that it supports this S3 operation`,
    { code: `DATALAKE_S3_${name}`, cause: error },
  );
}
