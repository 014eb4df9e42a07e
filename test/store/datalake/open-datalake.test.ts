import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../../src/config';
import { FileDatalake } from '../../../src/store/datalake/file-datalake';
import { openDatalake } from '../../../src/store/datalake/open-datalake';
import { S3Datalake } from '../../../src/store/datalake/s3-datalake';
import { tempDir } from '../../core/raster/gdal';

describe('openDatalake', () => {
  it('opens the folder DATALAKE_URL names', () => {
    const tmp = tempDir('parcelwatch-lake-config-');
    try {
      const config = loadConfig({ DATALAKE_URL: pathToFileURL(join(tmp.dir, 'lake')).href }, '/');
      const lake = openDatalake(config.datalake);
      assert.ok(lake instanceof FileDatalake);
      assert.equal(lake.root, join(tmp.dir, 'lake'));
      const plain = openDatalake(loadConfig({ DATALAKE_URL: 'rel/lake' }, tmp.dir).datalake);
      assert.equal((plain as FileDatalake).root, join(tmp.dir, 'rel', 'lake'));
    } finally {
      tmp.remove();
    }
  });

  it('opens the bucket and prefix of an s3:// DATALAKE_URL', () => {
    const lake = openDatalake(
      loadConfig({
        DATALAKE_URL: 's3://my-bucket/parcelwatch/prod/',
        S3_ENDPOINT: 'http://127.0.0.1:1',
        AWS_REGION: 'eu-west-1',
      }).datalake,
    );
    assert.ok(lake instanceof S3Datalake);
    assert.equal(lake.bucket, 'my-bucket');
    assert.equal(lake.prefix, 'parcelwatch/prod');
    assert.equal(lake.url, 's3://my-bucket/parcelwatch/prod');
  });
});
