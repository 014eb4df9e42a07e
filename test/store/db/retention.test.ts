import assert from 'node:assert/strict';
import { OBSERVATION_ARCHIVE_COLUMNS } from '../../../src/store/archive/observations-archive';
import type { Database } from '../../../src/store/db/database';
import { readMigrations } from '../../../src/store/db/migrate';
import { type ObservationRow, upsertObservations } from '../../../src/store/db/observations-repo';
import { upsertParcels } from '../../../src/store/db/parcels-repo';
import {
  datasetRetentionDays,
  expiredObservationUnits,
  expiredUnitRows,
  forgetRasterKeys,
  type ObservationCutoffs,
  schemaVersion,
} from '../../../src/store/db/retention';
import {
  createArchivedKeyStage,
  deleteStagedObservations,
  stageArchivedKeys,
} from '../../../src/store/db/retention-delete';
import { inTransaction } from '../../../src/store/db/transaction';
import { insertSceneGroup, keyOf, microIso, observationRow, storedKeys } from '../archive/fixtures';
import { isolatedDatabase } from './isolated-schema';
import { randomParcels } from './test-parcels';

const SCHEMA = 'pw_retention';
/** ndvi keeps rows acquired from 11 May 2024 on; ndmi (its own retention) from 11 April. */
const CUTOFFS: ObservationCutoffs = {
  default: '2024-05-11T00:00:00.000Z',
  byIndex: { ndmi: '2024-04-11T00:00:00.000Z' },
};
const TIMES = [
  '2024-01-20T10:00:00Z',
  '2024-02-20T10:00:00Z',
  '2024-03-15T10:00:00.123456Z',
  '2024-04-20T10:00:00Z',
  '2024-05-10T23:59:59.999999Z',
  '2024-05-11T00:00:00Z',
  '2024-06-01T10:00:00Z',
];

function expired(row: ObservationRow): boolean {
  const cutoff = row.index === 'ndmi' ? CUTOFFS.byIndex.ndmi! : CUTOFFS.default;
  // Compare at microsecond precision, as the database does.
  return microIso(row.acquiredAt) < microIso(cutoff);
}

describe('retention in the database (real PostgreSQL, partitioned observations)', function () {
  this.timeout(120_000);
  let db: Database;
  let rows: ObservationRow[];
  let parcelIds: number[];

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    const box: [number, number, number, number] = [540_000, 5_040_000, 545_000, 5_045_000];
    const low = await upsertParcels(db, randomParcels(2, 7, box, 'low'));
    // Ids past the first block of 10 000 parcels, so the archive splits them apart.
    await db.pool.query("SELECT setval('parcels_id_seq', 10005)");
    const high = await upsertParcels(db, randomParcels(2, 8, box, 'high'));
    parcelIds = [...low.ids, ...high.ids];
    rows = parcelIds.flatMap((id, p) =>
      ['ndvi', 'ndmi'].flatMap((index) =>
        TIMES.map((at, t) =>
          observationRow(id, index, at, t === 2 && p === 0 ? 0.1 + 0.2 : 0.25 + t / 3, {
            flags: t === 3 ? ['buffer-fallback', 'odd "flag", with comma'] : [],
            validFraction: 0.7,
          }),
        ),
      ),
    );
    await upsertObservations(db, rows, { algorithmVersion: 'v1', runId: 'run-1' });
  });
  after(async () => db?.close());

  it('lists expired rows per month, index and block of parcels; a row at the cut-off stays, each index at its own cut-off', async () => {
    const units = await expiredObservationUnits(db, CUTOFFS);
    const want = new Map<string, number>();
    for (const row of rows.filter(expired)) {
      const key = `${row.acquiredAt.slice(0, 7)}|${row.index}|${Math.floor(row.parcelDbId / 10_000)}`;
      want.set(key, (want.get(key) ?? 0) + 1);
    }
    assert.deepEqual(new Map(units.map((u) => [`${u.month}|${u.index}|${u.block}`, u.rows])), want);
    assert.ok(parcelIds.some((id) => id >= 10_000) && parcelIds.some((id) => id < 10_000));
    const may = await expiredObservationUnits(db, CUTOFFS, '2024-05');
    assert.deepEqual(
      may.map((u) => [u.index, u.block, u.rows]),
      [
        ['ndvi', 0, 2],
        ['ndvi', 1, 2],
      ],
      'only the ndvi rows of 10 May are past their cut-off in May',
    );
  });

  it('prints expired rows losslessly: every value, cast back, equals the stored one', async () => {
    const printed = await inTransaction(db.pool, async (client) => [
      ...(await expiredUnitRows(
        client,
        { month: '2024-03', index: 'ndvi', block: 0 },
        CUTOFFS.default,
      )),
      ...(await expiredUnitRows(
        client,
        { month: '2024-04', index: 'ndvi', block: 0 },
        CUTOFFS.default,
      )),
    ]);
    assert.equal(printed.length, 4);
    assert.ok(printed.every((r) => r.length === OBSERVATION_ARCHIVE_COLUMNS.length));
    const col = (name: string) => OBSERVATION_ARCHIVE_COLUMNS.indexOf(name as never);
    const column = (name: string) => printed.map((r) => r[col(name)]);
    const same = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
              AS t(parcel_id, index_name, acquired_at, mean, valid_fraction, flags, computed_at, external_id)
         JOIN parcel_observations o
           ON o.parcel_id = t.parcel_id::bigint AND o.index_name = t.index_name
          AND o.acquired_at = t.acquired_at::timestamptz
         JOIN parcels p ON p.id = o.parcel_id
        WHERE o.mean = t.mean::float8 AND o.valid_fraction = t.valid_fraction::real
          AND o.flags = t.flags::text[] AND o.computed_at = t.computed_at::timestamptz
          AND p.external_id = t.external_id`,
      [
        column('parcel_id'),
        column('index_name'),
        column('acquired_at'),
        column('mean'),
        column('valid_fraction'),
        column('flags'),
        column('computed_at'),
        column('parcel_external_id'),
      ],
    );
    assert.equal(same.rows[0]!.n, 4);
    assert.ok(column('mean').includes(String(0.1 + 0.2)), '0.30000000000000004 keeps every digit');
    assert.ok(column('acquired_at').includes('2024-03-15T10:00:00.123456Z'), 'microseconds kept');
    assert.ok(column('run_id').every((v) => v === 'run-1'));
  });

  it('deletes only staged keys past their cut-off whose computed_at still matches, and counts the expired rows left', async () => {
    const april = await db.pool.query<{
      parcel_id: string;
      index_name: string;
      acquired_at: string;
      computed_at: string;
    }>(
      `SELECT parcel_id::text, index_name,
              to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS acquired_at,
              to_char(computed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS computed_at
         FROM parcel_observations WHERE acquired_at >= '2024-04-01Z' AND acquired_at < '2024-05-01Z'
        ORDER BY 1, 2`,
    );
    // Every April row staged: the ndmi ones are not expired (ndmi keeps from 11 April); one ndvi
    // row is staged with another computed_at (as if computed again since it was archived).
    const keys = april.rows.map((r) => ({
      parcelId: r.parcel_id,
      index: r.index_name,
      acquiredAt: r.acquired_at,
      computedAt: r.computed_at,
    }));
    const stale = april.rows.find((r) => r.index_name === 'ndvi')!;
    keys[april.rows.indexOf(stale)]!.computedAt = '2000-01-01T00:00:00.000000Z';
    const result = await inTransaction(db.pool, async (client) => {
      await createArchivedKeyStage(client);
      await stageArchivedKeys(client, keys);
      return deleteStagedObservations(client, '2024-04', CUTOFFS);
    });
    const aprilNdvi = rows.filter((r) => r.index === 'ndvi' && r.acquiredAt.startsWith('2024-04'));
    assert.deepEqual(result, {
      deleted: aprilNdvi.length - 1,
      partitionDropped: null,
      notArchived: 1,
    });
    const left = (await storedKeys(db)).filter((k) => k.includes('|2024-04-'));
    const staleKey = `${stale.parcel_id}|ndvi|${stale.acquired_at}`;
    const aprilNdmi = rows.filter((r) => r.index === 'ndmi' && r.acquiredAt.startsWith('2024-04'));
    assert.deepEqual(left, [...aprilNdmi.map(keyOf), staleKey].sort());
  });

  it('drops a month partition whose every row is archived and expired, instead of deleting rows', async () => {
    const march = rows.filter((r) => r.acquiredAt.startsWith('2024-03'));
    const result = await inTransaction(db.pool, async (client) => {
      await createArchivedKeyStage(client);
      for (const index of ['ndvi', 'ndmi'])
        for (const block of [0, 1]) {
          const printed = await expiredUnitRows(
            client,
            { month: '2024-03', index, block },
            '2024-04-01T00:00:00Z',
          );
          await stageArchivedKeys(
            client,
            printed.map((r) => ({
              parcelId: r[0]!,
              index: r[3]!,
              acquiredAt: r[4]!,
              computedAt: r[20]!,
            })),
          );
        }
      return deleteStagedObservations(client, '2024-03', CUTOFFS);
    });
    assert.deepEqual(result, {
      deleted: march.length,
      partitionDropped: 'parcel_observations_2024_03',
      notArchived: 0,
    });
    const table = await db.pool.query<{ t: string | null }>(
      "SELECT to_regclass('parcel_observations_2024_03')::text AS t",
    );
    assert.equal(table.rows[0]!.t, null);
    assert.equal((await storedKeys(db)).filter((k) => k.includes('|2024-03-')).length, 0);
  });

  it('keeps a partition holding a row not archived, deleting the archived ones', async () => {
    const february = rows.filter((r) => r.acquiredAt.startsWith('2024-02'));
    const kept = february[0]!;
    const result = await inTransaction(db.pool, async (client) => {
      await createArchivedKeyStage(client);
      await stageArchivedKeys(client, await keysOf(client, '2024-02', [keyOf(kept)]));
      return deleteStagedObservations(client, '2024-02', CUTOFFS);
    });
    assert.deepEqual(result, {
      deleted: february.length - 1,
      partitionDropped: null,
      notArchived: 1,
    });
    assert.deepEqual(
      (await storedKeys(db)).filter((k) => k.includes('|2024-02-')),
      [keyOf(kept)],
    );
  });

  it('deletes rows one by one on a writer connection, which may not drop partitions', async () => {
    const january = rows.filter((r) => r.acquiredAt.startsWith('2024-01'));
    const result = await inTransaction(db.pool, async (client) => {
      await client.query(`SET LOCAL ROLE ${SCHEMA}_writer`);
      await createArchivedKeyStage(client);
      await stageArchivedKeys(client, await keysOf(client, '2024-01', []));
      return deleteStagedObservations(client, '2024-01', CUTOFFS);
    });
    assert.deepEqual(result, { deleted: january.length, partitionDropped: null, notArchived: 0 });
    const table = await db.pool.query<{ t: string | null }>(
      "SELECT to_regclass('parcel_observations_2024_01')::text AS t",
    );
    assert.equal(table.rows[0]!.t, 'parcel_observations_2024_01', 'the partition is still there');
  });

  it('forgets deleted rasters in scene_groups, band by band, in the area given only', async () => {
    const raw = {
      B04: 'raw/33TWL/2024-01-20/S2A_X/g1/B04.tif',
      B08: 'raw/33TWL/2024-01-20/S2A_X/g1/B08.tif',
    };
    const clean = { B04: 'clean/33TWL/2024-01-20/S2A_X/g1/B04.tif' };
    await insertSceneGroup(
      db,
      { id: 'S2A_X', tile: '33TWL', acquiredAt: '2024-01-20T10:00:00Z' },
      1,
      { raw, clean },
    );
    assert.equal(await forgetRasterKeys(db, 'raw', ['S2A_X'], [raw.B04, clean.B04]), 1);
    const state = await db.pool.query(
      'SELECT raw_keys, clean_keys FROM scene_groups WHERE scene_id = $1',
      ['S2A_X'],
    );
    assert.deepEqual(state.rows[0], { raw_keys: { B08: raw.B08 }, clean_keys: clean });
    assert.equal(
      await forgetRasterKeys(db, 'raw', ['S2A_X'], [raw.B04]),
      0,
      'nothing left to forget',
    );
  });

  it("reads per-index retention from the datasets named like an index, and the schema's version", async () => {
    assert.deepEqual(await datasetRetentionDays(db), {});
    await db.pool.query("UPDATE datasets SET retention_days = 400 WHERE name = 'ndmi'");
    // The weekly table and the archive are never purged: their retention is not an index's.
    await db.pool.query(
      "UPDATE datasets SET retention_days = 30 WHERE name IN ('weekly', 'observations-archive')",
    );
    assert.deepEqual(await datasetRetentionDays(db), { ndmi: 400 });
    const tags = (await readMigrations()).map((m) => m.tag);
    assert.equal(await schemaVersion(db), tags[tags.length - 1]);
  });
});

/** The archived keys of a month's rows, all but the given ones (`keyOf` form). */
async function keysOf(
  client: import('pg').PoolClient,
  month: string,
  except: string[],
): Promise<Array<{ parcelId: string; index: string; acquiredAt: string; computedAt: string }>> {
  const rows = await client.query<{ p: string; i: string; a: string; c: string }>(
    `SELECT parcel_id::text AS p, index_name AS i,
            to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS a,
            to_char(computed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c
       FROM parcel_observations
      WHERE to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM') = $1`,
    [month],
  );
  return rows.rows
    .filter((r) => !except.includes(`${r.p}|${r.i}|${r.a}`))
    .map((r) => ({ parcelId: r.p, index: r.i, acquiredAt: r.a, computedAt: r.c }));
}
