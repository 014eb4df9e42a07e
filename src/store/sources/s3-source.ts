/**
 * Byte ranges of an S3 object (`s3://bucket/key`) with GetObject + Range. The SDK retries
 * throttling, 5xx and network errors first; our retries come on top, then TransientError.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { BadDataError, BadInputError, ConfigError, TransientError } from '../../core/errors';
import { RangedSource } from './ranged-source';
import type { RetryPolicy } from './retry';

/** Region when none is configured; `followRegionRedirects` corrects it for buckets elsewhere. */
export const DEFAULT_S3_REGION = 'us-east-1';
/** Per request, as for HTTP: generous for a 16 MiB range, short enough to notice a dead link. */
export const DEFAULT_S3_TIMEOUT_MS = 60_000;
/** The SDK's own attempts per request (its standard retry mode, with backoff). */
const SDK_MAX_ATTEMPTS = 3;

export interface S3ConnectionOptions {
  region?: string;
  /** For S3-compatible servers (MinIO, versitygw) and tests. */
  endpoint?: string;
  /** Bucket in the path rather than the host name; most non-AWS servers need it. */
  forcePathStyle?: boolean;
  /** Explicit keys; without them the SDK's default chain (environment, profile, role) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Send unsigned requests, as for public buckets such as Earth Search's sentinel-cogs. */
  unsigned?: boolean;
  /** @default DEFAULT_S3_TIMEOUT_MS */
  timeoutMs?: number;
  /**
   * PEM file of CA certificates trusted for an https endpoint besides the system ones (a private
   * MinIO or S3 gateway signed by an in-house CA). @default AWS_CA_BUNDLE, as the AWS CLI reads it
   */
  caBundle?: string;
}

export interface S3SourceOptions extends S3ConnectionOptions {
  /** A shared client (connection pool); connection options are then ignored. */
  client?: S3Client;
  /** Our retries on top of the SDK's. @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
  /**
   * The caller's own reading of a failed request (e.g. the datalake's, whose 403 is a setting to
   * fix, not load); only the TransientErrors it returns are retried. @default provider objects' rules
   */
  classifyError?: (error: unknown, range: string) => Error;
}

/** Builds an S3 client from connection options. */
export function createS3Client(options: S3ConnectionOptions = {}): S3Client {
  const timeoutMs = options.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS;
  const config: S3ClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? DEFAULT_S3_REGION,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    followRegionRedirects: true,
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: {
      requestTimeout: timeoutMs,
      connectionTimeout: timeoutMs,
      ...s3TlsOptions(options.caBundle ?? process.env.AWS_CA_BUNDLE?.trim()),
    },
    credentials: options.credentials,
  };
  if (options.unsigned) {
    // No signature and no Authorization header: anonymous access. Empty keys stop the SDK from
    // searching the default credential chain.
    config.signer = { sign: async (request) => request };
    config.credentials = { accessKeyId: '', secretAccessKey: '' };
  }
  return new S3Client(config);
}

/**
 * The HTTPS agent options trusting `caBundle` (a PEM file) on top of Node's own CAs; none without
 * one. An unreadable file is a ConfigError naming it, at client creation rather than first use.
 */
export function s3TlsOptions(caBundle: string | undefined): { httpsAgent?: { ca: string[] } } {
  if (!caBundle) return {};
  let pem: string;
  try {
    pem = readFileSync(caBundle, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `AWS_CA_BUNDLE=${caBundle} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); point it at a PEM file of the CA certificates that signed the S3 endpoint`,
      { code: 'S3_TLS_INVALID', cause: error },
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(
      `AWS_CA_BUNDLE=${caBundle} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      { code: 'S3_TLS_INVALID' },
    );
  }
  return { httpsAgent: { ca: [...rootCertificates, pem] } };
}

/** Bucket and key of an `s3://bucket/key` URL. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) {
    throw new BadInputError(`"${url}" is not an S3 object URL; write it as s3://bucket/key`, {
      code: 'S3_BAD_URL',
    });
  }
  return { bucket: match[1], key: decodeURIComponent(match[2]) };
}

export class S3Source extends RangedSource {
  readonly bucket: string;
  readonly key: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly classifyError: ((error: unknown, range: string) => Error) | undefined;

  constructor(url: string, options: S3SourceOptions = {}) {
    super(url, options.retry);
    ({ bucket: this.bucket, key: this.key } = parseS3Url(url));
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createS3Client(options);
    this.classifyError = options.classifyError;
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  protected async attempt(
    offset: number,
    length: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const range = `bytes=${offset}-${offset + length - 1}`;
    try {
      const output = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: range }),
        { abortSignal: signal },
      );
      const total = /\/(\d+)$/.exec(output.ContentRange ?? '');
      if (total) this.knownSize = Number(total[1]);
      const body = output.Body ? await output.Body.transformToByteArray() : new Uint8Array(0);
      // An object smaller than the range comes back whole and unranged; keep the asked part.
      return output.ContentRange ? body : body.subarray(offset, offset + length);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (errorName(error) === 'InvalidRange') return new Uint8Array(0);
      throw this.classifyError ? this.classifyError(error, range) : this.classify(error, range);
    }
  }

  private classify(error: unknown, range: string): Error {
    const name = errorName(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata
      ?.httpStatusCode;
    const where = `S3 ${this.url}`;
    const detail = `${name}${status ? `, HTTP ${status}` : ''}: ${(error as Error)?.message ?? error}`;
    if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
      const what =
        name === 'NoSuchBucket' ? `bucket ${this.bucket} does not exist` : 'missing object';
      return new BadDataError(
        `${where}: ${what} (${name}); the item points to an object that does not exist — skip this asset or check the key`,
        {
          code: 'SOURCE_MISSING',
          cause: error,
        },
      );
    }
    if (CREDENTIAL_ERRORS.has(name)) {
      return new ConfigError(
        `${where}: the S3 credentials were rejected (${detail}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the configured keys), or use unsigned requests for a public bucket`,
        { code: 'S3_CREDENTIALS', cause: error },
      );
    }
    if (name === 'AccessDenied' || status === 403) {
      return new TransientError(
        `${where}: access denied on ${range} (${detail}); S3 answers 403 under load and for missing objects in public buckets — if it persists, check the key and the bucket policy`,
        { code: 'S3_ACCESS_DENIED', cause: error },
      );
    }
    if (status === undefined || status === 429 || status >= 500 || THROTTLING_ERRORS.has(name)) {
      return new TransientError(`${where}: ${range} failed (${detail})`, {
        code: 'S3_TRANSIENT',
        cause: error,
      });
    }
    return new BadDataError(`${where}: ${range} failed (${detail}); check the URL and the object`, {
      code: `S3_${name}`,
      cause: error,
    });
  }
}

/** Errors meaning the keys themselves are wrong: retrying cannot help. */
const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'CredentialsProviderError',
]);

const THROTTLING_ERRORS = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'TimeoutError',
]);

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? 'Error';
}
