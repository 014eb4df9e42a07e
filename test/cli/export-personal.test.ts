import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { assertPersonalExportAllowed } from '../../src/cli/commands/export';
import { ConfigError } from '../../src/core/errors';
import { type AuditRecord, listAudit } from '../../src/store/db/audit-log';
import { searchPath } from '../../src/store/db/connection';
import type { Database } from '../../src/store/db/database';
import { roleNames } from '../../src/store/db/roles';
import { exportChunks } from '../../src/store/exports/export';
import { seedSeries } from '../api/seed';
import { personalValuesIn, type SeededPersonalData, seedPersonalData } from '../api/seed-personal';
import { runCli } from '../helpers/cli';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { csvHeaderOf, parseCsvWithPython, readParquet } from '../store/exports/readers';

const ACTION = 'export.personal-data';
const ACTOR = 'privacy-officer';

type Personal = { holderName: string | null; fields: Record<string, string> } | null;

describe('parcelwatch export --include-personal (CLI, real PostgreSQL)', function () {
  this.timeout(300_000);
  const schema = 'pw_cli_export_personal';
  let db: Database & { url: string };
  let dir: string;
  let env: Record<string, string>;
  let personal: SeededPersonalData;
  let parcelIds: number[];
  let watchedIds: number[];

  before(async () => {
    db = await isolatedDatabase(schema);
    const seeded = await seedSeries(db, { parcelsPerSource: 4, acquisitions: 12, seed: 43 });
    ({ parcelIds, watchedIds } = seeded);
    // Holders on src-a p0 (watched), src-a p1 (unwatched) and src-b p0 (watched); src-a p2 erased.
    personal = await seedPersonalData(db, [
      parcelIds[0]!,
      parcelIds[1]!,
      parcelIds[4]!,
      parcelIds[2]!,
    ]);
    dir = await mkdtemp(path.join(tmpdir(), 'pw-cli-export-personal-'));
    env = { DATABASE_URL: db.url, PARCELWATCH_DB_SCHEMA: schema, PARCELWATCH_ACTOR: ACTOR };
  });
  after(async () => {
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs `parcelwatch export` into `name` in the scratch folder: the result and the file's path. */
  async function exportFile(name: string, args: string[]) {
    const out = path.join(dir, name);
    const result = await runCli(['export', '--out', out, ...args], env);
    return { ...result, out };
  }

  /** What parcel_personal_data holds for a parcel, as an export carries it (null: none). */
  const expectedFor = (parcelId: number): Personal => personal.byParcel.get(parcelId) ?? null;

  async function personalAudits(): Promise<AuditRecord[]> {
    return listAudit(db, { action: ACTION });
  }

  it('leaves every personal value out of CSV, Parquet and GeoJSON without the flag, and records nothing', async () => {
    const csv = await exportFile('plain.csv', ['--format', 'csv', '--json']);
    assert.equal(csv.code, 0, csv.stderr);
    const csvText = await readFile(csv.out, 'utf8');
    assert.ok(!csvHeaderOf(csvText).includes('personal_data'));
    assert.deepEqual(personalValuesIn(csvText, personal.values), []);
    assert.equal(JSON.parse(csv.stdout).personalData, undefined);
    assert.equal(csv.stderr, '');

    const parquet = await exportFile('plain.parquet', ['--format', 'parquet', '--kind', 'weekly']);
    assert.equal(parquet.code, 0, parquet.stderr);
    const table = await readParquet(new Uint8Array(await readFile(parquet.out)));
    assert.ok(table.rows.length > 0);
    assert.ok(!table.columns.includes('personal_data'));
    assert.equal(table.metadata['parcelwatch.personal-data'], undefined);
    assert.deepEqual(personalValuesIn(jsonText(table), personal.values), []);

    const geojson = await exportFile('plain.geojson', ['--format', 'geojson', '--index', 'ndvi']);
    assert.equal(geojson.code, 0, geojson.stderr);
    const geojsonText = await readFile(geojson.out, 'utf8');
    const collection = JSON.parse(geojsonText);
    assert.equal(collection.features.length, parcelIds.length);
    for (const f of collection.features) assert.ok(!('personalData' in f.properties));
    assert.deepEqual(personalValuesIn(geojsonText, personal.values), []);

    // Default file permissions, and no audit row: nothing personal went out.
    assert.notEqual((await stat(csv.out)).mode & 0o777, 0o600);
    assert.deepEqual(await personalAudits(), []);
  });

  it("adds a personal_data column to CSV rows holding each parcel's personal data as stored, the rest unchanged", async () => {
    const selection = ['--source', 'src-a', '--index', 'ndvi'];
    const plain = await exportFile('a.csv', ['--format', 'csv', ...selection, '--json']);
    const withData = await exportFile('a-personal.csv', [
      '--format',
      'csv',
      ...selection,
      '--include-personal',
      '--json',
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(withData.code, 0, withData.stderr);
    const plainText = await readFile(plain.out, 'utf8');
    const text = await readFile(withData.out, 'utf8');
    assert.deepEqual(csvHeaderOf(text), [...csvHeaderOf(plainText), 'personal_data']);

    const rows = parseCsvWithPython(text);
    const plainRows = parseCsvWithPython(plainText);
    assert.equal(rows.length, plainRows.length);
    const seen = new Set<number>();
    rows.forEach((row, i) => {
      const { personal_data: cell, ...rest } = row;
      assert.deepEqual(rest, plainRows[i]);
      const id = Number(row.parcel_id);
      const expected = expectedFor(id);
      assert.deepEqual(cell === '' ? null : JSON.parse(cell!), expected, `parcel ${id}`);
      if (expected) seen.add(id);
    });
    // src-a's two holders, with quotes, a comma and a line break read back intact; the erased
    // record and the parcel without any give empty cells.
    assert.deepEqual([...seen].sort(), [parcelIds[0]!, parcelIds[1]!].sort());
    assert.ok(rows.some((r) => Number(r.parcel_id) === personal.erasedParcelId));
    assert.ok(rows.some((r) => r.personal_data?.startsWith('{"holderName":"Quirina Xylander"')));

    const summary = JSON.parse(withData.stdout);
    assert.equal(summary.personalData, true);
    assert.equal(summary.personalDataParcels, 2);
    assert.equal(summary.rows, rows.length);
    // One line on stderr (nothing of it on stdout), no personal value in either.
    assert.equal(withData.stderr.trimEnd().split('\n').length, 1, withData.stderr);
    assert.match(withData.stderr, /a-personal\.csv holds the personal data .* of 2 parcels/);
    assert.deepEqual(personalValuesIn(withData.stdout + withData.stderr, personal.values), []);
    assert.equal((await stat(withData.out)).mode & 0o777, 0o600);
  });

  it('adds a personal_data column to the weekly Parquet, null where a parcel has none, and marks the file', async () => {
    const plain = await exportFile('weekly.parquet', ['--format', 'parquet', '--kind', 'weekly']);
    const withData = await exportFile('weekly-personal.parquet', [
      '--format',
      'parquet',
      '--kind',
      'weekly',
      '--include-personal',
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(withData.code, 0, withData.stderr);
    const before = await readParquet(new Uint8Array(await readFile(plain.out)));
    const table = await readParquet(new Uint8Array(await readFile(withData.out)));
    assert.deepEqual(table.columns, [...before.columns, 'personal_data']);
    assert.equal(table.metadata['parcelwatch.personal-data'], 'included');
    assert.equal(table.metadata['parcelwatch.selection'], before.metadata['parcelwatch.selection']);
    assert.equal(table.rows.length, before.rows.length);
    const seen = new Set<number>();
    table.rows.forEach((row, i) => {
      const { personal_data: cell, ...rest } = row;
      assert.deepEqual(rest, before.rows[i]);
      const id = Number(row.parcel_id);
      assert.deepEqual(cell === null ? null : JSON.parse(cell as string), expectedFor(id));
      if (cell !== null) seen.add(id);
    });
    // Weekly rows are the watched parcels': the unwatched holder's data does not go out.
    const expectedParcels = [...personal.byParcel.keys()].filter((id) => watchedIds.includes(id));
    assert.deepEqual([...seen].sort(), expectedParcels.sort());
    assert.match(withData.stderr, new RegExp(`of ${expectedParcels.length} parcels`));
    assert.match(withData.stdout, /^wrote .*weekly-personal\.parquet: [\d,]+ rows, /);
  });

  it('adds a personalData property to every GeoJSON feature, null where a parcel has none', async () => {
    const plain = await exportFile('latest.geojson', ['--format', 'geojson', '--index', 'ndmi']);
    const withData = await exportFile('latest-personal.geojson', [
      '--format',
      'geojson',
      '--index',
      'ndmi',
      '--include-personal',
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(withData.code, 0, withData.stderr);
    const before = JSON.parse(await readFile(plain.out, 'utf8'));
    const collection = JSON.parse(await readFile(withData.out, 'utf8'));
    assert.equal(collection.features.length, parcelIds.length);
    collection.features.forEach(
      (f: { id: number; properties: Record<string, unknown> }, i: number) => {
        const { personalData, ...properties } = f.properties;
        assert.deepEqual(personalData, expectedFor(f.id), `parcel ${f.id}`);
        assert.deepEqual({ ...f, properties }, before.features[i]);
      },
    );
    assert.match(withData.stderr, new RegExp(`of ${personal.byParcel.size} parcels`));
  });

  it('records each export with personal data in the audit log: who, file, format, options, counts, never a value', async () => {
    const audits = await personalAudits();
    // The three exports above with the flag, newest first.
    assert.deepEqual(
      audits.map((a) => [a.actor, a.target, a.details.format, a.details.parcelsWithPersonalData]),
      [
        [`cli:${ACTOR}`, path.join(dir, 'latest-personal.geojson'), 'geojson', 3],
        [`cli:${ACTOR}`, path.join(dir, 'weekly-personal.parquet'), 'parquet', 2],
        [`cli:${ACTOR}`, path.join(dir, 'a-personal.csv'), 'csv', 2],
      ],
    );
    assert.deepEqual(audits[0]!.details.options, { index: 'ndmi' });
    assert.deepEqual(audits[1]!.details.options, { kind: 'weekly' });
    assert.deepEqual(audits[2]!.details.options, {
      source: 'src-a',
      index: 'ndvi',
      kind: 'observations',
    });
    assert.equal(audits[0]!.details.rows, parcelIds.length);
    assert.equal(audits[0]!.environment, schema);
    assert.deepEqual(personalValuesIn(JSON.stringify(audits), personal.values), []);
  });

  it('records the selection options as given, and counts a parcel once however its rows are paged', async () => {
    const run = await exportFile('selected.csv', [
      '--format',
      'csv',
      '--where',
      'farm!=F9',
      '--watched',
      '--from',
      '2024-03-01',
      '--to',
      '2024-W20',
      '--include-personal',
      '--no-progress',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const [audit] = await personalAudits();
    assert.deepEqual(audit!.details.options, {
      where: ['farm!=F9'],
      watched: true,
      kind: 'observations',
      from: '2024-03-01',
      to: '2024-W20',
    });
    assert.equal(audit!.details.parcelsWithPersonalData, 2);
    assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);

    // Pages of 7 rows split every parcel's rows; each parcel still counts once.
    let counted = 0;
    let pages = 0;
    const chunks = exportChunks(
      db,
      {
        format: 'csv',
        selection: { parcels: {}, time: {}, kind: 'observations' },
        personalData: true,
      },
      {
        batchRows: 7,
        onPersonalData: (n) => {
          counted = n;
          pages += 1;
        },
      },
    );
    for await (const chunk of chunks) assert.ok(chunk.length > 0);
    assert.ok(pages > 20, `${pages} pages`);
    assert.equal(counted, personal.byParcel.size);
  });

  it('leaves no file and no audit row when the audit row cannot be written', async () => {
    const count = (await personalAudits()).length;
    await db.pool.query(`
      CREATE FUNCTION refuse_personal_export() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit log is full (test)'; END $$;
      CREATE TRIGGER refuse_personal_export BEFORE INSERT ON audit_log
        FOR EACH ROW WHEN (NEW.action = 'export.personal-data')
        EXECUTE FUNCTION refuse_personal_export();`);
    try {
      for (const format of ['csv', 'parquet', 'geojson']) {
        const run = await exportFile(`refused.${format}`, [
          '--format',
          format,
          '--include-personal',
          '--json',
        ]);
        assert.equal(run.code, 1, run.stderr);
        assert.match(
          run.stderr,
          /refused\.\w+ was not written: recording the export of personal data in the audit log failed: audit log is full \(test\)/,
        );
        assert.equal(run.stdout, '');
        assert.equal(existsSync(run.out), false);
      }
      // No temporary file is left either.
      assert.deepEqual(
        (await readdir(dir)).filter((name) => name.includes('refused')),
        [],
      );
    } finally {
      await db.pool.query(`DROP TRIGGER refuse_personal_export ON audit_log;
        DROP FUNCTION refuse_personal_export();`);
    }
    assert.equal((await personalAudits()).length, count);
  });

  it('refuses the flag, before writing anything, to a role that may not read personal data', async () => {
    const reader = roleNames(schema).reader;
    const pool = new Pool({
      connectionString: db.url,
      max: 1,
      options: `-c search_path=${searchPath(schema).replace(/ /g, '')} -c role=${reader}`,
    });
    try {
      const asReader = { ...db, pool, close: () => pool.end() };
      await assert.rejects(
        assertPersonalExportAllowed(asReader),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.code === 'PERSONAL_DATA_FORBIDDEN' &&
          e.message.includes(
            `--include-personal reads parcel_personal_data, which database role ${reader} may not read`,
          ),
      );
      // The writer's connection (the CLI's) passes.
      await assertPersonalExportAllowed(db);
    } finally {
      await pool.end();
    }
  });

  it('documents the flag in --help with an example', async () => {
    const help = await runCli(['export', '--help'], env);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--include-personal/);
    assert.match(help.stdout, /\$ parcelwatch export .*--include-personal/);
    assert.match(help.stdout, /export\.personal-data/);
  });
});

/** A read-back Parquet table as text, bigints included, to search for values. */
function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? String(v) : v));
}
