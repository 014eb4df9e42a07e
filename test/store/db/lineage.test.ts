import assert from 'node:assert/strict';
import type { Database } from '../../../src/store/db/database';
import {
  findParcel,
  nearestObservationDays,
  observationLineage,
  outdatedObservations,
  parseDay,
  parseParcelRef,
} from '../../../src/store/db/lineage';
import { upsertObservations } from '../../../src/store/db/observations-repo';
import { upsertParcels, watchParcels } from '../../../src/store/db/parcels-repo';
import { finishRun, startRun } from '../../../src/store/db/runs-repo';
import { observationRow } from '../archive/fixtures';
import { isolatedDatabase } from './isolated-schema';
import { randomParcels } from './test-parcels';

const SCHEMA = 'pw_lineage';
const HARMONISATION = {
  scale: 0.0001,
  offset: -0.1,
  rule: 'baseline-04-offset',
  evidence: {
    processingBaseline: '05.09',
    boaOffsetApplied: false,
    declaredOffset: null,
    declaredScale: 0.0001,
  },
};

describe('lineage in the database (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let ids: number[];

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    const box: [number, number, number, number] = [540_000, 5_040_000, 545_000, 5_045_000];
    ids = (await upsertParcels(db, randomParcels(3, 9, box, 'lin'), { source: 'brp' })).ids;
    await watchParcels(db, { ids: [ids[0]!, ids[1]!] }, true);
    await db.pool.query(
      `INSERT INTO scenes (id, collection, tile, acquired_at, cloud_cover, processing_baseline, harmonisation, assets, status)
       VALUES ('S2A_33TWL_20240507_0_L2A', 'sentinel-2-l2a', '33TWL', '2024-05-07T10:00:00Z', 12.5, '05.09', $1, '{}', 'masked')`,
      [JSON.stringify(HARMONISATION)],
    );
    await startRun(db, {
      workflowId: 'weekly-2024-W19',
      runId: 'run-19',
      kind: 'weekly',
      trigger: 'backfill',
      triggeredBy: 'backfill-2024-W19-2024-W20',
      codeVersion: '0.1.0+abcdef123456',
      startedAt: '2024-05-13T03:00:00Z',
    });
    await finishRun(db, {
      workflowId: 'weekly-2024-W19',
      runId: 'run-19',
      status: 'completed',
      finishedAt: '2024-05-13T03:10:00Z',
    });
    const [a, b, c] = ids as [number, number, number];
    await upsertObservations(
      db,
      [
        observationRow(a, 'ndvi', '2024-05-07T10:00:00Z', 0.61),
        observationRow(a, 'ndmi', '2024-05-07T10:00:00Z', 0.21),
        observationRow(b, 'ndvi', '2024-05-07T10:00:00Z', 0.4),
        observationRow(c, 'ndvi', '2024-05-07T10:00:00Z', 0.3),
      ],
      { algorithmVersion: 'engine-1;buffer=5;scl=4,5,6,7;ok=0.5', runId: 'run-19' },
    );
    // Rows whose links are broken: a run id never recorded, no run id, a scene never stored.
    await upsertObservations(db, [observationRow(a, 'ndvi', '2024-05-12T10:00:00Z', 0.63)], {
      algorithmVersion: 'engine-1;buffer=0;scl=4,5,6,7;ok=0.5',
      runId: 'run-unknown',
    });
    await upsertObservations(db, [observationRow(a, 'ndvi', '2024-05-22T10:00:00Z', 0.66)], {
      algorithmVersion: 'engine-1;buffer=0;scl=4,5,6,7;ok=0.5',
    });
    await upsertObservations(db, [observationRow(b, 'evi', '2024-04-30T10:00:00Z', 0.5)], {
      algorithmVersion: 'engine-1;buffer=0;scl=4,5,6,7;ok=0.5',
      runId: 'run-19',
    });
  });
  after(async () => db?.close());

  it('reads a parcel reference as an id or SOURCE:EXTERNAL_ID, and refuses anything else', () => {
    assert.deepEqual(parseParcelRef('42'), { id: 42 });
    assert.deepEqual(parseParcelRef('brp-2023:FR:123'), {
      source: 'brp-2023',
      externalId: 'FR:123',
    });
    for (const bad of ['0', '-3', 'abc', ':x', 'x:', '', '99999999999999999999']) {
      assert.throws(
        () => parseParcelRef(bad),
        /is neither a parcel id \(e\.g\. 42\) nor SOURCE:EXTERNAL_ID/,
        bad,
      );
    }
  });

  it('reads a calendar day, and refuses impossible or malformed ones', () => {
    assert.deepEqual(parseDay('2024-02-29'), {
      day: '2024-02-29',
      start: '2024-02-29T00:00:00.000Z',
      end: '2024-03-01T00:00:00.000Z',
    });
    for (const bad of [
      '2023-02-29',
      '2024-13-01',
      '2024-5-7',
      '2024-05-07T10:00:00Z',
      'yesterday',
    ]) {
      assert.throws(() => parseDay(bad), /is not a calendar day written YYYY-MM-DD/, bad);
    }
  });

  it('finds a parcel by id and by source and external id', async () => {
    const byId = await findParcel(db, { id: ids[0]! });
    assert.deepEqual(
      [byId?.source, byId?.externalId, byId?.watched, byId?.ownerTeam],
      ['brp', 'lin-0', true, 'team-a'],
    );
    assert.equal((await findParcel(db, { source: 'brp', externalId: 'lin-2' }))?.id, ids[2]);
    assert.equal(await findParcel(db, { source: 'other', externalId: 'lin-2' }), undefined);
    assert.equal(await findParcel(db, { id: 987_654 }), undefined);
  });

  it('traces each observation of a day to its scene, algorithm version and run with its code version', async () => {
    const chain = await observationLineage(db, ids[0]!, parseDay('2024-05-07'));
    assert.deepEqual(
      chain.map((l) => l.index),
      ['ndmi', 'ndvi'],
    );
    const ndvi = chain[1]!;
    assert.equal(ndvi.observation.mean, 0.61);
    assert.equal(ndvi.observation.algorithmVersion, 'engine-1;buffer=5;scl=4,5,6,7;ok=0.5');
    assert.deepEqual(ndvi.scene, {
      id: 'S2A_33TWL_20240507_0_L2A',
      collection: 'sentinel-2-l2a',
      tile: '33TWL',
      acquiredAt: '2024-05-07T10:00:00.000Z',
      cloudCover: 12.5,
      processingBaseline: '05.09',
      harmonisation: HARMONISATION,
      offsetSuspect: false,
      status: 'masked',
    });
    assert.deepEqual(ndvi.run, {
      workflowId: 'weekly-2024-W19',
      runId: 'run-19',
      kind: 'weekly',
      trigger: 'backfill',
      triggeredBy: 'backfill-2024-W19-2024-W20',
      codeVersion: '0.1.0+abcdef123456',
      status: 'completed',
      startedAt: '2024-05-13T03:00:00.000Z',
      finishedAt: '2024-05-13T03:10:00.000Z',
    });
    assert.deepEqual(ndvi.missing, []);
    assert.deepEqual(await observationLineage(db, ids[0]!, parseDay('2024-05-08')), []);
  });

  it('reports each missing link instead of hiding the observation', async () => {
    const unknownRun = await observationLineage(db, ids[0]!, parseDay('2024-05-12'));
    assert.deepEqual(unknownRun[0]?.missing, ['scene', 'run']);
    assert.equal(unknownRun[0]?.runId, 'run-unknown');
    assert.equal(unknownRun[0]?.run, null);
    const noRun = await observationLineage(db, ids[0]!, parseDay('2024-05-22'));
    assert.deepEqual(noRun[0]?.missing, ['scene', 'run id']);
  });

  it('suggests the nearest days holding observations of the parcel', async () => {
    assert.deepEqual(await nearestObservationDays(db, ids[0]!, '2024-05-10'), [
      '2024-05-12',
      '2024-05-07',
      '2024-05-22',
    ]);
    assert.deepEqual(await nearestObservationDays(db, ids[0]!, '2024-05-10', 1), ['2024-05-12']);
    assert.deepEqual(await nearestObservationDays(db, ids[2]!, '2030-01-01'), ['2024-05-07']);
  });

  it('counts observations per algorithm version and what a backfill would recompute', async () => {
    const report = await outdatedObservations(db, {
      algorithmVersion: 'engine-1;buffer=0;scl=4,5,6,7;ok=0.5',
      indices: ['ndvi', 'ndmi'],
    });
    assert.equal(report.observations, 7);
    assert.deepEqual(
      report.versions.map((v) => [
        v.algorithmVersion,
        v.current,
        v.observations,
        v.parcels,
        v.byIndex,
      ]),
      [
        ['engine-1;buffer=0;scl=4,5,6,7;ok=0.5', true, 3, 2, { evi: 1, ndvi: 2 }],
        ['engine-1;buffer=5;scl=4,5,6,7;ok=0.5', false, 4, 3, { ndmi: 1, ndvi: 3 }],
      ],
    );
    // Outdated: 3 rows of watched parcels (a: ndvi, ndmi; b: ndvi), 1 of the unwatched parcel c.
    assert.deepEqual(report.outdated, {
      observations: 4,
      toReprocess: 3,
      kept: 1,
      weeks: { from: '2024-W19', to: '2024-W19' },
    });
    const none = await outdatedObservations(db, {
      algorithmVersion: 'engine-1;buffer=5;scl=4,5,6,7;ok=0.5',
      indices: ['ndvi'],
    });
    // Under the other version: a's ndvi rows of 12 and 22 May are recomputed; b's evi is not computed.
    assert.deepEqual(none.outdated, {
      observations: 3,
      toReprocess: 2,
      kept: 1,
      weeks: { from: '2024-W19', to: '2024-W21' },
    });
  });
});
