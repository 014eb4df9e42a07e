import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ExportOptions, exportRequest } from '../../src/cli/commands/export';
import { BadInputError } from '../../src/core/errors';
import type { Database } from '../../src/store/db/database';
import { type ExportRequest, exportChunks } from '../../src/store/exports/export';
import { seedSeries } from '../api/seed';
import { storedObservations } from '../api/truth';
import { runCli } from '../helpers/cli';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { parseCsvWithPython, readParquet } from '../store/exports/readers';

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

  /** Keys (parcel, index, time) of the observation rows of a CSV export, in file order. */
  async function csvKeys(file: string): Promise<string[]> {
    const rows = parseCsvWithPython(await readFile(file, 'utf8'));
    return rows.map((r) => `${r.parcel_id}|${r.index}|${r.acquired_at}`);
  }

  /** Keys of the stored observations of the parcels `where` selects (`p.` columns), in key order. */
  async function storedKeys(where: string, values: unknown[] = []): Promise<string[]> {
    return (await storedObservations(db, where, values)).map(
      (o) => `${o.parcel_id}|${o.index}|${o.acquired_at}`,
    );
  }

  /** Runs `export --format csv` with the selection options, and the keys of the rows written. */
  async function exportCsv(name: string, selection: string[]) {
    const out = path.join(dir, name);
    const result = await runCli(
      ['export', '--format', 'csv', '--out', out, '--json', ...selection],
      env,
    );
    assert.equal(result.code, 0, `${selection.join(' ')}: ${result.stderr}`);
    const keys = await csvKeys(out);
    assert.equal(JSON.parse(result.stdout).rows, keys.length);
    return keys;
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

  it('writes the GeoJSON of latest values of one index, unwatched parcels only with --unwatched', async () => {
    const out = path.join(dir, 'latest.geojson');
    const result = await runCli(
      ['export', '--format', 'geojson', '--index', 'ndmi', '--unwatched', '--out', out],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const collection = JSON.parse(await readFile(out, 'utf8'));
    const unwatched = (
      await db.pool.query('SELECT id FROM parcels WHERE NOT watched ORDER BY id')
    ).rows.map((r) => Number(r.id));
    assert.ok(unwatched.length > 0 && unwatched.length < 8);
    assert.equal(collection.index, 'ndmi');
    assert.deepEqual(
      collection.features.map((f: { id: number }) => f.id),
      unwatched,
    );
    assert.match(result.stdout, new RegExp(`: ${unwatched.length} features, `));
  });

  it('refuses bad options naming the option (exit code 2), and writes nothing', async () => {
    const base = { out: 'x', kind: 'observations', where: [] };
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
      [{ format: 'csv', ids: '1,x' }, /--ids: "x" is not a positive integer id/],
      [{ format: 'csv', ids: ',' }, /--ids "," lists no id/],
      [
        { format: 'csv', watched: true, unwatched: true },
        /give --watched or --unwatched, not both/,
      ],
      [{ format: 'csv', where: ['crop'] }, /--where "crop" is not field=value/],
      [{ format: 'csv', column: 'id' }, /--column names a column of --file; give the file too/],
      [
        { format: 'csv', externalIds: 'src-a-p-0' },
        /parcels come from 2 sources \(src-a, src-b\); say which one the external ids belong to with --source/,
      ],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(
        exportRequest(db, { ...base, format: 'csv', ...options } as ExportOptions, ['ndvi']),
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

  it('selects parcels with --crop and repeatable --where on columns and source attributes', async () => {
    const wheat = await exportCsv('wheat.csv', ['--crop', 'wheat', '--where', 'farm!=F0']);
    const expected = await storedKeys("p.crop = 'wheat' AND p.attributes ->> 'farm' <> 'F0'");
    assert.ok(expected.length > 0);
    assert.deepEqual(wheat, expected);
    // Every wheat parcel is there but those of farm F0: the two conditions both hold.
    assert.ok((await storedKeys("p.crop = 'wheat'")).length > expected.length);

    const maize = await exportCsv('maize.csv', [
      '--where',
      'crop~AIZ',
      '--source',
      'src-b',
      '--unwatched',
    ]);
    const maizeExpected = await storedKeys(
      "p.crop = 'maize' AND p.source = 'src-b' AND NOT p.watched",
    );
    assert.ok(maizeExpected.length > 0);
    assert.deepEqual(maize, maizeExpected);
  });

  it('selects by external ids within --source, and refuses them without it when there are several sources', async () => {
    const some = await exportCsv('some.csv', [
      '--source',
      'src-b',
      '--external-ids',
      'src-b-p-1,src-b-p-3',
    ]);
    const expected = await storedKeys(
      "p.source = 'src-b' AND p.external_id IN ('src-b-p-1', 'src-b-p-3')",
    );
    assert.ok(expected.length > 0);
    assert.deepEqual(some, expected);

    // Read, not write: ids of another source, or of no parcel, simply select nothing.
    assert.deepEqual(
      await exportCsv('none.csv', ['--source', 'src-b', '--external-ids', 'src-a-p-1']),
      [],
    );

    const out = path.join(dir, 'ambiguous.csv');
    const ambiguous = await runCli(
      ['export', '--format', 'csv', '--out', out, '--external-ids', 'src-b-p-1'],
      env,
    );
    assert.equal(ambiguous.code, 2, ambiguous.stderr);
    assert.match(
      ambiguous.stderr,
      /parcels come from 2 sources \(src-a, src-b\); say which one the external ids belong to with --source/,
    );
    assert.equal(existsSync(out), false);
  });

  it('takes the only source there is for --external-ids given without --source', async () => {
    const single = 'pw_cli_export_single';
    const one = await isolatedDatabase(single);
    try {
      await seedSeries(one, { parcelsPerSource: 3, acquisitions: 4, seed: 7 });
      await one.pool.query("DELETE FROM parcels WHERE source = 'src-b'");
      const out = path.join(dir, 'single.csv');
      const result = await runCli(
        ['export', '--format', 'csv', '--out', out, '--external-ids', 'src-a-p-0,src-a-p-2'],
        { DATABASE_URL: one.url, PARCELWATCH_DB_SCHEMA: single },
      );
      assert.equal(result.code, 0, result.stderr);
      const expected = (
        await storedObservations(one, "p.external_id IN ('src-a-p-0', 'src-a-p-2')")
      ).map((o) => `${o.parcel_id}|${o.index}|${o.acquired_at}`);
      assert.equal(expected.length, 2 * 2 * 4);
      assert.deepEqual(await csvKeys(out), expected);
    } finally {
      await one.close();
    }
  });

  it('selects the parcels lying within the polygons of --within, not those crossing its edge', async () => {
    const boxes = (
      await db.pool.query<{ id: string; x0: number; y0: number; x1: number; y1: number }>(
        `SELECT id, ST_XMin(geom) x0, ST_YMin(geom) y0, ST_XMax(geom) x1, ST_YMax(geom) y1
           FROM parcels ORDER BY ST_XMin(geom)`,
      )
    ).rows.map((r) => ({ ...r, id: Number(r.id) }));
    // From west of every parcel to the middle of the third from the west, over all latitudes.
    const cut = boxes[2]!;
    const west = boxes[0]!.x0 - 1e-4;
    const east = (cut.x0 + cut.x1) / 2;
    const south = Math.min(...boxes.map((b) => b.y0)) - 1e-4;
    const north = Math.max(...boxes.map((b) => b.y1)) + 1e-4;
    const area = path.join(dir, 'area.geojson');
    await writeFile(
      area,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: {},
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [west, south],
                  [east, south],
                  [east, north],
                  [west, north],
                  [west, south],
                ],
              ],
            },
          },
        ],
      }),
    );
    // An axis-aligned area holds a parcel exactly when it holds the parcel's bounding box.
    const inside = boxes.filter((b) => b.x0 >= west && b.x1 <= east).map((b) => b.id);
    assert.ok(inside.length >= 1 && !inside.includes(cut.id));
    const keys = await exportCsv('within.csv', ['--within', area]);
    assert.deepEqual(keys, await storedKeys('p.id = ANY($1::bigint[])', [inside]));
    assert.ok(!keys.some((k) => k.startsWith(`${cut.id}|`)), 'the parcel cut by the edge');
  });

  it('shows progress towards the counted rows on stderr, and none with --no-progress or --json', async () => {
    const args = ['export', '--format', 'csv', '--source', 'src-a', '--index', 'ndvi'];
    const rows = (await storedKeys("p.source = 'src-a' AND o.index_name = 'ndvi'")).length;
    const n = rows.toLocaleString('en');
    const shown = await runCli([...args, '--out', path.join(dir, 'shown.csv')], env);
    assert.equal(shown.code, 0, shown.stderr);
    // Not a terminal: plain lines, the first stating the total counted before writing.
    const lines = shown.stderr.trim().split('\n');
    assert.equal(lines[0], `export: writing rows 0 % 0 of ${n}`);
    assert.equal(lines.at(-1), `export: writing rows 100 % ${n} of ${n}`);
    assert.match(shown.stdout, new RegExp(`: ${n} rows, `));

    const quiet = await runCli(
      [...args, '--out', path.join(dir, 'quiet.csv'), '--no-progress'],
      env,
    );
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, '');
    assert.match(quiet.stdout, new RegExp(`: ${n} rows, `));
    const json = await runCli([...args, '--out', path.join(dir, 'json.csv'), '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stderr, '');
    assert.equal(JSON.parse(json.stdout).rows, rows);
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
    // Options that need no database are refused before connecting: exit 2, naming the option.
    const typo = await runCli(['export', '--format', 'xlsx', '--out', out], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres',
      PARCELWATCH_DB_SCHEMA: schema,
    });
    assert.equal(typo.code, 2, typo.stderr);
    assert.match(typo.stderr, /--format xlsx is not one of csv, parquet, geojson/);
  });
});
