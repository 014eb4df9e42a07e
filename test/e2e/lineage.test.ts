import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config';
import { algorithmVersion } from '../../src/core/algorithm';
import { isoWeekWindow } from '../../src/core/time/iso-week';
import { codeVersion } from '../../src/version';
import type { BackfillWeek } from '../../src/workflows/backfill';
import { runCli } from '../helpers/cli';
import {
  assertSameObservations,
  directComputation,
  executeWithWorkers,
  type PipelineFixture,
  pipelineFixture,
  storedObservations,
} from '../helpers/pipeline';

/** One observation's key and its lineage columns, as stored. */
interface Stored {
  key: string;
  acquiredAt: Date;
  algorithmVersion: string;
  runId: string | null;
  computedAt: string;
  mean: number | null;
}

async function observationsByKey(fixture: PipelineFixture): Promise<Map<string, Stored>> {
  const rows = await fixture.db.pool.query<{
    key: string;
    acquired_at: Date;
    algorithm_version: string;
    run_id: string | null;
    computed_at: string;
    mean: number | null;
  }>(
    `SELECT p.external_id || '|' || o.index_name || '|' || o.acquired_at::text AS key, o.acquired_at,
            o.algorithm_version, o.run_id, to_char(o.computed_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS computed_at,
            o.mean
       FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id`,
  );
  return new Map(
    rows.rows.map((r) => [
      r.key,
      {
        key: r.key,
        acquiredAt: r.acquired_at,
        algorithmVersion: r.algorithm_version,
        runId: r.run_id,
        computedAt: r.computed_at,
        mean: r.mean,
      },
    ]),
  );
}

/** The latest recorded run of a workflow id. */
async function latestRun(fixture: PipelineFixture, workflowId: string) {
  const rows = await fixture.db.pool.query<{ run_id: string; code_version: string | null }>(
    'SELECT run_id, code_version FROM pipeline_runs WHERE workflow_id = $1 ORDER BY started_at DESC LIMIT 1',
    [workflowId],
  );
  return rows.rows[0];
}

describe('lineage and reprocessing after an algorithm change (real services)', function () {
  this.timeout(900_000);
  let fixture: PipelineFixture;
  /** The same pipeline with a 0 m inward buffer: another algorithm version. */
  let rebuffered: PipelineFixture;
  const first = { version: '', rows: new Map<string, Stored>() };

  before(async () => {
    fixture = await pipelineFixture(
      'lineage',
      { seed: 73, parcels: 40, tinyParcels: 1, bands: ['B04', 'B08', 'B11', 'SCL'] },
      { PARCELWATCH_GROUP_MAX_PARCELS: '20', PARCELWATCH_LOOKBACK_WEEKS: '0' },
    );
    const env = { ...fixture.env, PARCELWATCH_BUFFER_M: '0' };
    rebuffered = { ...fixture, env, config: loadConfig(env) };
  });
  after(async () => fixture?.close());

  it('writes complete lineage for every observation of a backfill: scene, algorithm version, run and code version', async () => {
    const backfillId = `backfill-lineage-${Date.now()}`;
    const result = await executeWithWorkers<{ weeks: BackfillWeek[] }>(
      fixture,
      'backfill',
      backfillId,
      [{ from: '2024-W19', to: '2024-W21' }],
    );
    assert.deepEqual(
      result.weeks.map((w) => w.status),
      ['completed', 'completed', 'completed'],
    );
    first.version = algorithmVersion(fixture.config.science);
    const lineage = await fixture.db.pool.query<{
      total: number;
      no_scene: number;
      scene_mismatch: number;
      no_baseline: number;
      no_harmonisation: number;
      no_run_id: number;
      no_run: number;
      wrong_run: number;
      wrong_code: number;
      wrong_algorithm: number;
    }>(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE s.id IS NULL)::int AS no_scene,
              count(*) FILTER (WHERE s.acquired_at <> o.acquired_at OR s.tile <> p.primary_tile)::int AS scene_mismatch,
              count(*) FILTER (WHERE s.processing_baseline IS NULL)::int AS no_baseline,
              count(*) FILTER (WHERE s.harmonisation->>'rule' IS NULL
                                  OR s.harmonisation->>'offset' IS NULL)::int AS no_harmonisation,
              count(*) FILTER (WHERE o.run_id IS NULL)::int AS no_run_id,
              count(*) FILTER (WHERE r.run_id IS NULL)::int AS no_run,
              count(*) FILTER (WHERE r.workflow_id <> 'weekly-' || to_char(o.acquired_at AT TIME ZONE 'UTC', 'IYYY-"W"IW')
                                  OR r.trigger <> 'backfill' OR r.triggered_by <> $3)::int AS wrong_run,
              count(*) FILTER (WHERE r.code_version IS DISTINCT FROM $1)::int AS wrong_code,
              count(*) FILTER (WHERE o.algorithm_version <> $2)::int AS wrong_algorithm
         FROM parcel_observations o
         JOIN parcels p ON p.id = o.parcel_id
         LEFT JOIN scenes s ON s.id = o.scene_id
         LEFT JOIN pipeline_runs r ON r.run_id = o.run_id`,
      [codeVersion(), first.version, backfillId],
    );
    const counts = lineage.rows[0]!;
    assert.ok(counts.total >= 40 * 2 * 3, `${counts.total} observations`);
    assert.deepEqual(
      { ...counts, total: 0 },
      {
        total: 0,
        no_scene: 0,
        scene_mismatch: 0,
        no_baseline: 0,
        no_harmonisation: 0,
        no_run_id: 0,
        no_run: 0,
        wrong_run: 0,
        wrong_code: 0,
        wrong_algorithm: 0,
      },
      'every observation links to its scene, its run (with code version) and the algorithm version',
    );
    assert.match(codeVersion(), /^\d+\.\d+\.\d+(\+[0-9a-f]{7,})?/);
    first.rows = await observationsByKey(fixture);
    assert.equal(first.rows.size, counts.total);
  });

  it('prints the chain of one observation with `parcelwatch lineage`, matching the stored rows', async () => {
    const any = await fixture.db.pool.query<{
      external_id: string;
      day: string;
      scene_id: string;
      run_id: string;
    }>(
      `SELECT p.external_id, to_char(o.acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, o.scene_id, o.run_id
         FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id
        WHERE o.index_name = 'ndvi' AND o.status = 'ok' ORDER BY o.acquired_at, p.id LIMIT 1`,
    );
    const row = any.rows[0]!;
    const result = await runCli(
      ['lineage', `synthetic:${row.external_id}`, row.day, '--json'],
      fixture.env,
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.currentAlgorithmVersion, first.version);
    assert.deepEqual(
      report.observations.map((o: { index: string }) => o.index),
      ['ndmi', 'ndvi'],
    );
    const ndvi = report.observations[1];
    assert.deepEqual(ndvi.missing, []);
    assert.equal(ndvi.scene.id, row.scene_id);
    assert.equal(ndvi.scene.processingBaseline, '05.09');
    assert.equal(typeof ndvi.scene.harmonisation.offset, 'number');
    assert.equal(ndvi.run.runId, row.run_id);
    assert.equal(ndvi.run.codeVersion, codeVersion());
    assert.equal(ndvi.run.trigger, 'backfill');
  });

  it('marks every observation outdated when the buffer changes, and a backfill of one week recomputes exactly that week', async () => {
    const newVersion = algorithmVersion(rebuffered.config.science);
    assert.notEqual(newVersion, first.version);
    const marked = await runCli(['lineage', 'outdated', '--json'], rebuffered.env);
    assert.equal(marked.code, 0, marked.stderr);
    assert.deepEqual(JSON.parse(marked.stdout).outdated, {
      observations: first.rows.size,
      toReprocess: first.rows.size,
      kept: 0,
      weeks: { from: '2024-W19', to: '2024-W21' },
    });

    const result = await executeWithWorkers<{ weeks: BackfillWeek[] }>(
      rebuffered,
      'backfill',
      `backfill-lineage-rebuffer-${Date.now()}`,
      [{ from: '2024-W20', to: '2024-W20' }],
    );
    assert.deepEqual(
      result.weeks.map((w) => [w.week, w.status]),
      [['2024-W20', 'completed']],
    );
    const rerun = await latestRun(fixture, 'weekly-2024-W20');
    assert.equal(rerun?.code_version, codeVersion());
    const window = isoWeekWindow('2024-W20');
    const inWindow = (at: Date) =>
      at.getTime() >= Date.parse(window.start) && at.getTime() < Date.parse(window.end);

    const after = await observationsByKey(fixture);
    assert.deepEqual([...after.keys()].sort(), [...first.rows.keys()].sort(), 'same rows');
    let recomputed = 0;
    let untouched = 0;
    let valuesChanged = 0;
    for (const [key, old] of first.rows) {
      const now = after.get(key)!;
      if (inWindow(old.acquiredAt)) {
        recomputed++;
        assert.equal(now.algorithmVersion, newVersion, `${key} algorithm version`);
        assert.equal(now.runId, rerun?.run_id, `${key} run id`);
        assert.notEqual(now.runId, old.runId, `${key} run id changed`);
        assert.ok(now.computedAt > old.computedAt, `${key} computed_at moved`);
        if (now.mean !== old.mean) valuesChanged++;
      } else {
        untouched++;
        assert.deepEqual(now, old, `${key} untouched`);
      }
    }
    assert.ok(recomputed > 0 && untouched > 0, `${recomputed} recomputed, ${untouched} untouched`);
    assert.ok(valuesChanged > 0, 'a 0 m buffer selects other pixels: some means changed');

    // The recomputed week holds what the engine gives with the new settings.
    const w20Scenes = fixture.dataset.scenes
      .filter((s) => inWindow(new Date(s.datetime)))
      .map((s) => s.id);
    assert.ok(w20Scenes.length > 0);
    assertSameObservations(
      (await storedObservations(fixture)).filter((o) => inWindow(o.acquired_at)),
      await directComputation(rebuffered, w20Scenes),
    );

    const left = JSON.parse(
      (await runCli(['lineage', 'outdated', '--json'], rebuffered.env)).stdout,
    );
    assert.deepEqual(left.outdated, {
      observations: untouched,
      toReprocess: untouched,
      kept: 0,
      weeks: { from: '2024-W19', to: '2024-W21' },
    });
    const versions = Object.fromEntries(
      left.versions.map((v: { algorithmVersion: string; observations: number }) => [
        v.algorithmVersion,
        v.observations,
      ]),
    );
    assert.deepEqual(versions, { [newVersion]: recomputed, [first.version]: untouched });
  });
});
