import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileAtomically } from '../../../src/core/atomic-file';
import type { Polygon } from '../../../src/core/geo/types';
import type { Database } from '../../../src/store/db/database';
import type { ParcelSelector } from '../../../src/store/db/parcel-selector';
import {
  countExportRows,
  type ExportRequest,
  exportChunks,
} from '../../../src/store/exports/export';
import { EXPORT_BATCH_ROWS } from '../../../src/store/exports/series-reads';
import { type Seeded, seedSeries } from '../../api/seed';
import {
  isoWeekLabels,
  type StoredObservation,
  type StoredWeekly,
  storedObservations,
  storedWeekly,
} from '../../api/truth';
import { isolatedDatabase } from '../db/isolated-schema';
import { csvHeaderOf, parseCsvWithPython, readParquet } from './readers';

const OBSERVATION_HEADER = [
  'parcel_id',
  'source',
  'external_id',
  'index',
  'acquired_at',
  'scene_id',
  'mean',
  'median',
  'std',
  'min',
  'max',
  'p10',
  'p90',
  'valid_pixels',
  'total_pixels',
  'valid_fraction',
  'status',
  'flags',
  'algorithm_version',
  'run_id',
  'computed_at',
];
const WEEKLY_HEADER = [
  'parcel_id',
  'source',
  'external_id',
  'index',
  'week',
  'week_start',
  'value',
  'observation_count',
  'status',
  'run_id',
  'updated_at',
];
const NUMBERS = new Set([
  'parcel_id',
  'mean',
  'median',
  'std',
  'min',
  'max',
  'p10',
  'p90',
  'valid_pixels',
  'total_pixels',
  'valid_fraction',
  'value',
  'observation_count',
]);
const NULLABLE = new Set(['mean', 'median', 'std', 'min', 'max', 'p10', 'p90', 'run_id', 'value']);

/** A CSV row (strings) typed back: numbers parsed, empty nullable cells null, flags split on `;`. */
function typed(row: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([name, cell]) => {
      if (NULLABLE.has(name) && cell === '') return [name, null];
      if (NUMBERS.has(name)) return [name, Number(cell)];
      if (name === 'flags') return [name, cell === '' ? [] : cell.split(';')];
      return [name, cell];
    }),
  );
}

/** A Parquet row typed like the stored rows: bigint ids, Date instants and days back to text. */
function fromParquet(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([name, value]) => {
      if (typeof value === 'bigint') return [name, Number(value)];
      if (value instanceof Date) {
        return [
          name,
          name === 'week_start' ? value.toISOString().slice(0, 10) : value.toISOString(),
        ];
      }
      return [name, value];
    }),
  );
}

async function collect(db: Database, request: ExportRequest, options = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of exportChunks(db, request, options)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('exports: CSV, Parquet and GeoJSON of what the database holds (real PostgreSQL)', function () {
  this.timeout(300_000);
  let db: Database;
  let seeded: Seeded;
  let observations: StoredObservation[];
  let weekly: Array<StoredWeekly & { week: string }>;

  before(async () => {
    db = await isolatedDatabase('pw_exports');
    // 50 parcels × 2 indices × 55 acquisitions = 5 500 observations: more than one page.
    seeded = await seedSeries(db, { parcelsPerSource: 25, acquisitions: 55, seed: 17 });
    observations = await storedObservations(db);
    const stored = await storedWeekly(db);
    const labels = isoWeekLabels(stored.map((w) => w.week_start));
    weekly = stored.map((w) => ({ ...w, week: labels.get(w.week_start)! }));
  });
  after(async () => db?.close());

  const everything = { parcels: {}, time: {} };

  it('writes every observation as RFC 4180 CSV that Python reads back to the same values', async () => {
    assert.ok(observations.length > EXPORT_BATCH_ROWS, `${observations.length} rows`);
    let reported = 0;
    const bytes = await collect(
      db,
      { format: 'csv', selection: { ...everything, kind: 'observations' } },
      {
        onRows: (n: number) => {
          reported = n;
        },
      },
    );
    const text = bytes.toString('utf8');
    assert.deepEqual(csvHeaderOf(text), OBSERVATION_HEADER);
    assert.ok(text.endsWith('\r\n'));
    const rows = parseCsvWithPython(text).map(typed);
    assert.equal(rows.length, observations.length);
    assert.deepEqual(rows, observations);
    assert.equal(reported, observations.length);
  });

  it('writes the weekly series as CSV, page after page, read back to the same values', async () => {
    const bytes = await collect(
      db,
      { format: 'csv', selection: { ...everything, kind: 'weekly' } },
      { batchRows: 300 },
    );
    const text = bytes.toString('utf8');
    assert.deepEqual(csvHeaderOf(text), WEEKLY_HEADER);
    const rows = parseCsvWithPython(text).map(typed);
    assert.ok(weekly.length > 300 * 3);
    assert.deepEqual(
      rows,
      weekly
        .map(({ week, ...w }) => ({ ...w, week }))
        .map((w) => ({
          parcel_id: w.parcel_id,
          source: w.source,
          external_id: w.external_id,
          index: w.index,
          week: w.week,
          week_start: w.week_start,
          value: w.value,
          observation_count: w.observation_count,
          status: w.status,
          run_id: w.run_id,
          updated_at: w.updated_at,
        })),
    );
  });

  it('writes Parquet in bounded row groups that hyparquet reads back to the same values', async () => {
    const bytes = await collect(
      db,
      { format: 'parquet', selection: { ...everything, kind: 'observations' } },
      { rowGroupRows: 1_000 },
    );
    const parquet = await readParquet(bytes);
    assert.deepEqual(parquet.columns, OBSERVATION_HEADER);
    assert.deepEqual(parquet.rowGroups, [...Array(5).fill(1_000), observations.length - 5_000]);
    assert.equal(JSON.parse(parquet.metadata['parcelwatch.selection']!).kind, 'observations');
    assert.deepEqual(parquet.rows.map(fromParquet), observations);
  });

  it('writes the weekly series as Parquet (dates as DATE) read back to the same values', async () => {
    const bytes = await collect(db, {
      format: 'parquet',
      selection: { ...everything, kind: 'weekly' },
    });
    const parquet = await readParquet(bytes);
    assert.deepEqual(parquet.columns, WEEKLY_HEADER);
    assert.deepEqual(
      parquet.rows.map(fromParquet),
      weekly.map((w) => ({
        parcel_id: w.parcel_id,
        source: w.source,
        external_id: w.external_id,
        index: w.index,
        week: w.week,
        week_start: w.week_start,
        value: w.value,
        observation_count: w.observation_count,
        status: w.status,
        run_id: w.run_id,
        updated_at: w.updated_at,
      })),
    );
  });

  it('exports only the selection: parcels, indices, and the time range (whole days, weeks that meet it)', async () => {
    const some = seeded.parcelIds.slice(3, 6);
    const csv = await collect(db, {
      format: 'csv',
      selection: {
        parcels: { ids: some },
        indices: ['ndvi'],
        time: { from: '2024-03-11T00:00:00.000Z', to: '2024-04-11T00:00:00.000Z' },
        kind: 'observations',
      },
    });
    const expected = observations.filter(
      (o) =>
        some.includes(o.parcel_id) &&
        o.index === 'ndvi' &&
        o.acquired_at >= '2024-03-11' &&
        o.acquired_at < '2024-04-11',
    );
    assert.equal(expected.length, 3 * 7);
    assert.deepEqual(parseCsvWithPython(csv.toString()).map(typed), expected);

    // Weeks meeting [Wed 2024-03-13, Wed 2024-03-27): Mondays 03-11, 03-18 and 03-25.
    const weeks = await collect(db, {
      format: 'parquet',
      selection: {
        parcels: { source: 'src-b', watched: true },
        time: { from: '2024-03-13T00:00:00.000Z', to: '2024-03-27T00:00:00.000Z' },
        kind: 'weekly',
      },
    });
    const rows = (await readParquet(weeks)).rows.map(fromParquet);
    assert.deepEqual([...new Set(rows.map((r) => r.week_start))].sort(), [
      '2024-03-11',
      '2024-03-18',
      '2024-03-25',
    ]);
    const srcB = weekly.filter(
      (w) =>
        w.source === 'src-b' && ['2024-03-11', '2024-03-18', '2024-03-25'].includes(w.week_start),
    );
    assert.equal(rows.length, srcB.length);
  });

  it('writes a valid header-only CSV and an empty Parquet file for an empty selection', async () => {
    const selection = { parcels: { source: 'nobody' }, time: {}, kind: 'observations' as const };
    const csv = await collect(db, { format: 'csv', selection });
    assert.equal(csv.toString(), `${OBSERVATION_HEADER.join(',')}\r\n`);
    const parquet = await readParquet(await collect(db, { format: 'parquet', selection }));
    assert.deepEqual(parquet.rows, []);
    assert.deepEqual(parquet.columns, OBSERVATION_HEADER);
  });

  it('quotes fields holding commas, quotes and line breaks so they read back intact', async () => {
    await db.pool.query(`UPDATE parcels SET external_id = $1 WHERE id = $2`, [
      'odd, "quoted"\r\nid',
      seeded.parcelIds[0],
    ]);
    try {
      const csv = await collect(db, {
        format: 'csv',
        selection: { parcels: { ids: [seeded.parcelIds[0]!] }, time: {}, kind: 'observations' },
      });
      const rows = parseCsvWithPython(csv.toString());
      assert.equal(rows.length, 110);
      assert.ok(rows.every((r) => r.external_id === 'odd, "quoted"\r\nid'));
    } finally {
      await db.pool.query('UPDATE parcels SET external_id = $1 WHERE id = $2', [
        'src-a-p-0',
        seeded.parcelIds[0],
      ]);
    }
  });

  it('streams the GeoJSON of latest values page by page into one valid FeatureCollection', async () => {
    const latest = { parcels: {}, index: 'ndvi', time: {} };
    const paged = await collect(db, { format: 'geojson', latest }, { batchRows: 7 });
    const whole = await collect(db, { format: 'geojson', latest }, { batchRows: 1_000 });
    assert.equal(paged.toString(), whole.toString());
    const collection = JSON.parse(paged.toString());
    assert.equal(collection.type, 'FeatureCollection');
    assert.deepEqual(
      collection.features.map((f: { id: number }) => f.id),
      [...seeded.parcelIds].sort((a, b) => a - b),
    );
    const empty = await collect(db, {
      format: 'geojson',
      latest: { ...latest, parcels: { source: 'nobody' } },
    });
    assert.deepEqual(JSON.parse(empty.toString()), {
      type: 'FeatureCollection',
      index: 'ndvi',
      features: [],
    });
  });

  it('writes a file whole or not at all, leaving an earlier file untouched when the export fails', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-export-'));
    try {
      const file = path.join(dir, 'out.csv');
      await writeFile(file, 'earlier');
      async function* failing(): AsyncGenerator<Buffer> {
        yield Buffer.from('half a file');
        throw new Error('database went away');
      }
      await assert.rejects(writeFileAtomically(file, failing()), /database went away/);
      assert.equal(await readFile(file, 'utf8'), 'earlier');
      assert.deepEqual(await readdir(dir), ['out.csv']);
      const bytes = await writeFileAtomically(
        file,
        exportChunks(db, {
          format: 'csv',
          selection: { parcels: { ids: [seeded.parcelIds[1]!] }, time: {}, kind: 'weekly' },
        }),
      );
      const text = await readFile(file, 'utf8');
      assert.equal(bytes, Buffer.byteLength(text));
      assert.ok(text.startsWith('parcel_id,'));
      assert.deepEqual(await readdir(dir), ['out.csv']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts, before writing, exactly the rows and features a selection exports as CSV, Parquet and GeoJSON', async () => {
    const [x0, y0, x1, y1] = (
      await db.pool.query<{ x0: number; y0: number; x1: number; y1: number }>(
        'SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1 FROM (SELECT ST_Extent(geom) e FROM parcels) s',
      )
    ).rows.map((r) => [r.x0, r.y0, r.x1, r.y1])[0]!;
    // The west half of the parcels' extent, as a box and as an area.
    const midLon = (x0 + x1) / 2;
    const westHalf: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [x0 - 0.01, y0 - 0.01],
          [midLon, y0 - 0.01],
          [midLon, y1 + 0.01],
          [x0 - 0.01, y1 + 0.01],
          [x0 - 0.01, y0 - 0.01],
        ],
      ],
    };
    const selectors: ParcelSelector[] = [
      {},
      { source: 'src-a', where: [{ field: 'crop', op: '=', value: 'wheat' }] },
      { where: [{ field: 'farm', op: '!=', value: 'F1' }], watched: false },
      { bbox: [x0 - 0.01, y0 - 0.01, midLon, y1 + 0.01], externalIds: ['src-b-p-2', 'src-a-p-5'] },
      { within: westHalf, watched: true },
      { source: 'nobody' },
    ];
    const counts = new Set<number>();
    for (const parcels of selectors) {
      const time = { from: '2024-03-20T00:00:00.000Z', to: '2024-05-01T00:00:00.000Z' };
      const requests: ExportRequest[] = [
        { format: 'csv', selection: { parcels, indices: ['ndvi'], time, kind: 'observations' } },
        { format: 'parquet', selection: { parcels, time, kind: 'weekly' } },
        { format: 'geojson', latest: { parcels, index: 'ndmi', time } },
      ];
      for (const request of requests) {
        const counted = await countExportRows(db, request);
        const bytes = await collect(db, request, { batchRows: 97 });
        const written =
          request.format === 'csv'
            ? parseCsvWithPython(bytes.toString()).length
            : request.format === 'parquet'
              ? (await readParquet(bytes)).rows.length
              : JSON.parse(bytes.toString()).features.length;
        assert.equal(counted, written, `${request.format} ${JSON.stringify(parcels)}`);
        counts.add(counted);
      }
    }
    // Not one number for everything: the selections and formats give different counts.
    assert.ok(counts.size >= 8, [...counts].join(', '));
    assert.ok(counts.has(0));
  });
});
