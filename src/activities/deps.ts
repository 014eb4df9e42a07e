import type { Config } from '../config';
import type { ByteSource } from '../core/raster/source';
import { StacClient } from '../core/stac/client';
import type { ThreadPool } from '../core/thread-pool';
import { computeThreadPool, maskThreadPool } from '../core/zonal/compute-pool';
import type { Datalake } from '../store/datalake/datalake';
import { openDatalake } from '../store/datalake/open-datalake';
import type { Database } from '../store/db/database';
import { openByteSource } from '../store/sources/open-byte-source';

/** What the activities need from the outside world; tests pass real collaborators of their own. */
export interface ActivityDeps {
  db: Database;
  config: Config;
  datalake: Datalake;
  stac: StacClient;
  /** Opens a provider asset (https://, s3:// — public buckets unsigned —, file://). */
  openSource: (href: string) => ByteSource & { close(): Promise<void> };
  /** Worker threads for pixel work; undefined runs it on the activity's own thread. */
  pool?: ThreadPool;
  /** Worker threads for masking; undefined runs it on the activity's own thread. */
  maskPool?: ThreadPool;
}

/**
 * The production dependencies of a worker process, from its configuration; pass a datalake opened
 * (and checked) by the caller, e.g. with `openCheckedDatalake`.
 */
export function activityDeps(
  config: Config,
  db: Database,
  datalake: Datalake = openDatalake(config.datalake),
): ActivityDeps {
  return {
    db,
    config,
    datalake,
    stac: new StacClient({ apiUrl: config.stac.url, collection: config.stac.collection }),
    openSource: (href) => openByteSource(href, { s3: { unsigned: true } }),
    pool: computeThreadPool(),
    maskPool: maskThreadPool(),
  };
}
