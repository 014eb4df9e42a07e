import assert from 'node:assert/strict';
import type { Database } from '../../src/store/db/database';
import { upsertParcels } from '../../src/store/db/parcels-repo';
import { finishRun, type RunFinish, type RunStart, startRun } from '../../src/store/db/runs-repo';
import { utmSquare } from '../store/db/test-parcels';
import { type Seeded, seedSeries } from './seed';

/**
 * The web page test's data: the API series dataset (test/api/seed.ts), a parcel without any
 * observation (grey on the map) and three runs; and the truths the test reads back from the
 * database to compare the page with.
 */

/** Seeded runs, newest first, with what the panel must say of each (hand-computed). */
export const RUNS: Array<{
  start: RunStart;
  finish?: Omit<RunFinish, 'workflowId' | 'runId'>;
  shows: string[];
}> = [
  {
    start: {
      workflowId: 'backfill-2024-W01-W10',
      runId: 'r3',
      kind: 'backfill',
      trigger: 'manual',
      triggeredBy: 'ana',
      startedAt: '2024-03-26T08:00:00.000Z',
    },
    shows: ['running', 'backfill-2024-W01-W10', 'backfill, manual by ana'],
  },
  {
    start: {
      workflowId: 'weekly-2024-W12',
      runId: 'r2',
      kind: 'weekly',
      trigger: 'schedule',
      window: { start: '2024-03-18T00:00:00.000Z', end: '2024-03-25T00:00:00.000Z' },
      startedAt: '2024-03-25T03:00:00.000Z',
    },
    finish: {
      status: 'degraded',
      finishedAt: '2024-03-25T03:14:10.000Z',
      kpis: {
        scenesFound: 4,
        scenesUsed: 3,
        scenesFailed: 1,
        parcelsExpected: 8,
        parcelsObserved: 6,
        okShare: 0.5,
        meanValidFraction: 0.61,
        failedActivities: 1,
        bytesDownloaded: 48_500_000,
      },
    },
    shows: [
      'degraded',
      'weekly-2024-W12',
      'window 2024-03-18 – 2024-03-24',
      'took 14 min 10 s',
      '6 of 8 (75.0 %)',
      '50.0 %',
      '61.0 %',
      '3 of 4, 1 failed',
      '48.5 MB',
    ],
  },
  {
    start: {
      workflowId: 'weekly-2024-W11',
      runId: 'r1',
      kind: 'weekly',
      trigger: 'schedule',
      window: { start: '2024-03-11T00:00:00.000Z', end: '2024-03-18T00:00:00.000Z' },
      startedAt: '2024-03-18T03:00:00.000Z',
    },
    finish: {
      status: 'completed',
      finishedAt: '2024-03-18T03:02:05.000Z',
      kpis: { parcelsExpected: 8, parcelsObserved: 8, okShare: 0.875, bytesDownloaded: 999 },
    },
    shows: [
      'completed',
      'weekly-2024-W11',
      'took 2 min 5 s',
      '8 of 8 (100.0 %)',
      '87.5 %',
      '999 B',
    ],
  },
];

export async function seedWebPage(db: Database): Promise<Seeded> {
  const seeded = await seedSeries(db, { parcelsPerSource: 4, acquisitions: 16, seed: 21 });
  await upsertParcels(db, [{ externalId: 'bare', geometry: utmSquare(537_000, 5_037_000) }], {
    source: 'src-a',
  });
  for (const run of [...RUNS].reverse()) {
    await startRun(db, run.start);
    if (run.finish) {
      await finishRun(db, {
        workflowId: run.start.workflowId,
        runId: run.start.runId,
        ...run.finish,
      });
    }
  }
  return seeded;
}

export interface ParcelTruth {
  id: number;
  lon: number;
  lat: number;
  /** Latest ok NDVI mean; null when none. */
  value: number | null;
}

/** Every parcel with its centroid and latest ok NDVI, straight from the tables. */
export async function parcelsInDb(db: Database): Promise<ParcelTruth[]> {
  const rows = await db.pool.query(
    `SELECT p.id, ST_X(ST_Centroid(p.geom)) AS lon, ST_Y(ST_Centroid(p.geom)) AS lat, l.mean
       FROM parcels p
       LEFT JOIN LATERAL (
         SELECT mean FROM parcel_observations o
          WHERE o.parcel_id = p.id AND o.index_name = 'ndvi' AND o.status = 'ok' AND o.mean IS NOT NULL
          ORDER BY o.acquired_at DESC LIMIT 1) l ON true
      ORDER BY p.id`,
  );
  return rows.rows.map((r) => ({
    id: Number(r.id),
    lon: Number(r.lon),
    lat: Number(r.lat),
    value: r.mean === null ? null : Number(r.mean),
  }));
}

/** A watched parcel whose NDVI has observed and interpolated weeks, and that has cloudy dates. */
export async function chartableParcel(db: Database, seeded: Seeded): Promise<ParcelTruth> {
  const rows = await db.pool.query(
    `SELECT w.parcel_id FROM parcel_weekly w
      WHERE w.index_name = 'ndvi' AND w.parcel_id = ANY($1::bigint[])
      GROUP BY w.parcel_id
     HAVING bool_or(w.status = 'interpolated') AND bool_or(w.status = 'observed')
        AND EXISTS (SELECT 1 FROM parcel_observations o
                     WHERE o.parcel_id = w.parcel_id AND o.status = 'cloudy')
      ORDER BY w.parcel_id LIMIT 1`,
    [seeded.watchedIds],
  );
  assert.ok(rows.rows.length, 'the seed holds a parcel with interpolated weeks and cloudy dates');
  const id = Number(rows.rows[0].parcel_id);
  return (await parcelsInDb(db)).find((p) => p.id === id)!;
}
