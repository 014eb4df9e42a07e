import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { openCog } from '../../src/core/raster/cog-reader';
import { parseSceneRasterKey } from '../../src/store/datalake/keys';
import { S3Datalake } from '../../src/store/datalake/s3-datalake';
import type { WeeklyRunResult } from '../../src/workflows/weekly-run';
import {
  assertSameObservations,
  directComputation,
  type PipelineFixture,
  pipelineFixture,
  spawnWorker,
  storedObservations,
} from '../helpers/pipeline';
import { startVersitygw, type Versitygw } from '../helpers/versitygw';

const WEEK = '2024-W21';
const PREFIX = 'parcelwatch/e2e';

describe('weekly run on an S3 datalake (versitygw, Temporal dev server, PostgreSQL/PostGIS, local STAC API)', function () {
  this.timeout(600_000);
  let gw: Versitygw;
  let fixture: PipelineFixture;

  before(async () => {
    gw = await startVersitygw({ bucket: 'parcelwatch-datalake' });
    // The weekly-run test's data and groups, with the datalake in the bucket; the worker finds
    // the keys in the standard AWS variables, as in production.
    fixture = await pipelineFixture(
      's3',
      { seed: 11, parcels: 160, tinyParcels: 3, bands: ['B04', 'B08', 'B11', 'SCL'] },
      {
        PARCELWATCH_GROUP_MAX_PARCELS: '40',
        PARCELWATCH_LOOKBACK_WEEKS: '2',
        DATALAKE_URL: `s3://${gw.bucket}/${PREFIX}`,
        S3_ENDPOINT: gw.endpoint,
        AWS_REGION: gw.region,
        AWS_ACCESS_KEY_ID: gw.accessKeyId,
        AWS_SECRET_ACCESS_KEY: gw.secretAccessKey,
      },
    );
  });
  after(async () => {
    await fixture?.close();
    await gw?.stop();
  });

  it('stores the observations the engine computes directly, its rasters in the bucket under the prefix', async () => {
    assert.equal(fixture.config.datalake.kind, 's3');
    const worker = spawnWorker(fixture);
    const exited = new Promise<never>((_, reject) =>
      worker.once('exit', (code) =>
        reject(new Error(`the worker exited (${code}) during the run:\n${worker.output()}`)),
      ),
    );
    exited.catch(() => undefined);
    try {
      const result = await Promise.race([
        fixture.client.workflow.execute('weeklyRun', {
          taskQueue: fixture.config.temporal.taskQueues.io,
          workflowId: `weekly-${WEEK}-s3-${Date.now()}`,
          args: [{ week: WEEK }],
        }) as Promise<WeeklyRunResult>,
        exited,
      ]);
      assert.equal(result.status, 'completed', worker.output());
      assert.ok(result.groups >= 3, `${result.groups} groups`);
    } finally {
      worker.kill('SIGTERM');
      await exited.catch(() => undefined);
    }
    assertSameObservations(await storedObservations(fixture), await directComputation(fixture));

    // Every object is under the prefix and follows the key layout; raw and clean are both there.
    const objects = await bucketObjects(gw);
    assert.ok(objects.length > 0);
    for (const { key } of objects) {
      assert.ok(key.startsWith(`${PREFIX}/`), `${key} is outside the prefix`);
      assert.ok(parseSceneRasterKey(key.slice(PREFIX.length + 1)), `${key} follows the layout`);
    }
    const keys = objects.map((o) => o.key.slice(PREFIX.length + 1));
    assert.ok(keys.some((k) => k.startsWith('raw/')));
    assert.ok(keys.some((k) => k.startsWith('clean/')));
    // Exactly the rasters the database says were written, no more (no stray or partial object).
    const recorded = await fixture.db.pool.query<{
      raw_keys: Record<string, string>;
      clean_keys: Record<string, string>;
    }>('SELECT raw_keys, clean_keys FROM scene_groups');
    const expected = recorded.rows.flatMap((r) => [
      ...Object.values(r.raw_keys),
      ...Object.values(r.clean_keys),
    ]);
    assert.deepEqual([...keys].sort(), [...new Set(expected)].sort());
    assert.deepEqual(readdirSync(fixture.datalakeRoot), [], 'nothing went to the folder datalake');

    // A clean raster read back through the datalake is a COG on the 10 m grid.
    const lake = new S3Datalake({
      bucket: gw.bucket,
      prefix: PREFIX,
      endpoint: gw.endpoint,
      region: gw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    });
    const source = lake.source(keys.find((k) => k.startsWith('clean/') && k.endsWith('B04.tif'))!);
    try {
      const cog = await openCog(source);
      assert.equal(cog.grid.pixelWidth, 10);
    } finally {
      await source.close();
      await lake.close();
    }
  });
});

/** Every object of the bucket, as the server lists them. */
async function bucketObjects(gw: Versitygw): Promise<Array<{ key: string; size: number }>> {
  const out: Array<{ key: string; size: number }> = [];
  let token: string | undefined;
  do {
    const page = await gw.client.send(
      new ListObjectsV2Command({ Bucket: gw.bucket, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}
