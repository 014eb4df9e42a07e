import assert from 'node:assert/strict';
import type { WeeklyRunResult } from '../../src/workflows/weekly-run';
import { recordHistory } from '../helpers/histories';
import {
  assertSameObservations,
  directComputation,
  executeWithWorkers,
  type PipelineFixture,
  pipelineFixture,
  storedObservations,
} from '../helpers/pipeline';

const WEEK = '2024-W21';

describe('weekly run end to end (Temporal dev server, PostgreSQL/PostGIS, local STAC API)', function () {
  this.timeout(600_000);
  let fixture: PipelineFixture;

  before(async () => {
    // Three weeks of scenes over both tiles and their overlap; small groups so the tiles split.
    fixture = await pipelineFixture(
      'weekly',
      { seed: 11, parcels: 160, tinyParcels: 3, bands: ['B04', 'B08', 'B11', 'SCL'] },
      { PARCELWATCH_GROUP_MAX_PARCELS: '40', PARCELWATCH_LOOKBACK_WEEKS: '2' },
    );
  });
  after(async () => fixture?.close());

  it('stores, for every watched parcel and scene, the observations the engine computes directly', async () => {
    const workflowId = `weekly-${WEEK}-${Date.now()}`;
    const result = await executeWithWorkers<WeeklyRunResult>(fixture, 'weeklyRun', workflowId, [
      { week: WEEK },
    ]);
    await recordHistory(fixture.client, 'weekly-run', workflowId);
    assert.equal(result.status, 'completed');
    const tiles = await fixture.db.pool.query<{ tile: string }>(
      'SELECT DISTINCT tile FROM parcel_groups ORDER BY tile',
    );
    assert.deepEqual(
      tiles.rows.map((r) => r.tile),
      ['33TWL', '33TWM'],
    );
    assert.ok(result.groups >= 3, `${result.groups} groups`);
    assertSameObservations(await storedObservations(fixture), await directComputation(fixture));
    const weekly = await fixture.db.pool.query<{ status: string }>(
      'SELECT DISTINCT status FROM parcel_weekly',
    );
    assert.ok(weekly.rows.some((r) => r.status === 'observed'));
    const run = await fixture.db.pool.query<{ status: string; trigger: string }>(
      "SELECT status, trigger FROM pipeline_runs WHERE kind = 'weekly'",
    );
    assert.deepEqual(run.rows, [{ status: 'completed', trigger: 'manual' }]);
  });

  it('adds no row and downloads nothing when the same week runs again', async () => {
    const before = await storedObservations(fixture);
    fixture.stac.requests.length = 0;
    const result = await executeWithWorkers<WeeklyRunResult>(
      fixture,
      'weeklyRun',
      `weekly-${WEEK}-again-${Date.now()}`,
      [{ week: WEEK }],
    );
    assert.equal(result.status, 'completed');
    assert.equal(result.observations, 0);
    assert.deepEqual(await storedObservations(fixture), before);
    assert.deepEqual(
      fixture.stac.requests.filter((r) => r.path.startsWith('/cogs/')),
      [],
      'no COG byte was read again',
    );
  });
});
