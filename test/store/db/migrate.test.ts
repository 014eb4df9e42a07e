import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createPool } from '../../../src/store/db/connection';
import { migrate, readMigrations } from '../../../src/store/db/migrate';
import { schemaStatus } from '../../../src/store/db/status';
import { type TestDatabase, testDatabase } from '../../helpers/services';

/** Runs `fn` on one connection acting as `role`, always resetting the role. */
async function asRole<T>(
  url: string,
  role: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET ROLE ${role}`);
    await client.query('SET search_path TO parcelwatch, public');
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function insertParcel(client: Client, externalId: string): Promise<number> {
  const result = await client.query<{ id: string }>(
    `INSERT INTO parcelwatch.parcels (external_id, geom, area_m2)
     VALUES ($1, ST_Multi(ST_MakeEnvelope(5.0, 52.0, 5.001, 52.001, 4326)), 7600) RETURNING id`,
    [externalId],
  );
  return Number(result.rows[0]?.id);
}

function observation(parcelId: number, acquiredAt: string) {
  return {
    text: `INSERT INTO parcelwatch.parcel_observations
             (parcel_id, index_name, acquired_at, scene_id, mean, valid_pixels, total_pixels, valid_fraction, status, algorithm_version)
           VALUES ($1, 'ndvi', $2, 'S2B_33TWL_20230820_0_L2A', 0.5, 10, 10, 1, 'ok', 'test')`,
    values: [parcelId, acquiredAt],
  };
}

describe('database migrations (real PostgreSQL + PostGIS)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let admin: Client;

  before(async () => {
    db = await testDatabase();
    admin = new Client({ connectionString: db.url });
    await admin.connect();
  });
  after(async () => admin?.end());

  it('puts every table in the dedicated schema, none in public, with PostGIS geometry columns and GiST indexes', async () => {
    const tables = await admin.query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_name IN ('parcels', 'parcel_groups', 'scenes', 'parcel_observations', 'parcel_weekly', 'pipeline_runs', 'datasets')
          AND table_schema IN ('parcelwatch', 'public')`,
    );
    // Other tests may migrate other schemas into this database; only these two matter here.
    assert.equal(tables.rowCount, 7);
    assert.ok(tables.rows.every((row) => row.table_schema === 'parcelwatch'));
    const geometries = await admin.query<{ f_table_name: string; type: string; srid: number }>(
      "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = 'parcelwatch' ORDER BY f_table_name",
    );
    assert.deepEqual(geometries.rows, [
      { f_table_name: 'parcel_groups', type: 'POLYGON', srid: 4326 },
      { f_table_name: 'parcels', type: 'MULTIPOLYGON', srid: 4326 },
    ]);
    const gist = await admin.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname = 'parcelwatch' AND indexdef LIKE '%USING gist%' ORDER BY 1",
    );
    assert.deepEqual(
      gist.rows.map((r) => r.indexname),
      ['parcel_groups_bbox_idx', 'parcels_geom_idx'],
    );
  });

  it('changes nothing when run a second time', async () => {
    const before = await admin.query(
      "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'parcelwatch'",
    );
    const result = await migrate({ url: db.url, schema: 'parcelwatch' });
    assert.deepEqual(result.applied, []);
    assert.deepEqual(
      result.alreadyApplied,
      (await readMigrations()).map((m) => m.tag),
    );
    const after = await admin.query(
      "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'parcelwatch'",
    );
    assert.deepEqual(after.rows, before.rows);
  });

  it('accepts observations far in the past and future, and moves them into a monthly partition once created', async () => {
    const parcelId = await insertParcel(admin, `partition-${Date.now()}`);
    await admin.query(observation(parcelId, '1987-03-14T10:00:00Z'));
    await admin.query(observation(parcelId, '2099-11-02T10:00:00Z'));
    const where = await admin.query<{ part: string; acquired_at: Date }>(
      'SELECT tableoid::regclass::text AS part, acquired_at FROM parcelwatch.parcel_observations WHERE parcel_id = $1 ORDER BY acquired_at',
      [parcelId],
    );
    assert.deepEqual(
      where.rows.map((r) => r.part),
      ['parcelwatch.parcel_observations_default', 'parcelwatch.parcel_observations_default'],
    );

    const created = await admin.query<{ n: number }>(
      "SELECT parcelwatch.ensure_observation_partitions('2099-11-01', '2099-11-30') AS n",
    );
    assert.equal(created.rows[0]?.n, 1);
    const moved = await admin.query<{ part: string }>(
      "SELECT tableoid::regclass::text AS part FROM parcelwatch.parcel_observations WHERE parcel_id = $1 AND acquired_at > '2090-01-01'",
      [parcelId],
    );
    assert.deepEqual(moved.rows, [{ part: 'parcelwatch.parcel_observations_2099_11' }]);
    const again = await admin.query<{ n: number }>(
      "SELECT parcelwatch.ensure_observation_partitions('2099-11-01', '2099-11-30') AS n",
    );
    assert.equal(again.rows[0]?.n, 0);
  });

  it('lets the writer fill partitions but never drop or alter tables', async () => {
    const parcelId = await insertParcel(admin, `writer-${Date.now()}`);
    await asRole(db.url, 'parcelwatch_writer', async (client) => {
      await client.query("SELECT ensure_observation_partitions('2031-05-01', '2031-05-31')");
      await client.query(observation(parcelId, '2031-05-20T10:00:00Z'));
      await client.query('UPDATE parcel_observations SET mean = 0.6 WHERE parcel_id = $1', [
        parcelId,
      ]);
      await assert.rejects(client.query('DROP TABLE parcel_observations_2031_05'), /must be owner/);
      await assert.rejects(client.query('DROP TABLE parcels'), /must be owner/);
      await assert.rejects(client.query('ALTER TABLE scenes ADD COLUMN x int'), /must be owner/);
      await assert.rejects(
        client.query('CREATE TABLE sneaky (id int)'),
        /permission denied for schema parcelwatch/,
      );
    });
  });

  it('lets the reader select, and refuses its inserts, updates and deletes', async () => {
    await asRole(db.url, 'parcelwatch_reader', async (client) => {
      const datasets = await client.query<{ name: string; owner_team: string }>(
        'SELECT name, owner_team FROM datasets ORDER BY name',
      );
      assert.deepEqual(
        datasets.rows.map((r) => r.name),
        ['ndmi', 'ndvi', 'observations-archive', 'weekly'],
      );
      await client.query('SELECT count(*) FROM parcel_observations');
      await assert.rejects(
        client.query("INSERT INTO datasets (name, owner_team, description) VALUES ('x', 'y', 'z')"),
        /permission denied for table datasets/,
      );
      await assert.rejects(
        client.query("UPDATE datasets SET owner_team = 'team-b'"),
        /permission denied for table datasets/,
      );
      await assert.rejects(client.query('DELETE FROM parcel_observations'), /permission denied/);
      await assert.rejects(
        client.query("SELECT ensure_observation_partitions('2040-01-01', '2040-01-31')"),
        /permission denied for function/,
      );
    });
  });

  it('keeps two environments apart: another schema gets its own tables and roles', async () => {
    const result = await migrate({ url: db.url, schema: 'staging' });
    assert.deepEqual(
      result.applied,
      (await readMigrations()).map((m) => m.tag),
    );
    const roles = await admin.query<{ rolname: string }>(
      "SELECT rolname FROM pg_roles WHERE rolname LIKE 'staging\\_%' ORDER BY 1",
    );
    assert.deepEqual(
      roles.rows.map((r) => r.rolname),
      ['staging_owner', 'staging_reader', 'staging_writer'],
    );
    await asRole(db.url, 'staging_reader', async (client) => {
      await assert.rejects(
        client.query('SELECT * FROM parcelwatch.parcels'),
        /permission denied for schema parcelwatch/,
      );
    });
    const pool = createPool({ url: db.url, schema: 'staging' });
    try {
      const status = await schemaStatus(pool, 'staging');
      assert.deepEqual(status.pending, []);
      assert.equal(status.partitioning, 'native');
      const seen = await pool.query<{ schema: string }>('SELECT current_schema() AS schema');
      assert.equal(seen.rows[0]?.schema, 'staging');
    } finally {
      await pool.end();
    }
  });

  it('refuses a migration edited after it was applied, and applies nothing of a failing one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-migrations-'));
    try {
      cpSync(path.resolve(__dirname, '../../../db/migrations'), dir, { recursive: true });
      const first = path.join(dir, '0000_core_tables.sql');
      writeFileSync(first, `${readFileSync(first, 'utf8')}\n-- edited\n`);
      await assert.rejects(
        migrate({ url: db.url, schema: 'parcelwatch', migrationsDir: dir }),
        /Migration 0000_core_tables was changed after it was applied to schema parcelwatch; migrations are append-only/,
      );

      cpSync(path.resolve(__dirname, '../../../db/migrations'), dir, { recursive: true });
      const journal = JSON.parse(readFileSync(path.join(dir, 'meta', '_journal.json'), 'utf8'));
      journal.entries.push({
        idx: 99,
        version: '7',
        when: 0,
        tag: '9999_broken',
        breakpoints: true,
      });
      writeFileSync(path.join(dir, 'meta', '_journal.json'), JSON.stringify(journal));
      writeFileSync(
        path.join(dir, '9999_broken.sql'),
        'CREATE TABLE half_done (id int);\n--> statement-breakpoint\nSELECT no_such_function();',
      );
      await assert.rejects(
        migrate({ url: db.url, schema: 'parcelwatch', migrationsDir: dir }),
        /Migration 9999_broken failed in schema parcelwatch: .*no_such_function.*; nothing of it was applied/,
      );
      const leftover = await admin.query("SELECT to_regclass('parcelwatch.half_done') AS t");
      assert.equal(leftover.rows[0]?.t, null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
