import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { JsonLogger } from '../../src/telemetry/logger';
import { setupTelemetry } from '../../src/telemetry/setup';
import {
  clientTelemetryInterceptors,
  temporalRuntimeOptions,
  WORKFLOW_INTERCEPTOR_MODULES,
  withoutNoneCompression,
  workerTelemetryOptions,
} from '../../src/telemetry/temporal';
import { runNode } from '../helpers/cli';

const logger = new JsonLogger({ service: 'test', write: () => undefined });

describe('Temporal wiring of telemetry', () => {
  it('adds nothing to workers and clients when tracing is off', async () => {
    const off = setupTelemetry({});
    assert.deepEqual(workerTelemetryOptions(off), {});
    assert.deepEqual(workerTelemetryOptions(undefined), {});
    assert.equal(clientTelemetryInterceptors(off), undefined);
    await off.shutdown();
  });

  it('gives workers activity interceptors, the workflow interceptor module and the span sink when tracing is on', async () => {
    const on = setupTelemetry({}, { spanExporter: new InMemorySpanExporter() });
    try {
      const options = workerTelemetryOptions(on);
      assert.equal(options.interceptors?.activity?.length, 1);
      assert.deepEqual(options.interceptors?.workflowModules, [...WORKFLOW_INTERCEPTOR_MODULES]);
      // The module must export `interceptors`, or the bundle would hold it without using it.
      const module = require(WORKFLOW_INTERCEPTOR_MODULES[0]!) as { interceptors?: unknown };
      assert.equal(typeof module.interceptors, 'function');
      assert.ok(options.sinks?.exporter);
      const client = clientTelemetryInterceptors(on)?.workflow;
      assert.ok(Array.isArray(client) && client.length === 1);
    } finally {
      await on.shutdown();
    }
  });

  it('sends Temporal runtime metrics to the OTLP/HTTP metrics endpoint, at our interval, with our headers', async () => {
    const on = setupTelemetry({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=farm',
      OTEL_METRIC_EXPORT_INTERVAL: '15000',
    });
    try {
      const options = temporalRuntimeOptions(logger, on);
      assert.equal(options.logger, logger);
      assert.deepEqual(options.telemetryOptions?.metrics, {
        otel: {
          url: 'http://127.0.0.1:9/v1/metrics',
          http: true,
          headers: { 'x-scope-orgid': 'farm' },
          metricsExportInterval: 15000,
          temporality: 'cumulative',
        },
      });
      assert.ok(options.telemetryOptions?.logging && 'forward' in options.telemetryOptions.logging);
    } finally {
      await on.shutdown();
    }
  });

  it('leaves runtime metrics off without a metrics endpoint, but still logs through our logger', () => {
    const options = temporalRuntimeOptions(logger, setupTelemetry({}));
    assert.equal(options.telemetryOptions?.metrics, undefined);
    assert.equal(options.logger, logger);
  });

  it("starts the runtime's metrics exporter when OTEL_EXPORTER_OTLP_COMPRESSION=none, which core alone refuses", async () => {
    const install = (fix: boolean) => `
      const { Runtime } = require('@temporalio/worker');
      const { withoutNoneCompression } = require('./src/telemetry/temporal');
      if (${fix}) withoutNoneCompression();
      try {
        Runtime.install({ telemetryOptions: { metrics: { otel: { url: 'http://127.0.0.1:9/v1/metrics', http: true } } } });
        Runtime.instance();
        console.log('installed');
      } catch (error) { console.log('refused: ' + error.message); }
      process.exit(0);`;
    const env = { OTEL_EXPORTER_OTLP_COMPRESSION: 'none' };
    const without = await runNode(['-e', install(false)], env);
    assert.match(without.stdout, /refused: .*compression/, without.stderr);
    const withFix = await runNode(['-e', install(true)], env);
    assert.match(withFix.stdout, /^installed$/m, withFix.stderr);
    const gzip = {
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'NONE',
    };
    assert.deepEqual(withoutNoneCompression(gzip), ['OTEL_EXPORTER_OTLP_METRICS_COMPRESSION']);
    assert.deepEqual(gzip, { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' });
  });
});
