import assert from 'node:assert/strict';
import { ConfigError } from '../../src/core/errors';
import { readOtelSettings } from '../../src/telemetry/otel-env';

const read = (env: Record<string, string>) =>
  readOtelSettings(env, { serviceName: 'parcelwatch-test' });

describe('OTEL_* settings', () => {
  it('configures no signal at all without an endpoint', () => {
    const settings = read({ OTEL_SERVICE_NAME: 'x' });
    assert.equal(settings.traces, undefined);
    assert.equal(settings.metrics, undefined);
    assert.equal(settings.disabled, false);
  });

  it('derives /v1/traces and /v1/metrics from OTEL_EXPORTER_OTLP_ENDPOINT, as the spec says', () => {
    const settings = read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    assert.equal(settings.traces?.url, 'http://collector:4318/v1/traces');
    assert.equal(settings.metrics?.url, 'http://collector:4318/v1/metrics');
  });

  it('uses a signal-specific endpoint as given, and turns a signal off with its exporter set to none', () => {
    const settings = read({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example/otlp/traces',
      OTEL_METRICS_EXPORTER: 'none',
    });
    assert.equal(settings.traces?.url, 'https://tempo.example/otlp/traces');
    assert.equal(settings.metrics, undefined);
  });

  it('exports only traces when only the traces endpoint is set', () => {
    const settings = read({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' });
    assert.ok(settings.traces);
    assert.equal(settings.metrics, undefined);
  });

  it('turns everything off with OTEL_SDK_DISABLED=true, endpoint or not', () => {
    const settings = read({
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    assert.equal(settings.disabled, true);
    assert.equal(settings.traces, undefined);
    assert.equal(settings.metrics, undefined);
  });

  it('reads headers (percent-decoded, signal-specific ones winning), timeouts, compression and the metric interval', () => {
    const settings = read({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=farm',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-tenant=coop',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
      OTEL_METRIC_EXPORT_INTERVAL: '15000',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
    });
    assert.deepEqual(settings.traces?.headers, { authorization: 'Bearer abc', 'x-tenant': 'farm' });
    assert.deepEqual(settings.metrics?.headers, {
      authorization: 'Bearer abc',
      'x-tenant': 'coop',
    });
    assert.equal(settings.traces?.timeoutMs, 5000);
    assert.equal(settings.traces?.compression, 'gzip');
    assert.equal(settings.metrics?.compression, 'none');
    assert.equal(settings.metrics?.intervalMs, 15000);
    assert.equal(settings.metrics?.temporality, 'delta');
  });

  it('names the service from OTEL_SERVICE_NAME over OTEL_RESOURCE_ATTRIBUTES over the default', () => {
    assert.equal(read({}).serviceName, 'parcelwatch-test');
    const fromAttributes = read({
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment=staging',
    });
    assert.equal(fromAttributes.serviceName, 'from-attrs');
    assert.equal(fromAttributes.resourceAttributes['deployment.environment'], 'staging');
    const named = read({
      OTEL_SERVICE_NAME: 'worker-eu',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs',
    });
    assert.equal(named.serviceName, 'worker-eu');
    assert.equal(named.resourceAttributes['service.name'], 'worker-eu');
  });

  it('reads the sampler and its ratio; parent-based always-on by default', () => {
    assert.deepEqual(read({}).sampler, { kind: 'parentbased_always_on', ratio: 1 });
    assert.deepEqual(
      read({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })
        .sampler,
      { kind: 'parentbased_traceidratio', ratio: 0.25 },
    );
  });

  it('reports every invalid setting at once, naming each variable, without echoing header values', () => {
    let error: unknown;
    try {
      read({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '2',
        OTEL_METRIC_EXPORT_INTERVAL: 'soon',
        OTEL_EXPORTER_OTLP_HEADERS: 's3cr3t-token-value',
      });
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof ConfigError);
    for (const name of [
      'OTEL_EXPORTER_OTLP_PROTOCOL=grpc',
      'OTEL_TRACES_SAMPLER_ARG=2',
      'OTEL_METRIC_EXPORT_INTERVAL=soon',
      'OTEL_EXPORTER_OTLP_HEADERS',
    ]) {
      assert.ok(error.message.includes(name), `${name} in ${error.message}`);
    }
    assert.ok(!error.message.includes('s3cr3t-token-value'));
  });

  it('refuses an endpoint that is not an http(s) URL and exporters other than otlp', () => {
    assert.throws(
      () => read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_TRACES_EXPORTER: 'zipkin' }),
      (error: Error) =>
        /OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318/.test(error.message) &&
        /OTEL_TRACES_EXPORTER=zipkin/.test(error.message),
    );
  });
});
