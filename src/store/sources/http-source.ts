/**
 * Byte ranges over HTTP(S) with `Range: bytes=a-b`. Checks that the server honoured the range,
 * retries what is transient (network, timeout, 429, 5xx, and 403 — Earth Search's S3 answers 403
 * under load), and turns the rest into errors that say what to do.
 */
import { BadDataError, TransientError } from '../../core/errors';
import { RangedSource } from './ranged-source';
import { parseRetryAfter, type RetryPolicy } from './retry';

/** Per attempt, headers and body: a 16 MiB range arrives well within it on a slow link. */
export const DEFAULT_HTTP_TIMEOUT_MS = 60_000;
/**
 * A server that ignores Range sends the whole file; we accept that up to this size (a small
 * file read whole costs little), beyond it reading whole files per tile would be ruinous.
 */
export const DEFAULT_MAX_FULL_BODY_BYTES = 8 * 1024 * 1024;

export interface HttpSourceOptions {
  /** Extra request headers (e.g. an API key). */
  headers?: Record<string, string>;
  /** @default DEFAULT_HTTP_TIMEOUT_MS */
  timeoutMs?: number;
  /** @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
  /** @default DEFAULT_MAX_FULL_BODY_BYTES */
  maxFullBodyBytes?: number;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;
const UNSATISFIED_RANGE = /^bytes \*\/(\d+)$/;

export class HttpSource extends RangedSource {
  private readonly timeoutMs: number;
  private readonly maxFullBodyBytes: number;

  constructor(
    url: string,
    private readonly options: HttpSourceOptions = {},
  ) {
    super(url, options.retry);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    this.maxFullBodyBytes = options.maxFullBodyBytes ?? DEFAULT_MAX_FULL_BODY_BYTES;
  }

  async close(): Promise<void> {
    // fetch's connection pool is global; nothing to release per source.
  }

  protected async attempt(
    offset: number,
    length: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const range = `bytes=${offset}-${offset + length - 1}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await fetch(this.url, {
        // fetch adds Accept-Encoding: identity to ranged requests itself (Fetch standard), so
        // Content-Range and the body count the same, unencoded bytes.
        headers: { ...this.options.headers, Range: range },
        signal: combined,
      });
      return await this.read(response, offset, length, range);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new TransientError(
          `HTTP ${this.url}: no complete answer to ${range} within ${this.timeoutMs} ms`,
          {
            code: 'HTTP_TIMEOUT',
            cause: error,
          },
        );
      }
      if (error instanceof BadDataError || error instanceof TransientError) throw error;
      throw new TransientError(`HTTP ${this.url}: network error on ${range} (${describe(error)})`, {
        code: 'HTTP_NETWORK',
        cause: error,
      });
    }
  }

  private async read(
    response: Response,
    offset: number,
    length: number,
    range: string,
  ): Promise<Uint8Array> {
    const { status } = response;
    if (status === 206) {
      const match = CONTENT_RANGE.exec(response.headers.get('content-range') ?? '');
      if (!match || Number(match[1]) !== offset || Number(match[2]) > offset + length - 1) {
        await response.body?.cancel();
        throw new BadDataError(
          `HTTP ${this.url}: asked ${range}, server answered Content-Range "${response.headers.get('content-range')}"; the server or a proxy mangles ranges — read the file from another host`,
          { code: 'HTTP_BAD_RANGE' },
        );
      }
      if (match[3] !== '*') this.knownSize = Number(match[3]);
      const expected = Number(match[2]) - offset + 1;
      const body = new Uint8Array(await response.arrayBuffer());
      if (body.byteLength !== expected) {
        throw new TransientError(
          `HTTP ${this.url}: ${range} ended after ${body.byteLength} of ${expected} bytes`,
          {
            code: 'HTTP_SHORT_BODY',
          },
        );
      }
      return body;
    }
    if (status === 200) return this.readIgnoredRange(response, offset, length);
    await response.body?.cancel();
    if (status === 416) {
      // The range starts at or past the end: no bytes, as ByteSource promises.
      const match = UNSATISFIED_RANGE.exec(response.headers.get('content-range') ?? '');
      if (match) this.knownSize = Number(match[1]);
      return new Uint8Array(0);
    }
    if (status === 404 || status === 410) {
      throw new BadDataError(
        `HTTP ${this.url}: missing object (HTTP ${status}); the item points to a file that does not exist — skip this asset or search again`,
        { code: 'SOURCE_MISSING' },
      );
    }
    if (status === 429 || status === 403 || status >= 500) {
      const why =
        status === 403
          ? 'S3 answers 403 under load and for objects that do not exist'
          : status === 429
            ? 'the server asks us to slow down'
            : 'the server failed';
      throw new TransientError(
        `HTTP ${this.url}: ${status} ${response.statusText} on ${range} (${why})`,
        {
          code: `HTTP_${status}`,
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        },
      );
    }
    throw new BadDataError(
      `HTTP ${this.url}: unexpected ${status} ${response.statusText} on ${range}; check the URL`,
      {
        code: `HTTP_${status}`,
      },
    );
  }

  /** 200 to a Range request: the whole file. Use it when small, refuse it when large. */
  private async readIgnoredRange(
    response: Response,
    offset: number,
    length: number,
  ): Promise<Uint8Array> {
    const refuse = (size: string) =>
      new BadDataError(
        `HTTP ${this.url}: the server ignores Range requests and sends the whole file (${size}); serve it from a host that supports ranges (S3, nginx) or copy it locally`,
        { code: 'HTTP_RANGE_IGNORED' },
      );
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > this.maxFullBodyBytes) {
      await response.body?.cancel();
      throw refuse(`${declared} bytes`);
    }
    const body = await readCapped(response, this.maxFullBodyBytes);
    if (body === undefined) throw refuse(`more than ${this.maxFullBodyBytes} bytes`);
    this.knownSize = body.byteLength;
    return body.subarray(
      Math.min(offset, body.byteLength),
      Math.min(offset + length, body.byteLength),
    );
  }
}

/** The body, or undefined (and the stream cancelled) once it passes `cap` bytes. */
async function readCapped(response: Response, cap: number): Promise<Uint8Array | undefined> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.byteLength;
  }
  return body;
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}
