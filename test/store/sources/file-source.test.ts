import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BadDataError } from '../../../src/core/errors';
import { FileSource } from '../../../src/store/sources/file-source';
import { tempDir } from '../../core/raster/gdal';

describe('FileSource', () => {
  const tmp = tempDir('parcelwatch-file-source-');
  const path = join(tmp.dir, 'bytes.bin');
  const content = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 13) % 256);
  before(() => writeFileSync(path, content));
  after(() => tmp.remove());

  it('reads the bytes at an offset and knows the file size', async () => {
    const source = new FileSource(path);
    try {
      assert.deepEqual(await source.fetch(1234, 500), content.subarray(1234, 1734));
      assert.equal(await source.size(), content.byteLength);
    } finally {
      await source.close();
    }
  });

  it('returns fewer bytes past the end, and none beyond it', async () => {
    const source = new FileSource(path);
    try {
      assert.deepEqual(await source.fetch(9_990, 100), content.subarray(9_990));
      assert.equal((await source.fetch(20_000, 100)).byteLength, 0);
    } finally {
      await source.close();
    }
  });

  it('accepts file:// URLs and names itself by one', () => {
    const source = new FileSource(pathToFileURL(path).href);
    assert.equal(source.path, path);
    assert.equal(source.url, pathToFileURL(path).href);
  });

  it('keeps one handle open between reads until closed', async () => {
    const copy = join(tmp.dir, 'deleted-later.bin');
    writeFileSync(copy, readFileSync(path));
    const source = new FileSource(copy);
    try {
      await source.fetch(0, 1);
      rmSync(copy);
      // The name is gone; only the handle opened by the first read can still read the bytes.
      assert.deepEqual(await source.fetch(100, 10), content.subarray(100, 110));
    } finally {
      await source.close();
    }
    await assert.rejects(source.fetch(0, 1), { name: 'BadDataError', code: 'SOURCE_MISSING' });
  });

  it('reports a missing file as BadDataError naming it', async () => {
    const missing = join(tmp.dir, 'nope.tif');
    await assert.rejects(new FileSource(missing).fetch(0, 10), (error: unknown) => {
      assert.ok(error instanceof BadDataError);
      assert.equal(error.code, 'SOURCE_MISSING');
      assert.ok(error.message.includes(missing));
      return true;
    });
  });

  it('stops before reading when the caller has aborted', async () => {
    const source = new FileSource(path);
    await assert.rejects(source.fetch(0, 10, { signal: AbortSignal.abort() }), {
      name: 'AbortError',
    });
    await source.close();
  });
});
