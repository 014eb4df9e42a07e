import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BadInputError } from '../../../src/core/errors';
import { FileSource } from '../../../src/store/sources/file-source';
import { HttpSource } from '../../../src/store/sources/http-source';
import { openByteSource } from '../../../src/store/sources/open-byte-source';
import { S3Source } from '../../../src/store/sources/s3-source';

describe('openByteSource', () => {
  it('chooses the source by URL scheme', async () => {
    const cases: Array<[string, unknown]> = [
      ['https://sentinel-cogs.s3.us-west-2.amazonaws.com/B04.tif', HttpSource],
      ['http://localhost:9000/B04.tif', HttpSource],
      ['s3://sentinel-cogs/sentinel-s2-l2a-cogs/B04.tif', S3Source],
      ['file:///data/B04.tif', FileSource],
      ['data/B04.tif', FileSource],
      ['/data/B04.tif', FileSource],
    ];
    for (const [url, type] of cases) {
      const source = openByteSource(url, { s3: { region: 'us-west-2', unsigned: true } });
      assert.ok(source instanceof (type as new (...args: never[]) => unknown), url);
      await source.close();
    }
  });

  it('names a plain path by its absolute file:// URL', () => {
    assert.equal(openByteSource('data/B04.tif').url, pathToFileURL(resolve('data/B04.tif')).href);
  });

  it('refuses an unknown scheme and lists the supported ones', () => {
    assert.throws(
      () => openByteSource('gs://bucket/B04.tif'),
      (error: unknown) => error instanceof BadInputError && /gs:\/\/.*s3:\/\//.test(error.message),
    );
  });
});
