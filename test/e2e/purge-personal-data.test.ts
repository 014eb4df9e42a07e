import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { activityDeps } from '../../src/activities/deps';
import { type Config, loadConfig } from '../../src/config';
import { listAudit } from '../../src/store/db/audit-log';
import { type Database, openDatabase } from '../../src/store/db/database';
import { migrate } from '../../src/store/db/migrate';
import { importParcels } from '../../src/store/import/import-parcels';
import { createWorkers } from '../../src/workers/worker';
import type { PurgeResult } from '../../src/workflows/purge';
import { runCli } from '../helpers/cli';
import { RUN_DIR, testDatabase, testTemporal } from '../helpers/services';
import { ensureTestRuntime, uniqueTaskQueue, workflowBundle } from '../helpers/workers';
import { feature, scratchDir, square, writeCollection } from '../store/import/parcel-files';

const SCHEMA = 'e2e_purge_personal';
const KEEP_DAYS = 730;

/**
 * Retention of personal data through the unchanged purge workflow: records no import carried for
 * PARCELWATCH_RETENTION_PERSONAL_DAYS are reported by a dry run and erased by a purge, with an
 * audit row; fresher ones, the parcels and their other data stay.
 */
describe('purge: retention of personal data (real PostgreSQL, Temporal dev server, workers)', function () {
  this.timeout(300_000);
  let config: Config;
  let env: Record<string, string>;
  let db: Database;
  const dir = scratchDir('pw-purge-personal-');

  async function withWorkers<T>(fn: () => Promise<T>): Promise<T> {
    ensureTestRuntime();
    const native = await NativeConnection.connect({ address: config.temporal.address });
    try {
      const workers = await createWorkers({
        config,
        connection: native,
        activities: createActivities(activityDeps(config, db)),
        workflowBundle: await workflowBundle(),
      });
      const run = fn();
      await Promise.all(workers.map((w) => w.runUntil(run.catch(() => undefined))));
      return await run;
    } finally {
      await native.close();
    }
  }

  async function purge(args: string[]): Promise<PurgeResult> {
    const result = await withWorkers(() => runCli(['purge', ...args, '--wait', '--json'], env));
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout).result as PurgeResult;
  }

  async function personal(): Promise<
    Record<string, { holder: string | null; erasure: string | null }>
  > {
    const rows = await db.pool.query<{
      external_id: string;
      holder_name: string | null;
      erasure: string | null;
    }>(
      `SELECT p.external_id, d.holder_name, d.erasure
         FROM parcels p JOIN parcel_personal_data d ON d.parcel_id = p.id ORDER BY p.external_id`,
    );
    return Object.fromEntries(
      rows.rows.map((r) => [r.external_id, { holder: r.holder_name, erasure: r.erasure }]),
    );
  }

  before(async () => {
    const database = await testDatabase();
    const temporal = await testTemporal();
    await migrate({ url: database.url, schema: SCHEMA });
    const root = path.join(RUN_DIR, 'datalake', 'purge-personal');
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    env = {
      DATABASE_URL: database.url,
      PARCELWATCH_DB_SCHEMA: SCHEMA,
      TEMPORAL_ADDRESS: temporal.address,
      DATALAKE_URL: root,
      PARCELWATCH_TASK_QUEUE_IO: uniqueTaskQueue('purge-personal-io'),
      PARCELWATCH_TASK_QUEUE_CPU: uniqueTaskQueue('purge-personal-cpu'),
      PARCELWATCH_HOME: path.join(RUN_DIR, 'home', 'purge-personal'),
      PARCELWATCH_RETENTION_PERSONAL_DAYS: String(KEEP_DAYS),
    };
    config = loadConfig(env);
    db = await openDatabase(config.database);
    const file = writeCollection(dir, 'holders.geojson', {
      type: 'FeatureCollection',
      features: ['Ann Ames', 'Bob Bakker', 'Cor Claes'].map((holder, i) =>
        feature(`H${i + 1}`, square(5.66 + i * 0.01, 51.97), { crop: 'maize', holder }),
      ),
    });
    await importParcels(db, file, { source: 'holders' });
    // H1 and H2 were last imported longer ago than the retention; H3 just now.
    await db.pool.query(
      `UPDATE parcel_personal_data d SET imported_at = now() - make_interval(days => $1)
         FROM parcels p WHERE p.id = d.parcel_id AND p.external_id = ANY($2)`,
      [KEEP_DAYS + 5, ['H1', 'H2']],
    );
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.close();
  });

  it('reports stale personal data in a dry run and changes nothing', async () => {
    const before = await personal();
    const result = await purge(['--dry-run']);
    assert.equal(result.dryRun, true);
    assert.equal(result.raw.personalData?.days, KEEP_DAYS);
    assert.equal(result.raw.personalData?.expired, 2);
    assert.equal(result.raw.personalData?.erased, 0);
    assert.deepEqual(await personal(), before);
  });

  it('erases personal data past retention, with an audit row, and keeps the rest', async () => {
    const result = await purge([]);
    assert.deepEqual([result.raw.personalData?.expired, result.raw.personalData?.erased], [2, 2]);
    assert.deepEqual(await personal(), {
      H1: { holder: null, erasure: 'retention' },
      H2: { holder: null, erasure: 'retention' },
      H3: { holder: 'Cor Claes', erasure: null },
    });
    const parcels = await db.pool.query("SELECT crop FROM parcels WHERE source = 'holders'");
    assert.deepEqual(
      parcels.rows.map((r) => r.crop),
      ['maize', 'maize', 'maize'],
    );
    const [audit] = await listAudit(db, { action: 'privacy.retention', limit: 1 });
    assert.equal(audit?.actor, 'system:retention');
    assert.equal(audit?.details.erased, 2);
    // A second purge finds nothing left to erase.
    const again = await purge([]);
    assert.deepEqual([again.raw.personalData?.expired, again.raw.personalData?.erased], [0, 0]);
  });
});
