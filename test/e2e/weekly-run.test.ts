import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parcelsFromGeoJson } from '../../src/core/geo/parcel-geojson';
import { primaryTile } from '../../src/core/geo/primary-tile';
import { resolveIndices } from '../../src/core/indices/registry';
import { sceneFromItem } from '../../src/core/stac/items';
import { ParcelSet } from '../../src/core/zonal/parcel-set';
import { computeSceneStatistics } from '../../src/core/zonal/scene-statistics';
import { openByteSource } from '../../src/store/sources/open-byte-source';
import type { WeeklyRunResult } from '../../src/workflows/weekly-run';
import { type PipelineFixture, pipelineFixture, withPipelineWorkers } from '../helpers/pipeline';

const WEEK = '2024-W21';

interface StoredObservation {
  external_id: string;
  index_name: string;
  acquired_at: Date;
  scene_id: string;
  mean: number | null;
  p90: number | null;
  valid_pixels: number;
  total_pixels: number;
  status: string;
  flags: string[];
}

async function observations(fixture: PipelineFixture): Promise<StoredObservation[]> {
  const rows = await fixture.db.pool.query<StoredObservation>(
    `SELECT p.external_id, o.index_name, o.acquired_at, o.scene_id, o.mean, o.p90, o.valid_pixels, o.total_pixels, o.status, o.flags
       FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id
      ORDER BY p.external_id, o.index_name, o.acquired_at`,
  );
  return rows.rows;
}

/** What the engine gives on the provider's own COGs, each parcel in its primary tile only. */
async function directComputation(fixture: PipelineFixture) {
  const features = parcelsFromGeoJson(
    JSON.parse(readFileSync(fixture.dataset.parcelsPath, 'utf8')),
    { source: 'parcels' },
  );
  const expected = new Map<
    string,
    { mean: number | null; validPixels: number; totalPixels: number; status: string }
  >();
  for (const s of fixture.dataset.scenes) {
    const parsed = sceneFromItem(JSON.parse(readFileSync(s.itemPath, 'utf8')), {
      requiredBands: ['B04', 'B08', 'B11', 'SCL'],
      baseUrl: pathToFileURL(`${path.dirname(s.itemPath)}/`).href,
    });
    assert.ok(parsed.ok);
    const mine = features.ids
      .map((id, i) => [id, i] as const)
      .filter(([, i]) => primaryTile(features.geometries[i]!).tile === s.tile);
    const result = await computeSceneStatistics({
      scene: parsed.scene,
      parcels: new ParcelSet(
        mine.map(([id]) => id),
        mine.map(([, i]) => features.geometries[i]!),
      ),
      indices: resolveIndices(['ndvi', 'ndmi']),
      bufferMetres: 5,
      okThreshold: 0.5,
      validSclClasses: [4, 5, 6, 7],
      openSource: (href) => openByteSource(href),
    });
    for (const o of result.observations) {
      expected.set(
        `${o.parcelId}|${o.index}|${new Date(parsed.scene.acquiredAt).toISOString()}`,
        o,
      );
    }
  }
  return expected;
}

describe('weekly run end to end (Temporal dev server, PostgreSQL/PostGIS, local STAC API)', function () {
  this.timeout(600_000);
  let fixture: PipelineFixture;

  before(async () => {
    // Three weeks of scenes over both tiles and their overlap; small groups so the tiles split.
    fixture = await pipelineFixture(
      'weekly',
      { seed: 11, parcels: 160, tinyParcels: 3, bands: ['B04', 'B08', 'B11', 'SCL'] },
      {
        PARCELWATCH_GROUP_MAX_PARCELS: '40',
        PARCELWATCH_LOOKBACK_WEEKS: '2',
      },
    );
  });
  after(async () => fixture?.close());

  it('stores, for every watched parcel and scene, the observations the engine computes directly', async () => {
    const result: WeeklyRunResult = await withPipelineWorkers(fixture, () =>
      fixture.client.workflow.execute('weeklyRun', {
        taskQueue: fixture.config.temporal.taskQueues.io,
        workflowId: `weekly-${WEEK}-${Date.now()}`,
        args: [{ week: WEEK }],
      }),
    );
    assert.equal(result.status, 'completed');
    const tiles = await fixture.db.pool.query<{ tile: string; groups: number }>(
      'SELECT tile, count(*)::int AS groups FROM parcel_groups GROUP BY tile ORDER BY tile',
    );
    assert.deepEqual(
      tiles.rows.map((r) => r.tile),
      ['33TWL', '33TWM'],
    );
    assert.ok(result.groups >= 3, `${result.groups} groups`);

    const stored = await observations(fixture);
    const expected = await directComputation(fixture);
    assert.equal(stored.length, expected.size, 'one row per parcel, index and acquisition');
    for (const row of stored) {
      const want = expected.get(
        `${row.external_id}|${row.index_name}|${row.acquired_at.toISOString()}`,
      );
      assert.ok(
        want,
        `unexpected observation ${row.external_id} ${row.index_name} ${row.acquired_at.toISOString()}`,
      );
      assert.equal(row.status, want.status, `${row.external_id} ${row.index_name} status`);
      assert.equal(row.valid_pixels, want.validPixels, `${row.external_id} valid pixels`);
      assert.equal(row.total_pixels, want.totalPixels, `${row.external_id} total pixels`);
      if (want.mean === null) assert.equal(row.mean, null);
      else
        assert.ok(
          Math.abs(row.mean! - want.mean) < 1e-6,
          `${row.external_id} ${row.index_name} mean ${row.mean} vs ${want.mean}`,
        );
    }
    const weekly = await fixture.db.pool.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM parcel_weekly GROUP BY status',
    );
    assert.ok(weekly.rows.some((r) => r.status === 'observed'));
    const run = await fixture.db.pool.query<{ status: string; trigger: string }>(
      "SELECT status, trigger FROM pipeline_runs WHERE kind = 'weekly'",
    );
    assert.deepEqual(run.rows, [{ status: 'completed', trigger: 'manual' }]);
  });

  it('adds no row and downloads nothing when the same week runs again', async () => {
    const before = await observations(fixture);
    fixture.stac.requests.length = 0;
    const result: WeeklyRunResult = await withPipelineWorkers(fixture, () =>
      fixture.client.workflow.execute('weeklyRun', {
        taskQueue: fixture.config.temporal.taskQueues.io,
        workflowId: `weekly-${WEEK}-again-${Date.now()}`,
        args: [{ week: WEEK }],
      }),
    );
    assert.equal(result.status, 'completed');
    assert.equal(result.observations, 0);
    assert.deepEqual(await observations(fixture), before);
    const cogReads = fixture.stac.requests.filter((r) => r.path.startsWith('/cogs/'));
    assert.deepEqual(cogReads, [], 'no COG byte was read again');
  });
});
