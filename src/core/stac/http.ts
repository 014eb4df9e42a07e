import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BadDataError, BadInputError, TransientError } from '../errors';

/**
 * JSON over HTTP for the STAC client: a timeout per attempt, a few retries with exponential
 * backoff and jitter on network errors, 429 and 5xx (honouring `Retry-After`), then a
 * TransientError so the Temporal activity retries later. Other 4xx fail at once: retrying a
 * request the server refuses cannot help.
 */

/** Earth Search answers a 100-item page in 1–3 s; 30 s only trips on a hung connection. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Rides out a blip (≈ 0.5 + 1 + 2 s of backoff); longer outages are the activity retry's job. */
export const MAX_ATTEMPTS = 4;
/** First backoff; doubles per attempt. */
export const BASE_DELAY_MS = 500;
/** Cap on one backoff wait. */
export const MAX_DELAY_MS = 8_000;
/** A longer `Retry-After` is handed to Temporal (as `retryAfterMs`) rather than waited for here. */
export const MAX_RETRY_AFTER_MS = 30_000;
/** How much of a server's error text goes into our message. */
const MAX_MESSAGE_CHARS = 300;
/**
 * Largest answer read: a page of 100 Earth Search items is 1–2 MB. A server streaming without end
 * (or a proxy's error page of a video) would otherwise fill the worker's memory.
 */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  /** @default globalThis.fetch */
  fetch: FetchLike;
  /** Waits between attempts; tests pass a recorder that returns at once. */
  sleep: (ms: number) => Promise<void>;
  /** Uniform [0, 1) for jitter. @default Math.random */
  random: () => number;
  /** Clock for HTTP-date `Retry-After`. @default Date.now */
  now: () => number;
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  /** @default MAX_RESPONSE_BYTES */
  maxResponseBytes: number;
  headers: Record<string, string>;
}

export const defaultHttpOptions = (): HttpOptions => ({
  fetch: (url, init) => globalThis.fetch(url, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
  timeoutMs: REQUEST_TIMEOUT_MS,
  maxAttempts: MAX_ATTEMPTS,
  baseDelayMs: BASE_DELAY_MS,
  maxDelayMs: MAX_DELAY_MS,
  maxRetryAfterMs: MAX_RETRY_AFTER_MS,
  maxResponseBytes: MAX_RESPONSE_BYTES,
  headers: {},
});

export interface JsonRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Cancels the request and any wait between attempts (e.g. a cancelled activity). */
  signal?: AbortSignal;
}

/** A failed attempt that may succeed later. */
interface RetryableFailure {
  code: string;
  detail: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/** Sends `request` and returns its parsed JSON body. */
export async function requestJson(request: JsonRequest, options: HttpOptions): Promise<unknown> {
  const what = `STAC API ${request.method} ${request.url}`;
  let failure: RetryableFailure | undefined;
  let attempts = 0;
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    request.signal?.throwIfAborted();
    attempts = attempt;
    const outcome = await tracedAttempt(request, attempt, () =>
      attemptOnce(request, options, what),
    );
    if (!('code' in outcome)) return outcome.json;
    failure = outcome;
    if (failure.retryAfterMs !== undefined && failure.retryAfterMs > options.maxRetryAfterMs) break;
    if (attempt < options.maxAttempts) {
      await options.sleep(failure.retryAfterMs ?? backoffMs(attempt, options));
    }
  }
  throw new TransientError(
    `${what} failed after ${attempts} attempt(s): ${failure!.detail}; the server or network is having trouble — the run will retry later`,
    { code: failure!.code, cause: failure!.cause, retryAfterMs: failure!.retryAfterMs },
  );
}

async function attemptOnce(
  request: JsonRequest,
  options: HttpOptions,
  what: string,
): Promise<{ json: unknown } | RetryableFailure> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
  const signal = request.signal
    ? AbortSignal.any([timeout.signal, request.signal])
    : timeout.signal;
  let status: number;
  let text: string;
  let headers: Headers;
  try {
    const response = await options.fetch(request.url, {
      method: request.method,
      headers: {
        accept: 'application/geo+json, application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
        ...request.headers,
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal,
    });
    status = response.status;
    trace.getActiveSpan()?.setAttribute('http.response.status_code', status);
    headers = response.headers;
    text = await readText(response, options.maxResponseBytes, timeout, what);
  } catch (error) {
    request.signal?.throwIfAborted();
    if (error instanceof BadDataError) throw error;
    return timeout.signal.aborted
      ? { code: 'STAC_TIMEOUT', detail: `no answer within ${options.timeoutMs} ms`, cause: error }
      : { code: 'STAC_NETWORK', detail: `network error (${describe(error)})`, cause: error };
  } finally {
    clearTimeout(timer);
  }

  // Earth Search answers 403 as well as 429 when under load, so 403 is retried like 429; a 403
  // that persists ends as a TransientError whose message says access may be refused.
  if (status === 429 || status === 403 || status >= 500) {
    return {
      code: `STAC_HTTP_${status}`,
      detail: `HTTP ${status}${serverMessage(text)}${status === 403 ? ' (a 403 that persists means access is refused; check STAC_API_URL)' : ''}`,
      retryAfterMs: parseRetryAfter(headers.get('retry-after'), options.now()),
    };
  }
  if (status < 200 || status >= 300) {
    throw new BadInputError(
      `${what} answered HTTP ${status}${serverMessage(text)}; ${hintFor(status)} — retrying will not help`,
      { code: `STAC_HTTP_${status}` },
    );
  }
  try {
    return { json: JSON.parse(text) };
  } catch (error) {
    // Valid JSON is taken whatever its declared type; when it is not JSON, the type says why.
    const type = headers.get('content-type')?.split(';')[0]?.trim();
    if (type && !/json/i.test(type)) {
      throw new BadDataError(
        `${what} answered HTTP ${status} with ${type}, not JSON (starts with ${JSON.stringify(text.slice(0, 80))}); a proxy or a web page answered instead of the STAC API — check STAC_API_URL`,
        { code: 'STAC_NOT_JSON', cause: error },
      );
    }
    throw new BadDataError(
      `${what} answered HTTP ${status} with malformed JSON (${describe(error)}; starts with ${JSON.stringify(text.slice(0, 80))}); the server is misbehaving — check STAC_API_URL points at a STAC API`,
      { code: 'STAC_BAD_JSON', cause: error },
    );
  }
}

/** The body as text, refusing one longer than `maxBytes` (declared or streamed) without reading on. */
async function readText(
  response: Response,
  maxBytes: number,
  timeout: AbortController,
  what: string,
): Promise<string> {
  const tooLarge = (size: string) => {
    timeout.abort();
    return new BadDataError(
      `${what} answered ${size}, more than the ${maxBytes} bytes a STAC page may take; the server is misbehaving — narrow the search or check STAC_API_URL`,
      { code: 'STAC_TOO_LARGE' },
    );
  };
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(`${declared} bytes`);
  if (!response.body) return response.text();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(`over ${total} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One attempt as an HTTP client span (OpenTelemetry semantic conventions; a no-op unless the
 * process set up an SDK), so a trace shows every try, its status and why it failed.
 */
function tracedAttempt(
  request: JsonRequest,
  attempt: number,
  send: () => Promise<{ json: unknown } | RetryableFailure>,
): Promise<{ json: unknown } | RetryableFailure> {
  let url: URL | undefined;
  try {
    url = new URL(request.url);
  } catch {
    // fetch reports the bad URL itself.
  }
  // Item ids would make one span name per item; the template keeps names few.
  const template = url?.pathname.replace(/\/items\/[^/]+/, '/items/{itemId}');
  const attributes = {
    'http.request.method': request.method,
    // Without the query: paging tokens and filters make it long and it may carry keys.
    'url.full': url ? `${url.origin}${url.pathname}` : request.url,
    ...(template ? { 'url.template': template } : {}),
    ...(url ? { 'server.address': url.hostname, 'server.port': serverPort(url) } : {}),
    ...(attempt > 1 ? { 'http.request.resend_count': attempt - 1 } : {}),
  };
  const name = template ? `${request.method} ${template}` : request.method;
  const failed = (span: Span, type: string, message: string) => {
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  };
  return trace
    .getTracer('parcelwatch')
    .startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        const outcome = await send();
        if ('code' in outcome) failed(span, outcome.code, outcome.detail);
        return outcome;
      } catch (error) {
        failed(span, (error as { code?: string }).code ?? 'Error', describe(error));
        throw error;
      } finally {
        span.end();
      }
    });
}

function serverPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** `Retry-After` as delay-seconds or HTTP-date, in milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const dateMs = Date.parse(text);
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs);
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, so waits never collapse to 0. */
export function backoffMs(
  attempt: number,
  options: Pick<HttpOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return step / 2 + options.random() * (step / 2);
}

/** `: "<the server's message>"`, from a JSON error body (`description`, `detail`, ...) or plain text. */
function serverMessage(text: string): string {
  let message = text.trim();
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null) {
      const record = body as Record<string, unknown>;
      const field = ['description', 'detail', 'message', 'title', 'code'].find(
        (key) => record[key] !== undefined,
      );
      if (field) {
        const value = record[field];
        message = typeof value === 'string' ? value : JSON.stringify(value);
      }
    }
  } catch {
    // Not JSON: the text itself is the message.
  }
  if (!message) return '';
  const short =
    message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
  return `: ${JSON.stringify(short)}`;
}

function hintFor(status: number): string {
  if (status === 400 || status === 422) {
    return 'the server rejected the search parameters (collection, bbox, datetime, filter)';
  }
  if (status === 401) return 'the server refuses access; check STAC_API_URL';
  if (status === 404) return 'no such resource; check STAC_API_URL and the collection name';
  return 'the request is not acceptable to this server';
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
