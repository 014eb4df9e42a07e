import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { temporal } from '@temporalio/proto';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { activityDeps } from '../../src/activities/deps';
import { currentTelemetry } from '../../src/telemetry/current';
import { ATTRIBUTES, METRICS, VALID_FRACTION_BUCKETS } from '../../src/telemetry/instruments';
import { setupTelemetry, type Telemetry } from '../../src/telemetry/setup';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../src/telemetry/temporal';
import { connectClient } from '../../src/temporal/connection';
import { replayHistory } from '../../src/temporal/replay';
import { createWorkers, WORKFLOWS_PATH } from '../../src/workers/worker';
import type { WeeklyRunResult } from '../../src/workflows/weekly-run';
import { type PipelineFixture, pipelineFixture, withPipelineWorkers } from '../helpers/pipeline';
import { REPO_ROOT } from '../helpers/services';
import { ensureTestRuntime } from '../helpers/workers';
import { counterBreakdown, counterTotal, histogramTotals } from '../telemetry/metric-points';

/** A clear acquisition (2024-W19) and a fully clouded one (2024-W20); the run covers both. */
const CLEAR = '2024-05-07';
const CLOUDED = '2024-05-14';
const WEEK = '2024-W20';
const CORRUPT_TILE = '33TWM';
/** Temporal carries the trace context in this header (the v1 interceptors' TRACE_HEADER). */
const TRACE_HEADER = '_tracer-data';

describe('telemetry of a weekly run: traces, metrics and logs (real services)', function () {
  this.timeout(900_000);
  let fixture: PipelineFixture;

  before(async () => {
    fixture = await pipelineFixture(
      'telemetry',
      {
        seed: 53,
        parcels: 60,
        tinyParcels: 1,
        bands: ['B04', 'B08', 'B11', 'SCL'],
        dates: [CLEAR, CLOUDED],
        scenes: { [CLOUDED]: { fullyClouded: true } },
      },
      { PARCELWATCH_GROUP_MAX_PARCELS: '25', PARCELWATCH_LOOKBACK_WEEKS: '1' },
      {
        mutate: (dir) => {
          const scenes = JSON.parse(readFileSync(path.join(dir, 'synthetic.json'), 'utf8'))
            .scenes as Array<{ id: string; tile: string; date: string }>;
          // One scene's B08 is corrupt (decoding fails: bad data), one item has no SCL (skipped).
          const corrupt = scenes.find((s) => s.tile === CORRUPT_TILE && s.date === CLEAR)!;
          const file = path.join(dir, 'cogs', corrupt.id, 'B08.tif');
          const bytes = readFileSync(file);
          bytes.fill(0x5a, Math.floor(bytes.length * 0.5), bytes.length - 16);
          writeFileSync(file, bytes);
          const noScl = scenes.find((s) => s.tile !== CORRUPT_TILE && s.date === CLOUDED)!;
          const itemFile = path.join(dir, 'items', `${noScl.id}.json`);
          const item = JSON.parse(readFileSync(itemFile, 'utf8'));
          delete item.assets.scl;
          writeFileSync(itemFile, JSON.stringify(item));
        },
      },
    );
  });
  after(async () => fixture?.close());

  describe('in process, with in-memory exporters', () => {
    let telemetry: Telemetry;
    let spans: InMemorySpanExporter;
    let points: InMemoryMetricExporter;
    let result: WeeklyRunResult;
    let workflowId: string;

    before(async () => {
      ensureTestRuntime();
      spans = new InMemorySpanExporter();
      points = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
      telemetry = setupTelemetry(
        { OTEL_SERVICE_NAME: 'parcelwatch-e2e' },
        { spanExporter: spans, metricExporter: points },
      );
      try {
        workflowId = `weekly-${WEEK}-traced-${Date.now()}`;
        result = await runTraced(fixture, workflowId, await tracedBundle());
        await telemetry.flush();
      } catch (error) {
        await telemetry.shutdown();
        throw error;
      }
    });
    after(async () => telemetry?.shutdown());

    it('ran the known week: processed scenes, one failed on bad data, one skipped item', () => {
      assert.notEqual(result.status, 'failed', JSON.stringify(result));
      assert.ok(result.scenesProcessed > 0);
      assert.ok(result.scenesFailed >= 1);
      assert.ok(result.scenesSkipped >= 1);
    });

    it('holds one trace from the client through the weekly run, its group children and their activities', () => {
      const all = spans.getFinishedSpans();
      const tree = spanTree(all);
      const [root, ...others] = tree.named('StartWorkflow:weeklyRun');
      assert.ok(root && others.length === 0, 'one client span starting the run');
      assert.equal(root.parentSpanId, undefined, 'the client span is the root');
      const traceId = root.spanContext().traceId;
      assert.deepEqual(
        all.filter((s) => s.spanContext().traceId !== traceId).map((s) => s.name),
        [],
        'every span belongs to the run’s trace',
      );
      const [run] = tree.named('RunWorkflow:weeklyRun');
      assert.equal(tree.parent(run!), root);

      const groups = tree.named('RunWorkflow:processGroup');
      assert.equal(groups.length, result.groups, 'one child workflow span per group');
      for (const group of groups) {
        const start = tree.parent(group)!;
        assert.equal(start.name, 'StartChildWorkflow:processGroup');
        assert.equal(tree.parent(start), run);
      }
      // Every activity execution hangs under the workflow span that scheduled it.
      const activityRuns = all.filter((s) => s.name.startsWith('RunActivity:'));
      assert.ok(activityRuns.length > 0);
      for (const activity of activityRuns) {
        const type = activity.name.slice('RunActivity:'.length);
        const scheduled = tree.parent(activity)!;
        assert.equal(scheduled.name, `StartActivity:${type}`);
        assert.match(tree.parent(scheduled)!.name, /^RunWorkflow:(weeklyRun|processGroup)$/);
      }
      for (const type of ['searchScenes', 'downloadScene', 'maskScene', 'computeIndices'])
        assert.ok(tree.named(`RunActivity:${type}`).length > 0, `no ${type} activity span`);
    });

    it('has STAC requests, COG range reads and database writes beneath the activities that made them', () => {
      const tree = spanTree(spans.getFinishedSpans());
      const underActivity = (span: ReadableSpan) => tree.parent(span)?.name;

      const stac = tree.all.filter((s) => /^(GET|POST) \/search$/.test(s.name));
      assert.ok(stac.length >= result.groups, `${stac.length} STAC search spans`);
      for (const span of stac) {
        assert.equal(underActivity(span), 'RunActivity:searchScenes');
        assert.equal(span.attributes['http.response.status_code'], 200);
        assert.equal(span.attributes['url.full'], `${fixture.stac.url}/search`);
      }

      const reads = tree.named('COG range read');
      const providerReads = reads.filter((s) => s.attributes[ATTRIBUTES.store] === 'provider');
      const lakeReads = reads.filter((s) => s.attributes[ATTRIBUTES.store] === 'datalake');
      assert.ok(providerReads.length > 0 && lakeReads.length > 0);
      for (const span of providerReads) {
        assert.equal(underActivity(span), 'RunActivity:downloadScene');
        assert.match(String(span.attributes['url.full']), /\/cogs\/.+\.tif$/);
      }
      for (const span of lakeReads) assert.equal(underActivity(span), 'RunActivity:computeIndices');

      const writes = (name: string) => tree.named(name).map(underActivity);
      assert.ok(writes('upsert parcel_observations').length > 0);
      assert.ok(
        writes('upsert parcel_observations').every((p) => p === 'RunActivity:computeIndices'),
      );
      assert.ok(writes('upsert scene_groups').includes('RunActivity:recordSceneOutcome'));
      assert.ok(writes('upsert scenes').includes('RunActivity:searchScenes'));
      assert.ok(writes('upsert pipeline_runs').every((p) => p === 'RunActivity:recordRun'));
      assert.ok(writes('upsert parcel_weekly').every((p) => p === 'RunActivity:prepareTables'));
      const observationWrite = tree.named('upsert parcel_observations')[0]!;
      assert.equal(observationWrite.attributes['db.system'], 'postgresql');
      assert.equal(observationWrite.attributes['db.namespace'], fixture.config.database.schema);
      assert.ok(Number(observationWrite.attributes['db.operation.batch.size']) > 0);
      assert.ok(writes('datalake put').every((p) => /downloadScene|maskScene/.test(p ?? '')));
    });

    it('marks the activity that met the corrupt COG as failed, with its error type', () => {
      const failed = spans
        .getFinishedSpans()
        .filter((s) => s.name.startsWith('RunActivity:') && s.status.code === 2);
      assert.deepEqual([...new Set(failed.map((s) => s.name))], ['RunActivity:maskScene']);
      assert.equal(failed.length, result.scenesFailed);
    });

    it('counts scenes found, processed, failed and skipped as the run and the database record them', async () => {
      const outcomes = await fixture.db.pool.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM scene_groups GROUP BY status',
      );
      const stored = Object.fromEntries(outcomes.rows.map((r) => [r.status, r.n]));
      // First run: every scene a group found ends computed or failed in scene_groups.
      const found = outcomes.rows.reduce((sum, r) => sum + r.n, 0);
      assert.equal(counterTotal(points, METRICS.scenesFound), found);
      assert.equal(counterTotal(points, METRICS.scenesProcessed), stored.computed);
      assert.equal(counterTotal(points, METRICS.scenesProcessed), result.scenesProcessed);
      assert.equal(counterTotal(points, METRICS.scenesFailed), stored.failed);
      assert.equal(counterTotal(points, METRICS.scenesFailed), result.scenesFailed);
      assert.equal(counterTotal(points, METRICS.scenesSkipped), result.scenesSkipped);
    });

    it('counts parcels computed and observations by index and status as stored, and their valid fractions', async () => {
      const rows = await fixture.db.pool.query<{
        index_name: string;
        status: string;
        valid_pixels: number;
        total_pixels: number;
        parcel_id: string;
        scene_id: string;
      }>(
        'SELECT index_name, status, valid_pixels, total_pixels, parcel_id, scene_id FROM parcel_observations',
      );
      const indices = fixture.config.science.indices.length;
      const parcelScenes = new Set(rows.rows.map((r) => `${r.parcel_id}|${r.scene_id}`));
      assert.equal(rows.rows.length, parcelScenes.size * indices);
      assert.equal(counterTotal(points, METRICS.parcelsComputed), parcelScenes.size);

      const byStatus: Record<string, number> = {};
      for (const r of rows.rows)
        byStatus[`${r.index_name}|${r.status}`] =
          (byStatus[`${r.index_name}|${r.status}`] ?? 0) + 1;
      assert.deepEqual(
        counterBreakdown(points, METRICS.observations, [
          ATTRIBUTES.index,
          ATTRIBUTES.observationStatus,
        ]),
        byStatus,
      );
      assert.ok(
        Object.keys(byStatus).some((k) => k.endsWith('|cloudy')),
        'the clouded week',
      );

      // Valid fraction = valid / total pixels; buckets (−∞,0], (0,0.1], …, (0.9,1], (1,∞).
      const fractions = rows.rows.map((r) =>
        r.total_pixels === 0 ? 0 : r.valid_pixels / r.total_pixels,
      );
      const expected = new Array<number>(VALID_FRACTION_BUCKETS.length + 1).fill(0);
      for (const f of fractions) {
        const bucket = VALID_FRACTION_BUCKETS.findIndex((bound) => f <= bound);
        expected[bucket < 0 ? VALID_FRACTION_BUCKETS.length : bucket]! += 1;
      }
      const histogram = histogramTotals(points, METRICS.validFraction);
      assert.deepEqual(histogram.boundaries, VALID_FRACTION_BUCKETS);
      assert.deepEqual(histogram.counts, expected);
      assert.equal(histogram.count, rows.rows.length);
      const sum = fractions.reduce((a, b) => a + b, 0);
      assert.ok(
        Math.abs(histogram.sum - sum) < 1e-6 * rows.rows.length,
        `${histogram.sum} vs ${sum}`,
      );
    });

    it('counts the bytes the STAC server sent, the bytes in the datalake, and datalake reads', () => {
      const served = fixture.stac.requests
        .filter((r) => r.path.startsWith('/cogs/'))
        .reduce((sum, r) => sum + r.bytes, 0);
      assert.ok(served > 0);
      assert.equal(
        counterTotal(points, METRICS.bytesRead, { [ATTRIBUTES.store]: 'provider' }),
        served,
      );
      const files = filesUnder(fixture.datalakeRoot);
      const written = files.reduce((sum, f) => sum + f.size, 0);
      assert.equal(
        counterTotal(points, METRICS.bytesWritten, { [ATTRIBUTES.store]: 'datalake' }),
        written,
      );
      // Masking reads every raw raster it masks whole; statistics then read parts of the clean ones.
      const raw = files.filter((f) => f.path.includes(`${path.sep}raw${path.sep}`));
      const rawBytes = raw.reduce((sum, f) => sum + f.size, 0);
      assert.ok(
        counterTotal(points, METRICS.bytesRead, { [ATTRIBUTES.store]: 'datalake' }) > rawBytes,
      );
    });

    it('counts activity failures by activity and error type: the corrupt scene, once per group meeting it', () => {
      assert.deepEqual(
        counterBreakdown(points, METRICS.activityFailures, [
          ATTRIBUTES.activityType,
          ATTRIBUTES.errorType,
        ]),
        { 'maskScene|BadDataError': result.scenesFailed },
      );
    });

    it('writes the trace context into the history, and that history replays without the interceptors', async () => {
      const history = await fixture.client.workflow.getHandle(workflowId).fetchHistory();
      assert.ok(startHeaders(history).includes(TRACE_HEADER));
      const outcome = await replayHistory(history, workflowId);
      assert.ok(outcome.ok, outcome.error);
    });
  });

  describe('telemetry off', () => {
    it('registers nothing and adds no trace header to what the workers and clients send', async () => {
      assert.equal(currentTelemetry(), undefined);
      const workflowId = `check-untraced-${Date.now()}`;
      const client = await connectClient(fixture.config.temporal, fixture.env);
      try {
        await withPipelineWorkers(fixture, () =>
          client.workflow.execute('checkDatabase', {
            taskQueue: fixture.config.temporal.taskQueues.io,
            workflowId,
            args: [],
          }),
        );
      } finally {
        await client.connection.close();
      }
      const span = trace.getTracer('probe').startSpan('probe');
      assert.equal(span.isRecording(), false);
      span.end();
      assert.ok(!(metrics.getMeterProvider() instanceof MeterProvider));
      const history = await fixture.client.workflow.getHandle(workflowId).fetchHistory();
      assert.deepEqual(startHeaders(history), []);
      assert.deepEqual(activityHeaders(history), []);
    });
  });

  describe('a `parcelwatch worker` process exporting to an OTLP/HTTP collector', () => {
    it('sends spans, our metrics and Temporal runtime metrics, and logs JSON lines tied to workflows and traces', async () => {
      const collector = await startCollector();
      const worker = spawnWorker(fixture, {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_SERVICE_NAME: 'parcelwatch-worker-e2e',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        OTEL_BSP_SCHEDULE_DELAY: '500',
      });
      try {
        // Recompute the week: the corrupt scene fails again, the item without SCL is skipped again.
        const result = await fixture.client.workflow.execute('weeklyRun', {
          taskQueue: fixture.config.temporal.taskQueues.io,
          workflowId: `weekly-${WEEK}-worker-${Date.now()}`,
          args: [{ week: WEEK, reprocess: true }],
        });
        assert.ok((result as WeeklyRunResult).scenesProcessed > 0);
        await waitFor(
          () =>
            collector.received.some((r) => r.body.includes('RunWorkflow:weeklyRun')) &&
            collector.received.some((r) => r.protobuf && /temporal_/.test(r.body)),
          'spans and runtime metrics at the collector',
        );
      } finally {
        // A graceful stop flushes the last spans and metrics.
        await worker.stop();
        collector.server.close();
      }
      const traces = collector.received.filter((r) => r.path === '/v1/traces');
      const ours = collector.received.filter((r) => r.path === '/v1/metrics' && !r.protobuf);
      const runtime = collector.received.filter((r) => r.path === '/v1/metrics' && r.protobuf);
      const traceText = traces.map((r) => r.body).join('\n');
      for (const name of [
        'RunWorkflow:weeklyRun',
        'RunActivity:computeIndices',
        'COG range read',
        'upsert parcel_observations',
        'parcelwatch-worker-e2e',
      ])
        assert.ok(traceText.includes(name), `${name} not exported`);
      assert.ok(ours.some((r) => r.body.includes(METRICS.parcelsComputed)));
      assert.ok(runtime.length > 0, 'Temporal runtime metrics arrive over OTLP/HTTP');

      // Every line on standard output is one JSON object.
      const lines = worker.stdout.split('\n').filter(Boolean);
      const notJson = lines.filter((line) => {
        try {
          JSON.parse(line);
          return false;
        } catch {
          return true;
        }
      });
      assert.deepEqual(notJson, [], `stderr: ${worker.stderr}`);
      const logs = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.ok(logs.length > 0);
      for (const log of logs) {
        assert.equal(log['service.name'], 'parcelwatch-worker-e2e');
        assert.match(String(log['@timestamp']), /^\d{4}-\d\d-\d\dT/);
        assert.match(String(log['log.level']), /^(trace|debug|info|warn|error)$/);
        assert.equal(typeof log.message, 'string');
      }
      const failedActivity = logs.find(
        (l) => l.message === 'Activity failed' && l['temporal.activity.type'] === 'maskScene',
      );
      assert.ok(failedActivity, 'the failed activity is logged');
      assert.equal(failedActivity['error.type'], 'BadDataError');
      assert.match(String(failedActivity['temporal.workflow.id']), /^group-/);
      assert.ok(failedActivity['temporal.run.id']);
      // A line an activity logs itself carries the trace too (the worker's own "Activity failed"
      // line comes after the activity's span has ended: it is tied by workflow and run ids).
      const alert = logs.find((l) => l['event.action'] === 'parcelwatch.alert');
      assert.ok(alert, 'the degraded run’s alert is logged by the sendAlert activity');
      assert.equal(alert['temporal.activity.type'], 'sendAlert');
      assert.equal(alert['log.logger'], 'activity');
      assert.match(String(alert['trace.id']), /^[0-9a-f]{32}$/);
      const skipped = logs.find((l) => l.message === 'scene skipped');
      assert.ok(skipped, 'the workflow’s warning about the skipped item is logged');
      assert.equal(skipped['log.logger'], 'workflow');
      assert.ok(skipped['temporal.run.id']);
      assert.match(String(skipped['trace.id']), /^[0-9a-f]{32}$/);
    });
  });
});

/** The workflow code bundled with the OpenTelemetry workflow interceptors. */
function tracedBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    logger: new DefaultLogger('ERROR'),
  });
}

/**
 * Runs the week with the project's workers and client as production wires them: telemetry is set
 * up, so `createWorkers` adds the interceptors and the span sink and `connectClient` the client
 * interceptor.
 */
async function runTraced(
  fixture: PipelineFixture,
  workflowId: string,
  workflowBundle: WorkflowBundleWithSourceMap,
): Promise<WeeklyRunResult> {
  const client = await connectClient(fixture.config.temporal, fixture.env);
  const connection = await NativeConnection.connect({ address: fixture.config.temporal.address });
  try {
    const workers = await createWorkers({
      config: fixture.config,
      connection,
      activities: createActivities(activityDeps(fixture.config, fixture.db)),
      workflowBundle,
    });
    const run = client.workflow.execute<(input: { week: string }) => Promise<WeeklyRunResult>>(
      'weeklyRun',
      { taskQueue: fixture.config.temporal.taskQueues.io, workflowId, args: [{ week: WEEK }] },
    );
    // Workers stop once the run is over, after their last activation (and its spans) are done.
    await Promise.all(workers.map((worker) => worker.runUntil(run.catch(() => undefined))));
    return await run;
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

function spanTree(all: ReadableSpan[]) {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  return {
    all,
    named: (name: string) => all.filter((s) => s.name === name),
    parent: (span: ReadableSpan) =>
      span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId),
  };
}

type History = temporal.api.history.v1.IHistory;

function startHeaders(history: History): string[] {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  return Object.keys(started?.header?.fields ?? {});
}

function activityHeaders(history: History): string[] {
  return (history.events ?? []).flatMap((e) =>
    Object.keys(e.activityTaskScheduledEventAttributes?.header?.fields ?? {}),
  );
}

function filesUnder(root: string): Array<{ path: string; size: number }> {
  const out: Array<{ path: string; size: number }> = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile() && !entry.name.endsWith('.partial'))
      out.push({ path: full, size: statSync(full).size });
  }
  return out;
}

interface CollectorRequest {
  path: string;
  protobuf: boolean;
  /** The body as text (latin1 for protobuf, where metric names still read as ASCII). */
  body: string;
}

/** A stand-in OTLP/HTTP collector: accepts every export and keeps it. */
async function startCollector(): Promise<{
  url: string;
  server: Server;
  received: CollectorRequest[];
}> {
  const received: CollectorRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const protobuf = /protobuf/.test(request.headers['content-type'] ?? '');
      const body = Buffer.concat(chunks);
      received.push({
        path: request.url ?? '',
        protobuf,
        body: body.toString(protobuf ? 'latin1' : 'utf8'),
      });
      response
        .writeHead(200, {
          'content-type': protobuf ? 'application/x-protobuf' : 'application/json',
        })
        .end(protobuf ? undefined : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, received };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** `parcelwatch worker` on the fixture's configuration, its standard output and error kept apart. */
function spawnWorker(fixture: PipelineFixture, extraEnv: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(REPO_ROOT, 'src/cli/main.ts'), 'worker'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...fixture.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
