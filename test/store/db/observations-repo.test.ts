import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { BadInputError } from '../../../src/core/errors';
import type { Database } from '../../../src/store/db/database';
import { assignGroups } from '../../../src/store/db/groups';
import {
  type ObservationRow,
  parcelsMissingObservations,
  upsertObservations,
} from '../../../src/store/db/observations-repo';
import { upsertParcels, watchParcels } from '../../../src/store/db/parcels-repo';
import { isolatedDatabase } from './isolated-schema';
import { randomParcels } from './test-parcels';

const SCENE = 'S2B_33TWL_20230820_0_L2A';
const ACQUIRED = '2023-08-20T10:00:29.024Z';
const INDICES = ['ndvi', 'ndmi'];

function observation(
  parcelDbId: number,
  index: string,
  mean: number | null,
  at: { sceneId?: string; acquiredAt?: string } = {},
): ObservationRow {
  const stats = mean === null;
  return {
    parcel: 0,
    parcelId: `p${parcelDbId}`,
    parcelDbId,
    index,
    acquiredAt: at.acquiredAt ?? ACQUIRED,
    sceneId: at.sceneId ?? SCENE,
    mean,
    median: stats ? null : mean,
    std: stats ? null : 0.05,
    min: stats ? null : (mean ?? 0) - 0.1,
    max: stats ? null : (mean ?? 0) + 0.1,
    p10: stats ? null : (mean ?? 0) - 0.08,
    p90: stats ? null : (mean ?? 0) + 0.08,
    validPixels: stats ? 0 : 75,
    totalPixels: 100,
    validFraction: stats ? 0 : 0.75,
    status: stats ? 'cloudy' : 'ok',
    flags: [],
  };
}

describe('observations repository (real PostgreSQL, partitioned table)', function () {
  this.timeout(180_000);
  let db: Database;
  let groupId: number;
  let parcelIds: number[];
  let watched: number[];

  before(async () => {
    db = await isolatedDatabase('pw_obs');
    const { ids } = await upsertParcels(
      db,
      randomParcels(6, 3, [540_000, 5_040_000, 545_000, 5_045_000], 'obs'),
    );
    parcelIds = ids;
    watched = ids.slice(0, 4);
    await assignGroups(db, { maxParcels: 5_000 });
    await watchParcels(db, { ids: watched }, true);
    const g = await db.pool.query<{ id: string }>('SELECT id FROM parcel_groups');
    assert.equal(g.rows.length, 1);
    groupId = Number(g.rows[0].id);
  });
  after(async () => db?.close());

  const all = () =>
    watched.flatMap((id, k) => INDICES.map((index) => observation(id, index, 0.1 * k)));

  it('writes new observations, then nothing when the same values come again', async () => {
    const first = await upsertObservations(db, all(), { algorithmVersion: 'v1', runId: 'run-1' });
    assert.deepEqual(first, { rows: 8, written: 8, unchanged: 0 });
    const before = await db.pool.query(
      'SELECT parcel_id, index_name, computed_at, run_id FROM parcel_observations ORDER BY 1, 2',
    );
    const second = await upsertObservations(db, all(), { algorithmVersion: 'v1', runId: 'run-2' });
    assert.deepEqual(second, { rows: 8, written: 0, unchanged: 8 });
    const after = await db.pool.query(
      'SELECT parcel_id, index_name, computed_at, run_id FROM parcel_observations ORDER BY 1, 2',
    );
    assert.deepEqual(after.rows, before.rows);
  });

  it('rewrites only a row whose value changed, and every row when the algorithm version changes', async () => {
    const changed = all().map((row) =>
      row.parcelDbId === watched[2] && row.index === 'ndmi' ? { ...row, p90: 0.99 } : row,
    );
    assert.equal(
      (await upsertObservations(db, changed, { algorithmVersion: 'v1', runId: 'run-3' })).written,
      1,
    );
    const runs = await db.pool.query<{ run_id: string; n: number }>(
      'SELECT run_id, count(*)::int AS n FROM parcel_observations GROUP BY run_id ORDER BY run_id',
    );
    assert.deepEqual(runs.rows, [
      { run_id: 'run-1', n: 7 },
      { run_id: 'run-3', n: 1 },
    ]);
    assert.equal(
      (await upsertObservations(db, changed, { algorithmVersion: 'v2', runId: 'run-4' })).written,
      8,
    );
  });

  it('keeps flags, null statistics of a cloudy parcel, and lets the last of repeated keys win', async () => {
    const flagged = {
      ...observation(parcelIds[4], 'ndvi', 0.4),
      flags: ['buffer-fallback', 'offset-suspect'],
    };
    const cloudy = observation(parcelIds[5], 'ndvi', null);
    const result = await upsertObservations(
      db,
      [observation(parcelIds[4], 'ndvi', 0.1), flagged, cloudy],
      {
        algorithmVersion: 'v2',
      },
    );
    assert.deepEqual(result, { rows: 2, written: 2, unchanged: 0 });
    const rows = await db.pool.query<{
      parcel_id: string;
      mean: number | null;
      flags: string[];
      status: string;
      run_id: null;
    }>(
      'SELECT parcel_id, mean, flags, status, run_id FROM parcel_observations WHERE parcel_id = ANY($1) ORDER BY parcel_id',
      [parcelIds.slice(4)],
    );
    assert.deepEqual(rows.rows, [
      {
        parcel_id: String(parcelIds[4]),
        mean: 0.4,
        flags: ['buffer-fallback', 'offset-suspect'],
        status: 'ok',
        run_id: null,
      },
      { parcel_id: String(parcelIds[5]), mean: null, flags: [], status: 'cloudy', run_id: null },
    ]);
  });

  it('creates the monthly partition of a far month and stores the row in it', async () => {
    const far = '2019-03-15T10:20:31Z';
    const exists = async () =>
      (
        await db.pool.query<{ t: string | null }>(
          "SELECT to_regclass('pw_obs.parcel_observations_2019_03')::text AS t",
        )
      ).rows[0].t;
    assert.equal(await exists(), null);
    await upsertObservations(
      db,
      [
        observation(watched[0], 'ndvi', 0.3, {
          acquiredAt: far,
          sceneId: 'S2A_33TWL_20190315_0_L2A',
        }),
      ],
      {
        algorithmVersion: 'v2',
      },
    );
    assert.equal(await exists(), 'parcel_observations_2019_03');
    const where = await db.pool.query<{ part: string }>(
      'SELECT tableoid::regclass::text AS part FROM parcel_observations WHERE acquired_at = $1',
      [far],
    );
    assert.deepEqual(where.rows, [{ part: 'parcel_observations_2019_03' }]);
  });

  it('names the parcels of a group lacking a current observation of an acquisition', async () => {
    const scene = 'S2A_33TWL_20230825_0_L2A';
    const acquiredAt = '2023-08-25T10:00:31Z';
    const missing = (overrides: Partial<Parameters<typeof parcelsMissingObservations>[1]> = {}) =>
      parcelsMissingObservations(db, {
        groupId,
        sceneId: scene,
        acquiredAt,
        indices: INDICES,
        algorithmVersion: 'v2',
        watchedOnly: true,
        ...overrides,
      });
    // Nothing yet: every watched parcel, none of the unwatched.
    assert.deepEqual(
      await missing(),
      [...watched].sort((a, b) => a - b),
    );
    const at = { sceneId: scene, acquiredAt };
    // Parcel 0 gets NDVI only, parcel 1 both: parcel 0 still lacks NDMI.
    await upsertObservations(
      db,
      [
        observation(watched[0], 'ndvi', 0.5, at),
        observation(watched[1], 'ndvi', 0.5, at),
        observation(watched[1], 'ndmi', 0.2, at),
      ],
      { algorithmVersion: 'v2' },
    );
    assert.deepEqual(
      await missing(),
      [watched[0], watched[2], watched[3]].sort((a, b) => a - b),
    );
    await upsertObservations(
      db,
      watched.flatMap((id) => INDICES.map((index) => observation(id, index, 0.5, at))),
      { algorithmVersion: 'v2' },
    );
    assert.deepEqual(await missing(), []);
    // Another algorithm version, or a reprocessed item of the same acquisition: all again.
    assert.equal((await missing({ algorithmVersion: 'v3' })).length, 4);
    assert.equal((await missing({ sceneId: 'S2A_33TWL_20230825_1_L2A' })).length, 4);
    // A parcel watched from now on lacks this acquisition: it gets its history.
    await watchParcels(db, { ids: [parcelIds[5]] }, true);
    assert.deepEqual(await missing(), [parcelIds[5]]);
    assert.deepEqual(
      await missing({ watchedOnly: false }),
      [parcelIds[4], parcelIds[5]].sort((a, b) => a - b),
    );
  });

  it('refuses an observation without a parcel database id or with a bad time, writing nothing', async () => {
    const count = async () =>
      (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM parcel_observations'))
        .rows[0].n;
    const n = await count();
    await assert.rejects(
      upsertObservations(
        db,
        [
          observation(watched[0], 'ndvi', 0.1, { acquiredAt: '2023-09-01T00:00:00Z' }),
          { ...observation(0, 'ndvi', 0.1), parcelId: 'FR-1' },
        ],
        {
          algorithmVersion: 'v2',
        },
      ),
      (e: unknown) => e instanceof BadInputError && /parcel FR-1 .*no database id/.test(e.message),
    );
    await assert.rejects(
      upsertObservations(db, [observation(watched[0], 'ndvi', 0.1, { acquiredAt: 'yesterday' })], {
        algorithmVersion: 'v2',
      }),
      /"yesterday", not an ISO 8601 timestamp/,
    );
    await assert.rejects(
      upsertObservations(db, all(), { algorithmVersion: '' }),
      /algorithm version/,
    );
    assert.equal(await count(), n);
  });

  it('upserts 100 000 observations, then finds all of them unchanged (benchmark printout)', async () => {
    const { ids } = await upsertParcels(
      db,
      randomParcels(250, 9, [560_000, 5_060_000, 580_000, 5_080_000], 'bench'),
      { source: 'bench' },
    );
    const day = 86_400_000;
    const start = Date.parse('2022-01-03T10:00:00Z');
    const rows: ObservationRow[] = [];
    for (let k = 0; k < 200; k++) {
      const acquiredAt = new Date(start + k * 5 * day).toISOString();
      for (const id of ids) {
        for (const index of INDICES) {
          rows.push(
            observation(id, index, ((id * 7 + k) % 100) / 100, {
              acquiredAt,
              sceneId: `S2B_33TWL_${k}`,
            }),
          );
        }
      }
    }
    const t0 = performance.now();
    const first = await upsertObservations(db, rows, {
      algorithmVersion: 'bench',
      runId: 'bench-1',
    });
    const t1 = performance.now();
    const second = await upsertObservations(db, rows, {
      algorithmVersion: 'bench',
      runId: 'bench-2',
    });
    const t2 = performance.now();
    assert.deepEqual(first, { rows: 100_000, written: 100_000, unchanged: 0 });
    assert.deepEqual(second, { rows: 100_000, written: 0, unchanged: 100_000 });
    console.log(
      `      upsertObservations: 100 000 new rows over 33 months in ${(t1 - t0).toFixed(0)} ms, the same again (unchanged) in ${(t2 - t1).toFixed(0)} ms`,
    );
  });
});
