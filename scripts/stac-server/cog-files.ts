import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Serves COG files the way S3 does for a single byte range: 206 with Content-Range for
 * `Range: bytes=a-b`, `a-` or `-n`; 416 when the range starts past the end; 200 with the whole file
 * otherwise (several ranges in one header are ignored likewise, as S3 does); HEAD answers headers
 * only.
 */
export const COG_CONTENT_TYPE = 'image/tiff; application=geotiff; profile=cloud-optimized';

/** What was sent, for the request log. */
export interface Served {
  status: number;
  bytes: number;
}

type RangeAnswer =
  | { kind: 'whole' }
  | { kind: 'part'; start: number; end: number }
  | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return { kind: 'whole' };
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Malformed or multi-range headers are ignored (RFC 9110 § 14.2 allows it).
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'whole' };
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Number(match[2]);
  if (end < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end: Math.min(end, size - 1) };
}

/** The file below one of `cogDirs` that `relativePath` names, or null (never outside them). */
export async function findCogFile(
  cogDirs: readonly string[],
  relativePath: string,
): Promise<string | null> {
  const parts = relativePath.split('/');
  if (
    parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))
  )
    return null;
  for (const dir of cogDirs) {
    const file = resolve(join(dir, ...parts));
    if (!file.startsWith(resolve(dir) + sep)) continue;
    const info = await stat(file).catch(() => null);
    if (info?.isFile()) return file;
  }
  return null;
}

/**
 * Answers `request` with `file`. `onAnswer` learns the status and body length as soon as the
 * headers go out, before the body streams, so a request log is complete when the client has read.
 */
export async function serveFile(
  file: string,
  request: IncomingMessage,
  response: ServerResponse,
  onAnswer: (served: Served) => void,
): Promise<void> {
  const info = await stat(file);
  const size = info.size;
  const range = parseRange(request.headers.range, size);
  response.setHeader('Accept-Ranges', 'bytes');
  response.setHeader('Content-Type', COG_CONTENT_TYPE);
  response.setHeader('ETag', `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`);
  response.setHeader('Last-Modified', info.mtime.toUTCString());
  if (range.kind === 'unsatisfiable') {
    onAnswer({ status: 416, bytes: 0 });
    response.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
    response.end();
    return;
  }
  const [start, end, status] =
    range.kind === 'part' ? [range.start, range.end, 206] : [0, size - 1, 200];
  const length = size === 0 ? 0 : end - start + 1;
  if (range.kind === 'part') response.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  const head = request.method === 'HEAD' || length === 0;
  onAnswer({ status, bytes: head ? 0 : length });
  response.writeHead(status, { 'Content-Length': length });
  if (head) {
    response.end();
    return;
  }
  await pipeline(createReadStream(file, { start, end }), response);
}
