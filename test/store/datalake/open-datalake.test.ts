import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../../src/config';
import { FileDatalake } from '../../../src/store/datalake/file-datalake';
import { openDatalake } from '../../../src/store/datalake/open-datalake';
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

  it('refuses an S3 datalake with a ConfigError saying it is not supported yet', () => {
    const config = loadConfig({ DATALAKE_URL: 's3://bucket/prefix' }, '/');
    assert.throws(
      () => openDatalake(config.datalake),
      (error: Error & { code?: string }) =>
        error.name === 'ConfigError' &&
        error.code === 'DATALAKE_S3_UNSUPPORTED' &&
        /S3/.test(error.message) &&
        error.message.includes('s3://bucket/prefix'),
    );
  });
});
