import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { currentTelemetry } from '../../src/telemetry/current';
import { countBytesRead, METRICS } from '../../src/telemetry/instruments';
import { setupTelemetry, type Telemetry } from '../../src/telemetry/setup';
import { inSpan } from '../../src/telemetry/spans';

/** What a process sees of OpenTelemetry through the API alone. */
function globalsRegistered() {
  const span = trace.getTracer('probe').startSpan('probe');
  const recording = span.isRecording();
  span.end();
  // A valid remote context: a registered propagator writes `traceparent` for it, a no-op one does not.
  const remote = trace.wrapSpanContext({
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
  });
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), remote), carrier);
  return {
    tracing: recording,
    propagation: Object.keys(carrier).length > 0,
    metrics: metrics.getMeterProvider() instanceof MeterProvider,
    handle: currentTelemetry() !== undefined,
  };
}

const NOTHING = { tracing: false, propagation: false, metrics: false, handle: false };

describe('telemetry set-up from OTEL_*', () => {
  let telemetry: Telemetry | undefined;
  afterEach(async () => {
    await telemetry?.shutdown();
    telemetry = undefined;
  });

  it('registers nothing without an OTLP endpoint: spans, context propagation and metrics stay no-ops', async () => {
    telemetry = setupTelemetry({ OTEL_SERVICE_NAME: 'parcelwatch-test' });
    assert.equal(telemetry.enabled, false);
    assert.equal(telemetry.tracing, undefined);
    assert.equal(telemetry.metering, undefined);
    assert.deepEqual(globalsRegistered(), NOTHING);
    await telemetry.flush();
  });

  it('registers nothing with OTEL_SDK_DISABLED=true even when an endpoint is set', () => {
    telemetry = setupTelemetry({
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    });
    assert.equal(telemetry.enabled, false);
    assert.deepEqual(globalsRegistered(), NOTHING);
  });

  it('with exporters given, registers tracing, W3C propagation and metrics, with the resource from OTEL_*', async () => {
    const spans = new InMemorySpanExporter();
    const points = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    telemetry = setupTelemetry(
      {
        OTEL_SERVICE_NAME: 'parcelwatch-test',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging',
      },
      { spanExporter: spans, metricExporter: points },
    );
    assert.deepEqual(globalsRegistered(), {
      tracing: true,
      propagation: true,
      metrics: true,
      handle: true,
    });
    await inSpan('outer', {}, () =>
      inSpan('inner', {}, async () => countBytesRead(42, 'provider')),
    );
    await telemetry.flush();
    const finished = spans.getFinishedSpans().filter((s) => s.name !== 'probe');
    const outer = finished.find((s) => s.name === 'outer')!;
    const inner = finished.find((s) => s.name === 'inner')!;
    assert.equal(inner.parentSpanId, outer.spanContext().spanId, 'context flows through await');
    assert.equal(outer.resource.attributes['service.name'], 'parcelwatch-test');
    assert.equal(outer.resource.attributes['deployment.environment'], 'staging');
    const exported = points.getMetrics().at(-1)!;
    const read = exported.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === METRICS.bytesRead);
    assert.equal(read?.dataPoints[0]?.value, 42);
    assert.equal(exported.resource.attributes['service.name'], 'parcelwatch-test');
  });

  it('samples with OTEL_TRACES_SAMPLER (always_off: no span recorded)', async () => {
    const spans = new InMemorySpanExporter();
    telemetry = setupTelemetry({ OTEL_TRACES_SAMPLER: 'always_off' }, { spanExporter: spans });
    await inSpan('dropped', {}, async () => undefined);
    await telemetry.flush();
    assert.deepEqual(spans.getFinishedSpans(), []);
  });

  it('unregisters everything on shutdown, so it can be set up again', async () => {
    telemetry = setupTelemetry({}, { spanExporter: new InMemorySpanExporter() });
    assert.throws(
      () => setupTelemetry({}, { spanExporter: new InMemorySpanExporter() }),
      /already set up/,
    );
    await telemetry.shutdown();
    assert.deepEqual(globalsRegistered(), NOTHING);
    telemetry = setupTelemetry({}, { spanExporter: new InMemorySpanExporter() });
    assert.equal(globalsRegistered().tracing, true);
  });

  it('exports spans and metrics over OTLP/HTTP to the configured endpoint, with the configured headers', async () => {
    const received: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
    const collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = collector.address() as AddressInfo;
      telemetry = setupTelemetry({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=farm-42',
        OTEL_SERVICE_NAME: 'parcelwatch-otlp-test',
      });
      await inSpan('exported span', {}, async () => countBytesRead(7, 'datalake'));
      await telemetry.flush();
      const traces = received.find((r) => r.path === '/v1/traces');
      const metricsPost = received.find((r) => r.path === '/v1/metrics');
      assert.ok(traces, `no POST /v1/traces among ${received.map((r) => r.path)}`);
      assert.ok(metricsPost, `no POST /v1/metrics among ${received.map((r) => r.path)}`);
      assert.equal(traces.headers['x-scope-orgid'], 'farm-42');
      assert.ok(traces.body.includes('exported span'));
      assert.ok(traces.body.includes('parcelwatch-otlp-test'));
      assert.ok(metricsPost.body.includes(METRICS.bytesRead));
    } finally {
      await telemetry?.shutdown();
      telemetry = undefined;
      collector.close();
    }
  });
});
