import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openCog, readWindow } from '../../../src/core/raster/cog-reader';
import type { Datalake, DatalakeObject } from '../../../src/store/datalake/datalake';
import { FileDatalake, STALE_PARTIAL_MS } from '../../../src/store/datalake/file-datalake';
import { FIXTURES, tempDir } from '../../core/raster/gdal';

async function listAll(lake: Datalake, prefix: string): Promise<DatalakeObject[]> {
  const out: DatalakeObject[] = [];
  for await (const object of lake.list(prefix)) out.push(object);
  return out;
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * seed) % 251);

describe('FileDatalake', () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  let lake: FileDatalake;
  let counter = 0;

  beforeEach(() => {
    tmp = tempDir('parcelwatch-lake-');
    root = join(tmp.dir, `lake-${counter++}`);
    lake = new FileDatalake(root);
  });
  afterEach(() => tmp.remove());

  it('stores an object under its key and returns the same bytes, size and existence', async () => {
    const content = bytes(10_000, 7);
    await lake.put('raw/29RKH/2020-02-19/S/g3/B04.tif', content);
    assert.deepEqual(await lake.get('raw/29RKH/2020-02-19/S/g3/B04.tif'), content);
    assert.equal(await lake.size('raw/29RKH/2020-02-19/S/g3/B04.tif'), 10_000);
    assert.equal(await lake.exists('raw/29RKH/2020-02-19/S/g3/B04.tif'), true);
    assert.ok(existsSync(join(root, 'raw', '29RKH', '2020-02-19', 'S', 'g3', 'B04.tif')));
    assert.equal(lake.url, pathToFileURL(root).href);
  });

  it('replaces an object written again under the same key, leaving no temporary file', async () => {
    await lake.put('a/b.tif', bytes(5000, 3));
    await lake.put('a/b.tif', bytes(300, 5));
    assert.deepEqual(await lake.get('a/b.tif'), bytes(300, 5));
    assert.deepEqual(readdirSync(join(root, 'a')), ['b.tif']);
  });

  it('says an object is missing with a BadDataError naming the key, and reports no size', async () => {
    await assert.rejects(
      lake.get('raw/x/B04.tif'),
      (error: Error & { code?: string }) =>
        error.name === 'BadDataError' &&
        error.code === 'DATALAKE_MISSING' &&
        error.message.includes('raw/x/B04.tif'),
    );
    assert.equal(await lake.size('raw/x/B04.tif'), undefined);
    assert.equal(await lake.exists('raw/x/B04.tif'), false);
    await lake.put('raw/x', bytes(3));
    // A key "under" an object is not an object either.
    assert.equal(await lake.exists('raw/x/B04.tif'), false);
    assert.equal(await lake.exists('raw'), false, 'a folder is not an object');
  });

  it('serves ranged reads of an object to the COG reader', async () => {
    const cogBytes = readFileSync(join(FIXTURES, 'SCL.tif'));
    await lake.put('raw/29RKH/2020-02-19/S/g0/SCL.tif', cogBytes);
    const source = lake.source('raw/29RKH/2020-02-19/S/g0/SCL.tif');
    try {
      assert.deepEqual(await source.fetch(100, 50), new Uint8Array(cogBytes.subarray(100, 150)));
      assert.equal(await source.size?.(), cogBytes.byteLength);
      const cog = await openCog(source);
      assert.equal(cog.width, 549);
      const window = await readWindow(cog, { col: 10, row: 10, width: 2, height: 1 });
      assert.ok(window.every((v) => v >= 0 && v <= 11));
    } finally {
      await source.close();
    }
  });

  it('lists objects under a prefix in key order with size and time, skipping temporary and hidden files', async () => {
    const before = Date.now() - 1000;
    for (const key of ['a/x', 'a-b/x', 'a.b', 'raw/29RKH/k1', 'raw/29RKX/k2', 'raw/30AAA/k3']) {
      await lake.put(key, bytes(key.length));
    }
    writeFileSync(join(root, 'raw', '29RKH', '.k9.123.abcd.partial'), 'half');
    writeFileSync(join(root, '.hidden'), 'x');
    const all = await listAll(lake, '');
    // S3 order: '-' (0x2d) < '.' (0x2e) < '/' (0x2f).
    assert.deepEqual(
      all.map((o) => o.key),
      ['a-b/x', 'a.b', 'a/x', 'raw/29RKH/k1', 'raw/29RKX/k2', 'raw/30AAA/k3'],
    );
    for (const object of all) {
      assert.equal(object.size, object.key.length);
      assert.ok(
        object.modified.getTime() >= before && object.modified.getTime() <= Date.now() + 1000,
      );
    }
    assert.deepEqual(
      (await listAll(lake, 'raw/29R')).map((o) => o.key),
      ['raw/29RKH/k1', 'raw/29RKX/k2'],
    );
    assert.deepEqual(
      (await listAll(lake, 'raw/29RKH/')).map((o) => o.key),
      ['raw/29RKH/k1'],
    );
    assert.deepEqual(await listAll(lake, 'clean/'), []);
    assert.deepEqual(await listAll(new FileDatalake(join(tmp.dir, 'none')), ''), []);
  });

  it('deletes the existing objects among the keys, counts them, and removes folders left empty', async () => {
    await lake.put('raw/t/d/s/g1/B04.tif', bytes(10));
    await lake.put('raw/t/d/s/g1/B08.tif', bytes(10));
    await lake.put('raw/t/d/s/g2/B04.tif', bytes(10));
    const deleted = await lake.delete([
      'raw/t/d/s/g1/B04.tif',
      'raw/t/d/s/g1/B08.tif',
      'raw/t/d/s/g1/B11.tif',
    ]);
    assert.equal(deleted, 2);
    assert.equal(existsSync(join(root, 'raw', 't', 'd', 's', 'g1')), false);
    assert.deepEqual(
      (await listAll(lake, '')).map((o) => o.key),
      ['raw/t/d/s/g2/B04.tif'],
    );
    assert.equal(await lake.delete(['raw/t/d/s/g2/B04.tif']), 1);
    assert.ok(existsSync(root), 'the root stays');
    assert.deepEqual(readdirSync(root), []);
  });

  it('refuses every key that could leave the root, before touching anything', async () => {
    await lake.put('keep/me', bytes(4));
    const outside = join(tmp.dir, 'escaped');
    for (const key of ['../escaped', '/tmp/escaped', 'a/../../escaped', '..', 'a\\..\\..\\x']) {
      await assert.rejects(lake.put(key, bytes(1)), { name: 'BadInputError' }, key);
      await assert.rejects(lake.get(key), { name: 'BadInputError' }, key);
      assert.throws(() => lake.source(key), { name: 'BadInputError' }, key);
    }
    await assert.rejects(listAll(lake, '../'), { name: 'BadInputError' });
    await assert.rejects(lake.delete(['keep/me', '../escaped']), { name: 'BadInputError' });
    assert.equal(await lake.exists('keep/me'), true, 'a batch with a bad key deletes nothing');
    assert.equal(existsSync(outside), false);
  });

  it('never shows a reader a half-written object while a large put replaces it', async () => {
    const key = 'big/object.bin';
    const old = bytes(1000);
    await lake.put(key, old);
    const large = new Uint8Array(64 * 1024 * 1024).fill(7);
    const path = join(root, 'big', 'object.bin');
    const seen = new Set<number>();
    let done = false;
    const writing = lake.put(key, large).finally(() => {
      done = true;
    });
    let looks = 0;
    while (!done) {
      seen.add((await stat(path)).size);
      looks++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writing;
    assert.ok(looks > 1, 'the file was looked at while the put ran');
    for (const size of seen)
      assert.ok(size === old.byteLength || size === large.byteLength, `${size}`);
    assert.equal(await lake.size(key), large.byteLength);
  });

  it('cleans a crashed writer’s stale .partial on the next put of the key, and leaves a live writer’s alone', async () => {
    const key = 'raw/t/d/s/g1/B04.tif';
    const folder = join(root, 'raw', 't', 'd', 's', 'g1');
    mkdirSync(folder, { recursive: true });
    const stale = join(folder, '.B04.tif.999.dead.partial');
    const live = join(folder, '.B04.tif.998.beef.partial');
    const otherKey = join(folder, '.B08.tif.997.cafe.partial');
    for (const path of [stale, live, otherKey]) writeFileSync(path, 'half');
    const old = (Date.now() - STALE_PARTIAL_MS - 60_000) / 1000;
    utimesSync(stale, old, old);
    utimesSync(otherKey, old, old);
    assert.deepEqual(await listAll(lake, ''), [], 'temporary files are not objects');
    await lake.put(key, bytes(10));
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(live), true);
    assert.equal(existsSync(otherKey), true, 'only the key’s own temporary files');
    assert.deepEqual(
      (await listAll(lake, '')).map((o) => o.key),
      [key],
    );
    assert.equal(statSync(join(folder, 'B04.tif')).size, 10);
  });

  it('fails a put whose folder cannot be created, leaving nothing behind', async () => {
    writeFileSync(join(tmp.dir, 'file-root'), 'not a folder');
    const broken = new FileDatalake(join(tmp.dir, 'file-root'));
    await assert.rejects(broken.put('a/b', bytes(3)), (error: Error) =>
      error.message.includes('a/b'),
    );
    assert.deepEqual(readdirSync(dirname(join(tmp.dir, 'file-root'))).sort(), ['file-root']);
  });
});
