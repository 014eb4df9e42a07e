/**
 * A local node:http server whose answers a test scripts request by request, and which records
 * what it was asked: for HTTP and S3 sources against real sockets, without the internet.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  at: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

export interface ScriptedServer {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Answers request n with `handlers[n]`, and later requests with the last handler. */
export async function startScriptedServer(handlers: Handler[]): Promise<ScriptedServer> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const index = seen.length;
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      at: Date.now(),
    });
    handlers[Math.min(index, handlers.length - 1)](req, res, index);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `body` honouring `Range: bytes=a-b` as a conforming server does (206 / 416). */
export function serveRanges(body: Uint8Array): Handler {
  return (req, res) => {
    const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!match) {
      res.writeHead(200, { 'content-length': body.byteLength });
      res.end(body);
      return;
    }
    const start = Number(match[1]);
    if (start >= body.byteLength) {
      res.writeHead(416, { 'content-range': `bytes */${body.byteLength}` });
      res.end();
      return;
    }
    const end = Math.min(Number(match[2]), body.byteLength - 1);
    res.writeHead(206, {
      'content-range': `bytes ${start}-${end}/${body.byteLength}`,
      'content-length': end - start + 1,
    });
    res.end(body.subarray(start, end + 1));
  };
}

/** Answers with a status, headers and an optional body. */
export function answer(
  status: number,
  headers: Record<string, string> = {},
  body: string | Uint8Array = '',
): Handler {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

/** Never answers (until the server closes): for timeouts and aborts. */
export const hang: Handler = () => undefined;
