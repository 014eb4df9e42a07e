/**
 * The store every bad-input case runs against, made once per test run and shared by the corpus
 * files: a schema of its own holding parcels (in parcel groups), observations, weekly series and
 * API keys, and a datalake folder holding raw, clean and archive objects. A hostile input must
 * leave all of it exactly as it was (see snapshot.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileDatalake } from '../../src/store/datalake/file-datalake';
import type { Database } from '../../src/store/db/database';
import { assignGroups } from '../../src/store/db/groups';
import { seedSeries } from '../api/seed';
import { onSuiteEnd } from '../helpers/services';
import { isolatedDatabase } from '../store/db/isolated-schema';
import type { Store } from './snapshot';

export const SECURITY_SCHEMA = 'pw_security';

export interface SecurityStore extends Store {
  db: Database & { url: string };
  datalake: FileDatalake;
  /** Environment for a CLI child process working on this store. */
  env: Record<string, string>;
  /** Id and tile of a parcel group holding seeded parcels (tile 33TWL). */
  group: { id: number; tile: string };
}

let shared: Promise<SecurityStore> | undefined;

/** The store of this run (seeded on first use, dropped with the run's database). */
export function securityStore(): Promise<SecurityStore> {
  shared ??= (async () => {
    const db = await isolatedDatabase(SECURITY_SCHEMA);
    await seedSeries(db, { parcelsPerSource: 12, acquisitions: 4, seed: 41 });
    await assignGroups(db);
    const group = await db.pool.query<{ id: string; tile: string }>(
      'SELECT id::text, tile FROM parcel_groups ORDER BY id LIMIT 1',
    );
    const lakeRoot = mkdtempSync(path.join(tmpdir(), 'pw-security-lake-'));
    const datalake = new FileDatalake(lakeRoot);
    for (const [key, text] of [
      ['raw/33TWL/2024-03-01/S2B_33TWL_20240301_0_L2A/g1/B04.tif', 'raw red band'],
      ['clean/33TWL/2024-03-01/S2B_33TWL_20240301_0_L2A/g1/B04.tif', 'clean red band'],
      ['archive/observations/ndvi/2024-03/manifest.json', '{"rows": 0}'],
    ] as const) {
      await datalake.put(key, new TextEncoder().encode(text));
    }
    onSuiteEnd(async () => {
      await db.close();
      rmSync(lakeRoot, { recursive: true, force: true });
    });
    const row = group.rows[0];
    if (!row) throw new Error('the seeded parcels were given no group');
    return {
      db,
      pool: db.pool,
      schema: SECURITY_SCHEMA,
      datalake,
      group: { id: Number(row.id), tile: row.tile },
      env: {
        DATABASE_URL: db.url,
        PARCELWATCH_DB_SCHEMA: SECURITY_SCHEMA,
        DATALAKE_URL: pathToFileURL(lakeRoot).href,
        // Nothing here may reach a service the test did not start.
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        STAC_API_URL: 'http://127.0.0.1:1/',
      },
    };
  })();
  return shared;
}
