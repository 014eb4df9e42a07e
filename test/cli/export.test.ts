import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ExportOptions, exportRequest } from '../../src/cli/commands/export';
import { BadInputError } from '../../src/core/errors';
import type { Database } from '../../src/store/db/database';
import { type ExportRequest, exportChunks } from '../../src/store/exports/export';
import { seedSeries } from '../api/seed';
import { runCli } from '../helpers/cli';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { readParquet } from '../store/exports/readers';

describe('parcelwatch export (CLI, real PostgreSQL)', function () {
  this.timeout(300_000);
  const schema = 'pw_cli_export';
  let db: Database & { url: string };
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    db = await isolatedDatabase(schema);
    await seedSeries(db, { parcelsPerSource: 4, acquisitions: 20, seed: 31 });
    dir = await mkdtemp(path.join(tmpdir(), 'pw-cli-export-'));
    env = { DATABASE_URL: db.url, PARCELWATCH_DB_SCHEMA: schema };
  });
  after(async () => {
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function inProcess(request: ExportRequest): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of exportChunks(db, request)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  it('writes the CSV of the selection the options describe, and reports the rows', async () => {
    const out = path.join(dir, 'ndvi.csv');
    const result = await runCli(
      [
        'export',
        '--format',
        'csv',
        '--out',
        out,
        '--index',
        'ndvi',
        '--source',
        'src-b',
        '--watched',
        '--from',
        '2024-03-05',
        '--to',
        '2024-W14',
        '--json',
      ],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const written = await readFile(out);
    const expected = await inProcess({
      format: 'csv',
      selection: {
        parcels: { source: 'src-b', watched: true },
        indices: ['ndvi'],
        time: { from: '2024-03-05T00:00:00.000Z', to: '2024-04-08T00:00:00.000Z' },
        kind: 'observations',
      },
    });
    assert.ok(written.equals(expected));
    const count = await db.pool.query(
      `SELECT count(*)::int AS n FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id
        WHERE p.source = 'src-b' AND p.watched AND o.index_name = 'ndvi'
          AND o.acquired_at >= '2024-03-05T00:00:00Z' AND o.acquired_at < '2024-04-08T00:00:00Z'`,
    );
    assert.ok(count.rows[0].n > 10);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.rows, count.rows[0].n);
    assert.equal(summary.bytes, written.length);
    assert.deepEqual(await readdir(dir), ['ndvi.csv']);
  });

  it('writes the weekly series as Parquet and prints a one-line summary', async () => {
    const out = path.join(dir, 'weekly.parquet');
    const result = await runCli(
      ['export', '--format', 'parquet', '--kind', 'weekly', '--out', out],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^wrote .*weekly\.parquet: [\d,]+ rows, [\d.]+ MB in [\d.]+ s\n$/);
    const parquet = await readParquet(new Uint8Array(await readFile(out)));
    const stored = await db.pool.query('SELECT count(*)::int AS n FROM parcel_weekly');
    assert.equal(parquet.rows.length, stored.rows[0].n);
  });

  it('writes the GeoJSON of latest values of one index, unwatched parcels only with --no-watched', async () => {
    const out = path.join(dir, 'latest.geojson');
    const result = await runCli(
      ['export', '--format', 'geojson', '--index', 'ndmi', '--no-watched', '--out', out],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const collection = JSON.parse(await readFile(out, 'utf8'));
    const unwatched = (
      await db.pool.query('SELECT id FROM parcels WHERE NOT watched ORDER BY id')
    ).rows.map((r) => Number(r.id));
    assert.equal(collection.index, 'ndmi');
    assert.deepEqual(
      collection.features.map((f: { id: number }) => f.id),
      unwatched,
    );
  });

  it('refuses bad options naming the option (exit code 2), and writes nothing', async () => {
    const base = { out: 'x', kind: 'observations' };
    const cases: Array<[Partial<ExportOptions>, RegExp]> = [
      [{ format: 'xlsx' }, /--format xlsx is not one of csv, parquet, geojson/],
      [
        { format: 'geojson', index: 'ndvi,ndmi' },
        /--index ndvi,ndmi: a GeoJSON of latest values holds one index/,
      ],
      [{ format: 'csv', bbox: '10,50,5' }, /--bbox/],
      [{ format: 'csv', from: '2024-02-30' }, /--from "2024-02-30" is not a calendar date/],
      [{ format: 'csv', from: '2024-05-02', to: '2024-05-01' }, /--from 2024-05-02 is after --to/],
      [{ format: 'csv', index: 'ndxx' }, /--index names unknown indices ndxx/],
      [{ format: 'csv', kind: 'monthly' }, /--kind monthly is not one of observations, weekly/],
      [{ format: 'csv', ids: '1,x' }, /--ids/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => exportRequest({ ...base, format: 'csv', ...options } as ExportOptions, ['ndvi']),
        (e: unknown) => e instanceof BadInputError && message.test(e.message),
        JSON.stringify(options),
      );
    }
    const out = path.join(dir, 'never.csv');
    const result = await runCli(
      ['export', '--out', out, '--format', 'csv', '--bbox', '10,50,5,60'],
      env,
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--bbox \[10,50,5,60\] has a minimum above its maximum/);
    assert.equal(existsSync(out), false);
  });

  it('exits 3 when the database does not answer, leaving no file behind', async () => {
    const out = path.join(dir, 'down.csv');
    const result = await runCli(['export', '--format', 'csv', '--out', out], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres',
      PARCELWATCH_DB_SCHEMA: schema,
    });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /unreachable/);
    assert.equal(existsSync(out), false);
  });
});
