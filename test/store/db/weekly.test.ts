import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import type { Database } from '../../../src/store/db/database';
import { assignGroups } from '../../../src/store/db/groups';
import { type ObservationRow, upsertObservations } from '../../../src/store/db/observations-repo';
import { upsertParcels, watchParcels } from '../../../src/store/db/parcels-repo';
import { prepareWeekly, type WeeklyRow, weeklySeries } from '../../../src/store/db/weekly';
import { isolatedDatabase } from './isolated-schema';
import { randomParcels } from './test-parcels';

function observation(
  parcelDbId: number,
  acquiredAt: string,
  mean: number,
  status: 'ok' | 'cloudy' = 'ok',
): ObservationRow {
  return {
    parcel: 0,
    parcelId: `p${parcelDbId}`,
    parcelDbId,
    index: 'ndvi',
    acquiredAt,
    sceneId: `S2B_33TWL_${acquiredAt.slice(0, 10).replace(/-/g, '')}_0_L2A`,
    mean,
    median: mean,
    std: 0.01,
    min: mean,
    max: mean,
    p10: mean,
    p90: mean,
    validPixels: status === 'ok' ? 90 : 10,
    totalPixels: 100,
    validFraction: status === 'ok' ? 0.9 : 0.1,
    status,
    flags: [],
  };
}

/** [week, status, value, observation count] of a series, values to 12 decimals. */
function summary(rows: WeeklyRow[]): Array<[string, string, number | null, number]> {
  return rows.map((r) => [
    r.weekStart,
    r.status,
    r.value === null ? null : Math.round(r.value * 1e12) / 1e12,
    r.observationCount,
  ]);
}

/** Mondays of 2023-W09 … 2023-W18 (from Python's date.fromisocalendar). */
const MONDAYS = [
  '2023-02-27',
  '2023-03-06',
  '2023-03-13',
  '2023-03-20',
  '2023-03-27',
  '2023-04-03',
  '2023-04-10',
  '2023-04-17',
  '2023-04-24',
  '2023-05-01',
];

describe('weekly series (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  /** a: observations with gaps inside the range; b: only outside it; c: not watched. */
  let a: number;
  let b: number;
  let c: number;

  before(async () => {
    // A session time zone 14 h ahead of UTC: weeks must still be UTC weeks.
    db = await isolatedDatabase('pw_weekly', { timeZone: 'Pacific/Kiritimati' });
    const zone = await db.pool.query<{ TimeZone: string }>('SHOW TimeZone');
    assert.equal(zone.rows[0].TimeZone, 'Pacific/Kiritimati');
    const { ids } = await upsertParcels(
      db,
      randomParcels(3, 5, [530_000, 5_030_000, 531_000, 5_031_000], 'wk'),
    );
    [a, b, c] = ids;
    await assignGroups(db, { maxParcels: 5_000 });
    await watchParcels(db, { ids: [a, b] }, true);
    await upsertObservations(
      db,
      [
        observation(a, '2023-03-07T10:00:00Z', 0.2), // W10
        observation(a, '2023-03-09T10:00:00Z', 0.4), // W10: weekly mean 0.3
        observation(a, '2023-03-29T10:00:00Z', 0.6), // W13
        observation(a, '2023-04-05T10:00:00Z', 0.05, 'cloudy'), // W14: not trusted
        observation(a, '2023-04-23T23:59:59Z', 0.9), // W16's last second (already W17 in Kiritimati)
        observation(b, '2023-01-31T10:00:00Z', 0.2), // W05
        observation(b, '2023-05-16T10:00:00Z', 0.7), // W20
        observation(c, '2023-03-07T10:00:00Z', 0.5),
      ],
      { algorithmVersion: 'v1' },
    );
  });
  after(async () => db?.close());

  const expectedA: Array<[string, string, number | null, number]> = [
    [MONDAYS[0], 'nodata', null, 0],
    [MONDAYS[1], 'observed', 0.3, 2],
    [MONDAYS[2], 'interpolated', 0.4, 0], // 0.3 + 0.3 × 7/21
    [MONDAYS[3], 'interpolated', 0.5, 0],
    [MONDAYS[4], 'observed', 0.6, 1],
    [MONDAYS[5], 'interpolated', 0.7, 0], // only a cloudy observation
    [MONDAYS[6], 'interpolated', 0.8, 0],
    [MONDAYS[7], 'observed', 0.9, 1],
    [MONDAYS[8], 'nodata', null, 0], // after the last observation: nothing invented
    [MONDAYS[9], 'nodata', null, 0],
  ];

  it('marks weeks observed, interpolated between observed weeks, and nodata outside them', async () => {
    const result = await prepareWeekly(db, {
      fromWeek: '2023-W09',
      toWeek: '2023-W18',
      indices: ['ndvi', 'ndmi'],
      runId: 'run-1',
    });
    // a: 3 observed, 4 interpolated, 3 nodata; b: 10 interpolated; ndmi of a and b: 20 nodata.
    assert.deepEqual(result, {
      rows: 40,
      byStatus: { observed: 3, interpolated: 14, nodata: 23 },
      changed: 40,
    });
    assert.deepEqual(summary(await weeklySeries(db, a, { index: 'ndvi' })), expectedA);
    // b's neighbours lie beyond the range: W05 (0.2) and W20 (0.7), 15 weeks apart.
    assert.deepEqual(
      summary(await weeklySeries(db, b, { index: 'ndvi' })),
      MONDAYS.map((monday, k) => [
        monday,
        'interpolated',
        Math.round((0.2 + (0.5 * (k + 4)) / 15) * 1e12) / 1e12,
        0,
      ]),
    );
    const ndmi = await weeklySeries(db, a, { index: 'ndmi' });
    assert.equal(ndmi.length, 10);
    assert.ok(ndmi.every((r) => r.status === 'nodata' && r.value === null));
    assert.deepEqual(await weeklySeries(db, c), [], 'unwatched parcels get no series');
  });

  it('changes nothing when run again on the same observations', async () => {
    const before = await db.pool.query(
      'SELECT * FROM parcel_weekly ORDER BY parcel_id, index_name, week_start',
    );
    const result = await prepareWeekly(db, {
      fromWeek: '2023-W09',
      toWeek: '2023-W18',
      indices: ['ndvi', 'ndmi'],
      runId: 'run-2',
    });
    assert.equal(result.changed, 0);
    assert.equal(result.rows, 40);
    const after = await db.pool.query(
      'SELECT * FROM parcel_weekly ORDER BY parcel_id, index_name, week_start',
    );
    assert.deepEqual(after.rows, before.rows);
  });

  it('finds the neighbours of a gap beyond a range that lies inside it', async () => {
    await db.pool.query('DELETE FROM parcel_weekly');
    // Indices come from the list and from the range's observations: W11–W12 has none of a's.
    await prepareWeekly(db, {
      fromWeek: '2023-W11',
      toWeek: '2023-W12',
      indices: ['ndvi'],
      runId: 'run-3',
    });
    await prepareWeekly(db, {
      fromWeek: '2023-W14',
      toWeek: '2023-W15',
      indices: ['ndvi'],
      runId: 'run-3',
    });
    await prepareWeekly(db, {
      fromWeek: '2023-W17',
      toWeek: '2023-W18',
      indices: ['ndvi'],
      runId: 'run-3',
    });
    const series = summary(await weeklySeries(db, a, { index: 'ndvi' }));
    assert.deepEqual(series, [
      expectedA[2],
      expectedA[3],
      expectedA[5],
      expectedA[6],
      expectedA[8],
      expectedA[9],
    ]);
  });

  it('turns trailing nodata weeks into data once a later observation arrives, rewriting only those', async () => {
    await prepareWeekly(db, { fromWeek: '2023-W09', toWeek: '2023-W18', runId: 'run-4' });
    const earlier = await weeklySeries(db, a, { index: 'ndvi', toWeek: '2023-W16' });
    await upsertObservations(db, [observation(a, '2023-05-02T10:00:00Z', 1.1)], {
      algorithmVersion: 'v1',
    }); // W18
    const result = await prepareWeekly(db, {
      fromWeek: '2023-W09',
      toWeek: '2023-W18',
      runId: 'run-5',
    });
    assert.equal(result.changed, 2);
    const series = await weeklySeries(db, a, { index: 'ndvi', fromWeek: '2023-W17' });
    assert.deepEqual(summary(series), [
      [MONDAYS[8], 'interpolated', 1, 0],
      [MONDAYS[9], 'observed', 1.1, 1],
    ]);
    assert.deepEqual(
      series.map((r) => r.runId),
      ['run-5', 'run-5'],
    );
    assert.deepEqual(await weeklySeries(db, a, { index: 'ndvi', toWeek: '2023-W16' }), earlier);
  });

  it('limits the work to the watched parcels of the given groups', async () => {
    const result = await prepareWeekly(db, {
      fromWeek: '2023-W09',
      toWeek: '2023-W18',
      groupIds: [-1],
      runId: 'x',
    });
    assert.deepEqual(result, {
      rows: 0,
      byStatus: { observed: 0, interpolated: 0, nodata: 0 },
      changed: 0,
    });
  });

  it('refuses weeks that are not ISO weeks or a reversed range', async () => {
    await assert.rejects(
      prepareWeekly(db, { fromWeek: '2023-09', toWeek: '2023-W18', runId: 'x' }),
      BadInputError,
    );
    await assert.rejects(
      prepareWeekly(db, { fromWeek: '2023-W18', toWeek: '2023-W09', runId: 'x' }),
      /reversed/,
    );
  });
});
