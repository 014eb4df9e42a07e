import type { onSendAsyncHookHandler } from 'fastify';

/**
 * Response headers that keep a browser from doing with our answers what we never meant: guessing
 * a JSON body is HTML (nosniff), framing the page (clickjacking), sending our URLs (which may carry
 * a key in the page's #fragment-less links) to other sites, or caching a key's data on disk.
 * The web page gets the same Content-Security-Policy as its `<meta>` tag, plus `frame-ancestors`,
 * which only a header can set; API answers get one that allows nothing at all.
 */

/** The page's policy (src/api/web/index.html), and no framing. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; worker-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** JSON, CSV, Parquet: nothing in them may load or run anything. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

const COMMON: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Adds the security headers to every response (errors included). */
export const securityHeaders: onSendAsyncHookHandler<unknown> = async (request, reply, payload) => {
  const api = request.url.startsWith('/v1/') || request.url.startsWith('/openapi.json');
  for (const [name, value] of Object.entries(COMMON)) {
    if (!reply.hasHeader(name)) void reply.header(name, value);
  }
  void reply.header('content-security-policy', api ? API_CSP : PAGE_CSP);
  // Data of a key is for that key's eyes: no shared or disk cache keeps it.
  if (api && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  return payload;
};
