/** Opens the datalake the configuration names. */
import type { DatalakeConfig } from '../../config';
import { ConfigError } from '../../core/errors';
import type { Datalake } from './datalake';
import { FileDatalake } from './file-datalake';

export function openDatalake(config: DatalakeConfig): Datalake {
  if (config.kind === 'file') return new FileDatalake(config.root);
  throw new ConfigError(
    `DATALAKE_URL=${config.url}: an S3 datalake is not supported yet; set DATALAKE_URL to a folder (file:///absolute/folder or a plain path) for now`,
    { code: 'DATALAKE_S3_UNSUPPORTED' },
  );
}
