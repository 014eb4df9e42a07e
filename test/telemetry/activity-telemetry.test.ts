import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AggregationTemporality, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../../src/activities/deps';
import { guarded } from '../../src/activities/failures';
import { BadDataError, TransientError } from '../../src/core/errors';
import { FileDatalake } from '../../src/store/datalake/file-datalake';
import { openByteSource } from '../../src/store/sources/open-byte-source';
import { measuredActivity, measuredDeps } from '../../src/telemetry/activity-telemetry';
import { ATTRIBUTES, METRICS } from '../../src/telemetry/instruments';
import { setupTelemetry, type Telemetry } from '../../src/telemetry/setup';
import { counterTotal } from './metric-points';

describe('activity metrics and I/O spans', () => {
  let telemetry: Telemetry;
  let spans: InMemorySpanExporter;
  let points: InMemoryMetricExporter;
  let dir: string;

  beforeEach(() => {
    spans = new InMemorySpanExporter();
    points = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    telemetry = setupTelemetry({}, { spanExporter: spans, metricExporter: points });
    dir = mkdtempSync(path.join(tmpdir(), 'pw-telemetry-'));
  });
  afterEach(async () => {
    await telemetry.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts failed attempts by activity and by the failure type Temporal sees', async () => {
    const failing = (error: Error) =>
      measuredActivity(
        'downloadScene',
        guarded(async () => {
          throw error;
        }),
      );
    await assert.rejects(
      failing(new BadDataError('corrupt COG', { code: 'COG' }))(),
      ApplicationFailure,
    );
    await assert.rejects(failing(new BadDataError('corrupt COG', { code: 'COG' }))());
    await assert.rejects(failing(new TransientError('HTTP 503', { code: 'HTTP_503' }))());
    await assert.rejects(failing(new TypeError('bug'))(), TypeError);
    await telemetry.flush();
    const failures = (errorType: string) =>
      counterTotal(points, METRICS.activityFailures, {
        [ATTRIBUTES.activityType]: 'downloadScene',
        [ATTRIBUTES.errorType]: errorType,
      });
    assert.equal(failures('BadDataError'), 2);
    assert.equal(failures('TransientError'), 1);
    assert.equal(failures('TypeError'), 1);
  });

  it('reads scenes found, skipped, processed and failed and parcels computed from what activities return', async () => {
    const search = measuredActivity('searchScenes', async (_input: unknown) => ({
      scenes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
      skipped: [{ id: 'd', reason: 'no SCL asset' }],
    }));
    const outcome = measuredActivity('recordSceneOutcome', async (_input: unknown) => undefined);
    const compute = measuredActivity('computeIndices', async (_input: unknown) => ({
      parcels: 40,
      observations: 80,
      written: 80,
      statuses: { ok: 80 },
    }));
    await search({});
    await outcome({ status: 'computed' });
    await outcome({ status: 'computed' });
    await outcome({ status: 'failed' });
    await compute({});
    await compute({});
    await telemetry.flush();
    assert.equal(counterTotal(points, METRICS.scenesFound), 3);
    assert.equal(counterTotal(points, METRICS.scenesSkipped), 1);
    assert.equal(counterTotal(points, METRICS.scenesProcessed), 2);
    assert.equal(counterTotal(points, METRICS.scenesFailed), 1);
    assert.equal(counterTotal(points, METRICS.parcelsComputed), 80);
  });

  it('counts and traces the bytes read from provider sources and the datalake, and written to it', async () => {
    const cog = path.join(dir, 'B04.tif');
    writeFileSync(cog, Buffer.alloc(5000, 7));
    const deps = measuredDeps({
      datalake: new FileDatalake(path.join(dir, 'lake')),
      openSource: (href: string) => openByteSource(href),
    } as unknown as ActivityDeps);
    const provider = deps.openSource(pathToFileURL(cog).href);
    assert.equal((await provider.fetch(1000, 3000)).byteLength, 3000);
    assert.equal((await provider.fetch(4000, 3000)).byteLength, 1000, 'short read past the end');
    await provider.close();
    await deps.datalake.put('raw/x/B04.tif', new Uint8Array(1234));
    assert.equal((await deps.datalake.get('raw/x/B04.tif')).byteLength, 1234);
    const lake = deps.datalake.source('raw/x/B04.tif');
    await lake.fetch(0, 100);
    await lake.close();
    await telemetry.flush();

    assert.equal(counterTotal(points, METRICS.bytesRead, { [ATTRIBUTES.store]: 'provider' }), 4000);
    assert.equal(counterTotal(points, METRICS.bytesRead, { [ATTRIBUTES.store]: 'datalake' }), 1334);
    assert.equal(
      counterTotal(points, METRICS.bytesWritten, { [ATTRIBUTES.store]: 'datalake' }),
      1234,
    );
    const names = spans.getFinishedSpans().map((s) => s.name);
    assert.deepEqual(names.sort(), [
      'COG range read',
      'COG range read',
      'COG range read',
      'datalake get',
      'datalake put',
    ]);
    const read = spans
      .getFinishedSpans()
      .find((s) => s.attributes['parcelwatch.range.offset'] === 1000)!;
    assert.equal(read.attributes['url.full'], pathToFileURL(cog).href);
    assert.equal(read.attributes['parcelwatch.range.bytes'], 3000);
    assert.equal(read.attributes[ATTRIBUTES.store], 'provider');
  });

  it('marks a failed read span as an error with its type', async () => {
    const deps = measuredDeps({
      datalake: new FileDatalake(dir),
      openSource: (href: string) => openByteSource(href),
    } as unknown as ActivityDeps);
    const missing = deps.openSource(pathToFileURL(path.join(dir, 'missing.tif')).href);
    await assert.rejects(missing.fetch(0, 10), BadDataError);
    await telemetry.flush();
    const [span] = spans.getFinishedSpans();
    assert.equal(span?.status.code, 2 /* SpanStatusCode.ERROR */);
    assert.equal(span?.attributes['error.type'], 'BadDataError');
  });
});
