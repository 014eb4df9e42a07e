import assert from 'node:assert/strict';
import { Client, Pool } from 'pg';
import { computeUsage, databaseStorage, datasetPlace } from '../../../src/store/db/costs';
import type { Database } from '../../../src/store/db/database';
import { roleNames } from '../../../src/store/db/roles';
import { seedSeries } from '../../api/seed';
import { COST_PERIOD, COST_RUNS, expectedUsage, seedCostRuns } from './cost-runs';
import { isolatedDatabase } from './isolated-schema';

const SCHEMA = 'pw_costs';

describe('costs: compute per month and kind, storage per table and dataset (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database & { url: string };
  /** The same database seen by the bare reader role. */
  let reader: Database;

  /** Every leaf table of the schema (plain tables and partitions), summed by the test itself. */
  const leafBytes = async () =>
    Number(
      (
        await db.pool.query<{ bytes: string }>(
          `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
          [SCHEMA],
        )
      ).rows[0]!.bytes,
    );

  before(async () => {
    // A session 14 hours ahead of UTC: months must still be those of UTC.
    db = await isolatedDatabase(SCHEMA, { timeZone: 'Pacific/Kiritimati' });
    await seedCostRuns(db);
    await seedSeries(db, { parcelsPerSource: 20, acquisitions: 6, seed: 3 });
    // Autovacuum adding visibility maps mid-test would change sizes between two reads.
    const tables = await db.pool.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
      [SCHEMA],
    );
    for (const { name } of tables.rows) await db.pool.query(`VACUUM ANALYZE "${SCHEMA}"."${name}"`);
    // A login of the bare reader role: what an analyst running `parcelwatch costs` has.
    const pool = new Pool({
      connectionString: db.url,
      max: 2,
      options: `-c search_path=${SCHEMA},public -c role=${roleNames(SCHEMA).reader}`,
    });
    reader = { ...db, pool, close: () => pool.end() };
  });
  after(async () => {
    await reader?.close();
    await db?.close();
  });

  it('sums runs per UTC month of their start and kind, as recorded, with running runs apart', async () => {
    const report = await computeUsage(db, COST_PERIOD);
    const expected = expectedUsage(
      COST_RUNS,
      COST_PERIOD,
      (r) => `${r.start.slice(0, 7)} ${r.kind}`,
    );
    assert.deepEqual(
      report.months.map((u) => [`${u.month} ${u.kind}`, u]),
      [...expected]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => {
          const [month, kind] = k.split(' ');
          return [k, { month, kind, ...v }];
        }),
    );
    // The premise: January's weekly runs include the one that started at 23:30 UTC on the 31st.
    const january = report.months.find((u) => u.month === '2026-01' && u.kind === 'weekly');
    assert.equal(january?.runs, 3);
    assert.equal(january?.bytesDownloaded, 5_000_000_000 + 1_234_567 + 42);
    const february = report.months.find((u) => u.month === '2026-02' && u.kind === 'weekly');
    assert.deepEqual([february?.runs, february?.runningRuns, february?.finishedRuns], [3, 1, 2]);
  });

  it('totals each kind over the period and all runs together', async () => {
    const report = await computeUsage(db, COST_PERIOD);
    const byKind = expectedUsage(COST_RUNS, COST_PERIOD, (r) => r.kind);
    assert.deepEqual(
      report.kinds,
      [...byKind]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, v]) => ({ month: null, kind, ...v })),
    );
    const all = expectedUsage(COST_RUNS, COST_PERIOD, () => 'all').get('all');
    assert.deepEqual(report.total, { month: null, kind: null, ...all });
    assert.equal(report.total.runs, 9);
  });

  it('reports zero runs for a period without any', async () => {
    const empty = await computeUsage(db, {
      since: '2019-01-01T00:00:00Z',
      until: '2019-02-01T00:00:00Z',
    });
    assert.deepEqual(empty.months, []);
    assert.deepEqual(empty.kinds, []);
    assert.deepEqual(empty.total, {
      month: null,
      kind: null,
      runs: 0,
      finishedRuns: 0,
      runningRuns: 0,
      failedRuns: 0,
      wallSeconds: 0,
      meanWallSeconds: null,
      bytesDownloaded: 0,
      parcelsObserved: 0,
    });
  });

  it('sizes every table of the schema, partitions summed under parcel_observations, groups summing to the total', async () => {
    const storage = await databaseStorage(db);
    assert.equal(storage.refused, null);
    assert.equal(storage.schema, SCHEMA);
    const names = storage.tables.map((t) => t.table).sort();
    for (const table of [
      'parcels',
      'parcel_observations',
      'parcel_weekly',
      'pipeline_runs',
      'datasets',
    ]) {
      assert.ok(names.includes(table), `${table} is listed`);
    }
    assert.ok(!names.some((n) => n.startsWith('parcel_observations_')), 'no partition on its own');
    for (const t of storage.tables) assert.ok(t.bytes > 0, `${t.table} has a positive size`);

    const partitions = await db.pool.query<{ parts: number; bytes: string }>(
      `SELECT count(*)::int AS parts, sum(pg_total_relation_size(inhrelid))::text AS bytes
         FROM pg_inherits WHERE inhparent = 'parcel_observations'::regclass`,
    );
    const observations = storage.tables.find((t) => t.table === 'parcel_observations')!;
    assert.equal(observations.partitions, partitions.rows[0]!.parts);
    assert.ok(observations.partitions > 1);
    assert.equal(observations.bytes, Number(partitions.rows[0]!.bytes));
    assert.deepEqual(observations.datasets, ['ndmi', 'ndvi']);

    assert.equal(storage.totalBytes, await leafBytes());
    assert.equal(
      storage.groups.reduce((sum, g) => sum + g.bytes, 0),
      storage.totalBytes,
    );
    assert.deepEqual(
      storage.groups.filter((g) => g.datasets.length).map((g) => [g.datasets, g.tables]),
      [
        [['ndmi', 'ndvi'], ['parcel_observations']],
        [['weekly'], ['parcel_weekly']],
      ].sort((a, b) => {
        const size = (tables: string[]) => storage.tables.find((t) => t.table === tables[0])!.bytes;
        return size(b[1] as string[]) - size(a[1] as string[]);
      }),
    );
    const rest = storage.groups.at(-1)!;
    assert.deepEqual(rest.datasets, []);
    assert.ok(rest.tables.includes('parcels') && rest.tables.includes('pipeline_runs'));
  });

  it('works for the reader role, which sees the same runs and sizes', async () => {
    const role = await reader.pool.query<{ role: string }>('SELECT current_user AS role');
    assert.equal(role.rows[0]!.role, roleNames(SCHEMA).reader);
    assert.deepEqual(await computeUsage(reader, COST_PERIOD), await computeUsage(db, COST_PERIOD));
    const [asReader, asWriter] = [await databaseStorage(reader), await databaseStorage(db)];
    assert.equal(asReader.refused, null);
    assert.deepEqual(asReader, asWriter);
  });

  it('says the sizes were refused, instead of failing, when the server refuses a size function', async () => {
    const client = new Client({
      connectionString: db.url,
      options: `-c search_path=${SCHEMA},public`,
    });
    await client.connect();
    try {
      await client.query('BEGIN');
      // Rolled back below: no other session ever sees the function revoked.
      await client.query('REVOKE EXECUTE ON FUNCTION pg_total_relation_size(regclass) FROM PUBLIC');
      await client.query(`SET LOCAL ROLE ${roleNames(SCHEMA).reader}`);
      // One connection, so the revocation and the role hold for every query; a Client queries as a Pool does.
      const storage = await databaseStorage({ ...db, pool: client as unknown as Pool });
      assert.equal(storage.totalBytes, null);
      assert.deepEqual([storage.tables, storage.groups], [[], []]);
      assert.match(
        storage.refused ?? '',
        /^the database refused the size functions to this role \(permission denied for function pg_total_relation_size\); run parcelwatch costs with the writer's or owner's credentials/,
      );
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });

  it('reads where a catalog location puts a dataset: a table or a datalake prefix', () => {
    assert.deepEqual(datasetPlace('parcel_weekly'), { table: 'parcel_weekly' });
    assert.deepEqual(datasetPlace("parcel_observations (index_name = 'ndvi')"), {
      table: 'parcel_observations',
    });
    assert.deepEqual(
      datasetPlace('datalake archive/observations/<yyyy-mm>/<index>/parcels-<first>-<last>.csv.gz'),
      { datalakePrefix: 'archive/' },
    );
    assert.equal(datasetPlace('(somewhere else)'), null);
  });
});
