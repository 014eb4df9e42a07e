import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadDataError, TransientError } from '../../../src/core/errors';
import { openCog, readWindow } from '../../../src/core/raster/cog-reader';
import { FileSource } from '../../../src/store/sources/file-source';
import { HttpSource } from '../../../src/store/sources/http-source';
import { FIXTURES } from '../../core/raster/gdal';
import {
  answer,
  hang,
  type ScriptedServer,
  serveRanges,
  startScriptedServer,
} from './scripted-server';

const BODY = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 251);
/** Retries without waiting: the tests count attempts, they do not measure backoff. */
const FAST_RETRY = { retries: 2, baseDelayMs: 1, maxDelayMs: 1 };

describe('HttpSource', () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const start = async (...handlers: Parameters<typeof startScriptedServer>[0]) => {
    server = await startScriptedServer(handlers);
    return `${server.url}/B04.tif`;
  };

  it('reads a range with a Range header and learns the size from Content-Range', async () => {
    const source = new HttpSource(await start(serveRanges(BODY)));
    const bytes = await source.fetch(1000, 300);
    assert.deepEqual(bytes, BODY.subarray(1000, 1300));
    assert.equal(server?.seen[0].headers.range, 'bytes=1000-1299');
    assert.equal(server?.seen[0].headers['accept-encoding'], 'identity');
    assert.equal(await source.size(), BODY.byteLength);
  });

  it('returns fewer bytes for a range running past the end, none for one starting past it', async () => {
    const source = new HttpSource(await start(serveRanges(BODY)));
    assert.deepEqual(await source.fetch(4900, 300), BODY.subarray(4900));
    assert.equal((await source.fetch(6000, 10)).byteLength, 0);
  });

  it('uses the slice of a small whole body when the server ignores Range', async () => {
    const source = new HttpSource(await start(answer(200, {}, BODY)));
    const bytes = await source.fetch(10, 20);
    assert.deepEqual(bytes, BODY.subarray(10, 30));
    assert.equal(await source.size(), BODY.byteLength);
  });

  it('refuses a large whole body from a server that ignores Range', async () => {
    const url = await start((_req, res) => {
      res.writeHead(200, { 'content-length': BODY.byteLength });
      res.end(BODY);
    });
    const source = new HttpSource(url, { maxFullBodyBytes: 1000 });
    await assert.rejects(source.fetch(0, 100), (error: unknown) => {
      assert.ok(error instanceof BadDataError);
      assert.equal(error.code, 'HTTP_RANGE_IGNORED');
      assert.ok(error.message.includes(url));
      return true;
    });
  });

  it('refuses a 206 whose Content-Range is not the range asked', async () => {
    const url = await start(answer(206, { 'content-range': 'bytes 0-9/5000' }, 'x'.repeat(10)));
    await assert.rejects(new HttpSource(url).fetch(100, 10), {
      name: 'BadDataError',
      code: 'HTTP_BAD_RANGE',
    });
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    const url = await start(answer(429, { 'retry-after': '1' }), serveRanges(BODY));
    const bytes = await new HttpSource(url, { retry: FAST_RETRY }).fetch(0, 10);
    assert.deepEqual(bytes, BODY.subarray(0, 10));
    const [first, second] = server!.seen;
    assert.ok(second.at - first.at >= 950, `retried after ${second.at - first.at} ms, not ~1000`);
  });

  it('hands back a Retry-After too long to wait as a TransientError carrying it', async () => {
    const url = await start(answer(429, { 'retry-after': '120' }));
    await assert.rejects(
      new HttpSource(url, { retry: FAST_RETRY }).fetch(0, 10),
      (error: unknown) => {
        assert.ok(error instanceof TransientError);
        assert.equal(error.retryAfterMs, 120_000);
        assert.equal(server?.seen.length, 1);
        return true;
      },
    );
  });

  it('retries a 503 and returns the bytes of the next answer', async () => {
    const url = await start(answer(503), serveRanges(BODY));
    const bytes = await new HttpSource(url, { retry: FAST_RETRY }).fetch(20, 5);
    assert.deepEqual(bytes, BODY.subarray(20, 25));
    assert.equal(server?.seen.length, 2);
  });

  it('retries 403 (S3 under load) and gives up with a TransientError after the last attempt', async () => {
    const url = await start(answer(403));
    await assert.rejects(
      new HttpSource(url, { retry: FAST_RETRY }).fetch(0, 10),
      (error: unknown) => {
        assert.ok(error instanceof TransientError);
        assert.equal(error.code, 'HTTP_403');
        assert.match(error.message, /403.*gave up after 3 attempts/);
        return true;
      },
    );
    assert.equal(server?.seen.length, 3);
  });

  it('reports 404 as a missing object at once, without retrying', async () => {
    const url = await start(answer(404));
    await assert.rejects(
      new HttpSource(url, { retry: FAST_RETRY }).fetch(0, 10),
      (error: unknown) => {
        assert.ok(error instanceof BadDataError);
        assert.equal(error.code, 'SOURCE_MISSING');
        assert.match(error.message, /missing object/);
        assert.ok(error.message.includes(url));
        return true;
      },
    );
    assert.equal(server?.seen.length, 1);
  });

  it('times out a request that gets no answer, as a TransientError', async () => {
    const url = await start(hang);
    const source = new HttpSource(url, { timeoutMs: 200, retry: { retries: 0 } });
    await assert.rejects(source.fetch(0, 10), { name: 'TransientError', code: 'HTTP_TIMEOUT' });
  });

  it('stops when the caller aborts, without retrying', async () => {
    const url = await start(hang);
    const controller = new AbortController();
    const pending = new HttpSource(url, { retry: FAST_RETRY }).fetch(0, 10, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending, { name: 'AbortError' });
    assert.equal(server?.seen.length, 1);
  });

  it('reports a refused connection as a TransientError', async () => {
    const url = await start(hang);
    await server?.close();
    server = undefined;
    await assert.rejects(new HttpSource(url, { retry: { retries: 0 } }).fetch(0, 10), {
      name: 'TransientError',
      code: 'HTTP_NETWORK',
    });
  });

  it('serves openCog: pixels over HTTP equal pixels from the file', async () => {
    const path = join(FIXTURES, 'B11.tif');
    const url = await start(serveRanges(readFileSync(path)));
    const window = { col: 100, row: 400, width: 300, height: 149 };
    const overHttp = await readWindow(await openCog(new HttpSource(url)), window);
    const file = new FileSource(path);
    const fromFile = await readWindow(await openCog(file), window);
    await file.close();
    assert.deepEqual(overHttp, fromFile);
    // The window covers tiles 0 and 2 (left column), stored back to back: one request for both.
    assert.equal(server?.seen.length, 2, 'one header request, one for the two tiles');
  });
});
