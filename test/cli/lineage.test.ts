import assert from 'node:assert/strict';
import { algorithmVersion } from '../../src/core/algorithm';
import type { Database } from '../../src/store/db/database';
import { upsertObservations } from '../../src/store/db/observations-repo';
import { upsertParcels, watchParcels } from '../../src/store/db/parcels-repo';
import { finishRun, startRun } from '../../src/store/db/runs-repo';
import { runCli } from '../helpers/cli';
import { observationRow } from '../store/archive/fixtures';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { randomParcels } from '../store/db/test-parcels';

const SCHEMA = 'cli_lineage';
const SCIENCE = { validSclClasses: [4, 5, 6, 7], okThreshold: 0.5 };
const CURRENT = algorithmVersion({ ...SCIENCE, bufferMetres: 5 });
const OLDER = algorithmVersion({ ...SCIENCE, bufferMetres: 0 });

describe('parcelwatch lineage', function () {
  this.timeout(300_000);
  let db: Database & { url: string };
  let env: Record<string, string>;
  let ids: number[];
  const cli = (...args: string[]) => runCli(['lineage', ...args], env);

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    env = { DATABASE_URL: db.url, PARCELWATCH_DB_SCHEMA: SCHEMA, PARCELWATCH_BUFFER_M: '5' };
    const box: [number, number, number, number] = [540_000, 5_040_000, 545_000, 5_045_000];
    ids = (await upsertParcels(db, randomParcels(2, 4, box, 'FR'), { source: 'lpis' })).ids;
    await watchParcels(db, { ids }, true);
    await db.pool.query(
      `INSERT INTO scenes (id, collection, tile, acquired_at, cloud_cover, processing_baseline, harmonisation, assets, status)
       VALUES ('S2A_33TWL_20240507_0_L2A', 'sentinel-2-l2a', '33TWL', '2024-05-07T10:00:00Z', 8, '05.09', $1, '{}', 'masked')`,
      [
        JSON.stringify({
          scale: 0.0001,
          offset: -0.1,
          rule: 'baseline-04-offset',
          evidence: {
            processingBaseline: '05.09',
            boaOffsetApplied: false,
            declaredOffset: -0.1,
            declaredScale: 0.0001,
          },
        }),
      ],
    );
    await startRun(db, {
      workflowId: 'weekly-2024-W19',
      runId: 'run-19',
      kind: 'weekly',
      trigger: 'manual',
      triggeredBy: 'cli:bob',
      codeVersion: '0.1.0+0123456789ab',
    });
    await finishRun(db, { workflowId: 'weekly-2024-W19', runId: 'run-19', status: 'completed' });
    await upsertObservations(
      db,
      [
        observationRow(ids[0]!, 'ndvi', '2024-05-07T10:00:00Z', 0.61),
        observationRow(ids[0]!, 'ndmi', '2024-05-07T10:00:00Z', 0.21),
      ],
      { algorithmVersion: CURRENT, runId: 'run-19' },
    );
    await upsertObservations(
      db,
      [
        observationRow(ids[0]!, 'ndvi', '2024-04-23T10:00:00Z', 0.5),
        observationRow(ids[1]!, 'ndvi', '2024-04-23T10:00:00Z', 0.5),
      ],
      { algorithmVersion: OLDER },
    );
  });
  after(async () => db?.close());

  it('prints parcel → observation → scene → run for each index of the day', async () => {
    const result = await cli(`lpis:FR-0`, '2024-05-07');
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.match(out, new RegExp(`parcel +${ids[0]} \\(lpis:FR-0\\), owner team-a`));
    assert.match(out, /date +2024-05-07: 2 observation\(s\)/);
    assert.match(out, /\nndmi acquired 2024-05-07T10:00:00\.000Z\n[\s\S]*\nndvi acquired/);
    assert.match(out, /observation +ok, mean 0\.6100 /);
    assert.match(out, /75\/100 valid pixels \(0\.750\)/);
    assert.ok(out.includes(`algorithm ${CURRENT} (current)`), out);
    assert.match(
      out,
      /scene +S2A_33TWL_20240507_0_L2A \(sentinel-2-l2a, tile 33TWL, masked\), cloud cover 8 %/,
    );
    assert.match(
      out,
      /processing baseline 05\.09; harmonisation baseline-04-offset: reflectance = DN × 0\.0001 − 0\.1/,
    );
    assert.match(
      out,
      /run +weekly-2024-W19 \(run run-19\), weekly, completed; trigger manual by cli:bob/,
    );
    assert.match(out, /code 0\.1\.0\+0123456789ab; started /);
  });

  it('gives the same chain as JSON, by database id, and marks an outdated algorithm version', async () => {
    const json = JSON.parse((await cli(String(ids[0]), '2024-05-07', '--json')).stdout);
    assert.equal(json.currentAlgorithmVersion, CURRENT);
    assert.deepEqual(
      json.observations.map(
        (o: { index: string; sceneId: string; run: { codeVersion: string } }) => [
          o.index,
          o.sceneId,
          o.run.codeVersion,
        ],
      ),
      [
        ['ndmi', 'S2A_33TWL_20240507_0_L2A', '0.1.0+0123456789ab'],
        ['ndvi', 'S2A_33TWL_20240507_0_L2A', '0.1.0+0123456789ab'],
      ],
    );
    const old = await cli(String(ids[0]), '2024-04-23');
    assert.equal(old.code, 0, old.stderr);
    assert.ok(
      old.stdout.includes(`algorithm ${OLDER} (OUTDATED: current is ${CURRENT}`),
      old.stdout,
    );
    assert.match(old.stdout, /scene +S2A_33TWL_20240423_0_L2A MISSING from the scenes table/);
    assert.match(old.stdout, /run +MISSING \(the observation names no run\)/);
  });

  it('names the nearest days with observations when the day has none, and refuses unknown parcels and bad dates (exit 2)', async () => {
    const none = await cli(String(ids[0]), '2024-05-01');
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      new RegExp(
        `parcel ${ids[0]} \\(lpis:FR-0\\) has no observation acquired on 2024-05-01; the nearest days with observations are 2024-05-07, 2024-04-23`,
      ),
    );
    const unknown = await cli('lpis:FR-404', '2024-05-07');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no parcel has source "lpis" and external id "FR-404"/);
    const badParcel = await cli('FR-0', '2024-05-07');
    assert.equal(badParcel.code, 2);
    assert.match(badParcel.stderr, /parcel "FR-0" is neither a parcel id/);
    const badDate = await cli(String(ids[0]), '2024-02-30');
    assert.equal(badDate.code, 2);
    assert.match(badDate.stderr, /date "2024-02-30" is not a calendar day written YYYY-MM-DD/);
  });

  it('counts observations per algorithm version and prints the backfill that recomputes the outdated ones', async () => {
    const text = await cli('outdated');
    assert.equal(text.code, 0, text.stderr);
    assert.ok(text.stdout.includes(`current algorithm version  ${CURRENT}`), text.stdout);
    assert.match(
      text.stdout,
      /2 of 4 observations are outdated: 2 will be recomputed by the next run or backfill covering them/,
    );
    assert.match(
      text.stdout,
      /recompute them now: +parcelwatch backfill --from 2024-W17 --to 2024-W17/,
    );
    const json = JSON.parse((await cli('outdated', '--json')).stdout);
    assert.deepEqual(
      json.versions.map(
        (v: { algorithmVersion: string; current: boolean; observations: number }) => [
          v.algorithmVersion,
          v.current,
          v.observations,
        ],
      ),
      [
        [CURRENT, true, 2],
        [OLDER, false, 2],
      ],
    );
    // Under buffer 0 the other rows are the outdated ones.
    const other = await runCli(['lineage', 'outdated', '--json'], {
      ...env,
      PARCELWATCH_BUFFER_M: '0',
    });
    assert.deepEqual(JSON.parse(other.stdout).outdated, {
      observations: 2,
      toReprocess: 2,
      kept: 0,
      weeks: { from: '2024-W19', to: '2024-W19' },
    });
  });
});
