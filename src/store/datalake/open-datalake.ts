/** Opens the datalake the configuration names. */
import type { DatalakeConfig } from '../../config';
import type { Datalake } from './datalake';
import { FileDatalake } from './file-datalake';
import { S3Datalake } from './s3-datalake';

/** The datalake of DATALAKE_URL: a folder, or a bucket and prefix (credentials: the SDK's chain). */
export function openDatalake(config: DatalakeConfig): Datalake {
  if (config.kind === 'file') return new FileDatalake(config.root);
  return new S3Datalake({
    bucket: config.bucket,
    prefix: config.prefix,
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
  });
}

/**
 * The datalake, once it has proven usable: for S3, credentials accepted, bucket present, prefix
 * listable (a ConfigError says which setting to fix). For workers to call at start-up, so a bad
 * setting fails the process at once instead of every activity later.
 */
export async function openCheckedDatalake(config: DatalakeConfig): Promise<Datalake> {
  const datalake = openDatalake(config);
  if (datalake instanceof S3Datalake) {
    try {
      await datalake.assertReachable();
    } catch (error) {
      await datalake.close();
      throw error;
    }
  }
  return datalake;
}
