import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WeeklyRunResult } from '../../src/workflows/weekly-run';
import { recordHistory } from '../helpers/histories';
import { executeWithWorkers, type PipelineFixture, pipelineFixture } from '../helpers/pipeline';

/** One clear week, one fully clouded week, and a week without any acquisition. */
const CLEAR = '2024-05-07';
const CLOUDED = '2024-05-14';
const CORRUPT_SCENE_TILE = '33TWM';

describe('weekly run outcomes: bad data, no scenes, clouds (real services)', function () {
  this.timeout(600_000);
  let fixture: PipelineFixture;
  let corruptScene: string;
  let noSclScene: string;

  before(async () => {
    fixture = await pipelineFixture(
      'outcomes',
      {
        seed: 31,
        parcels: 80,
        tinyParcels: 1,
        bands: ['B04', 'B08', 'B11', 'SCL'],
        dates: [CLEAR, CLOUDED],
        scenes: { [CLOUDED]: { fullyClouded: true } },
      },
      { PARCELWATCH_GROUP_MAX_PARCELS: '30', PARCELWATCH_LOOKBACK_WEEKS: '0' },
      {
        // The clear scene of one tile gets a corrupt B08 (a tile's bytes overwritten).
        mutate: (dir) => {
          const items = JSON.parse(readFileSync(path.join(dir, 'synthetic.json'), 'utf8'))
            .scenes as Array<{ id: string; tile: string; date: string }>;
          const scene = items.find((s) => s.tile === CORRUPT_SCENE_TILE && s.date === CLEAR)!;
          corruptScene = scene.id;
          const file = path.join(dir, 'cogs', scene.id, 'B08.tif');
          const bytes = readFileSync(file);
          bytes.fill(0x5a, Math.floor(bytes.length * 0.5), bytes.length - 16);
          writeFileSync(file, bytes);
          // The clouded scene of the other tile lost its SCL asset: it must be skipped, with the reason.
          const other = items.find((s) => s.tile !== CORRUPT_SCENE_TILE && s.date === CLOUDED)!;
          noSclScene = other.id;
          const itemFile = path.join(dir, 'items', `${other.id}.json`);
          const item = JSON.parse(readFileSync(itemFile, 'utf8'));
          delete item.assets.scl;
          writeFileSync(itemFile, JSON.stringify(item));
        },
      },
    );
  });
  after(async () => fixture?.close());

  it('fails the scene with a corrupt COG, records why, and goes on with the others', async () => {
    const workflowId = `weekly-2024-W19-${Date.now()}`;
    const result = await executeWithWorkers<WeeklyRunResult>(fixture, 'weeklyRun', workflowId, [
      { week: '2024-W19' },
    ]);
    await recordHistory(fixture.client, 'weekly-run-bad-data', workflowId, {
      children: { processGroup: 'process-group-bad-data' },
    });
    // Bad data in one scene does not fail the run; the failed scene makes it degraded.
    assert.equal(result.status, 'degraded');
    assert.ok(
      result.breaches?.some((b) => /activities failed for good/.test(b)),
      JSON.stringify(result.breaches),
    );
    const run = await fixture.db.pool.query<{ status: string; error: string }>(
      'SELECT status, error FROM pipeline_runs WHERE workflow_id = $1',
      [workflowId],
    );
    assert.equal(run.rows[0]?.status, 'degraded');
    assert.match(run.rows[0]?.error ?? '', /activities failed for good/);
    assert.ok(result.scenesFailed >= 1, `${result.scenesFailed} scenes failed`);
    const scene = await fixture.db.pool.query<{ status: string; status_reason: string }>(
      'SELECT status, status_reason FROM scenes WHERE id = $1',
      [corruptScene],
    );
    assert.equal(scene.rows[0]?.status, 'failed');
    assert.match(
      scene.rows[0]?.status_reason ?? '',
      new RegExp(`${corruptScene}.*B08\\.tif|B08\\.tif.*(corrupt|truncated|inflate)`, 'i'),
    );
    const groups = await fixture.db.pool.query<{ status: string; reason: string }>(
      'SELECT status, reason FROM scene_groups WHERE scene_id = $1',
      [corruptScene],
    );
    assert.ok(
      groups.rows.length > 0 && groups.rows.every((g) => g.status === 'failed' && g.reason),
    );
    // The other tile's scene of the same day was processed.
    const ok = await fixture.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM parcel_observations o JOIN scenes s ON s.id = o.scene_id WHERE s.tile <> $1 AND s.acquired_at::date = $2',
      [CORRUPT_SCENE_TILE, CLEAR],
    );
    assert.ok(ok.rows[0]!.n > 0, 'the healthy scene was computed');
  });

  it('stores cloudy observations, without statistics, for a fully clouded scene', async () => {
    const result = await executeWithWorkers<WeeklyRunResult>(
      fixture,
      'weeklyRun',
      `weekly-2024-W20-${Date.now()}`,
      [{ week: '2024-W20' }],
    );
    // Clouds are not a fault; the other tile's scene, skipped for its missing SCL, leaves parcels without data.
    assert.notEqual(result.status, 'failed');
    const rows = await fixture.db.pool.query<{ status: string; n: number; with_mean: number }>(
      'SELECT o.status, count(*)::int AS n, count(o.mean)::int AS with_mean FROM parcel_observations o WHERE o.acquired_at::date = $1 GROUP BY o.status',
      [CLOUDED],
    );
    const byStatus = Object.fromEntries(rows.rows.map((r) => [r.status, r]));
    assert.ok(byStatus.cloudy && byStatus.cloudy.n > 0, JSON.stringify(rows.rows));
    assert.equal(byStatus.ok, undefined, 'no parcel is ok under full cloud');
    assert.equal(byStatus.cloudy.with_mean, 0, 'no statistics without a valid pixel');
  });

  it('skips a scene without its SCL asset and computes nothing from it', async () => {
    const result = await executeWithWorkers<WeeklyRunResult>(
      fixture,
      'weeklyRun',
      `weekly-2024-W20-again-${Date.now()}`,
      [{ week: '2024-W20' }],
    );
    assert.ok(result.scenesSkipped >= 1, `${result.scenesSkipped} scenes skipped`);
    const rows = await fixture.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM parcel_observations WHERE scene_id = $1',
      [noSclScene],
    );
    assert.equal(rows.rows[0]!.n, 0);
  });

  it('gives no-scenes for a week without acquisitions and marks its weekly rows nodata', async () => {
    const workflowId = `weekly-2024-W21-${Date.now()}`;
    const result = await executeWithWorkers<WeeklyRunResult>(fixture, 'weeklyRun', workflowId, [
      { week: '2024-W21' },
    ]);
    await recordHistory(fixture.client, 'weekly-run-no-scenes', workflowId, {
      children: { processGroup: 'process-group-no-scenes' },
    });
    assert.equal(result.status, 'degraded', 'a week without any acquisition is worth a look');
    assert.ok(
      result.breaches?.some((b) => /0 of \d+ watched parcels \(0 %\) got an observation/.test(b)),
      JSON.stringify(result.breaches),
    );
    assert.equal(result.groupsWithoutScenes, result.groups, 'every group found no scene');
    assert.equal(result.observations, 0);
    const weekly = await fixture.db.pool.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM parcel_weekly WHERE week_start = '2024-05-20' GROUP BY status",
    );
    assert.deepEqual(
      weekly.rows.map((r) => r.status),
      ['nodata'],
    );
    const watched = await fixture.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM parcels WHERE watched',
    );
    assert.equal(weekly.rows[0]!.n, watched.rows[0]!.n * fixture.config.science.indices.length);
  });
});
