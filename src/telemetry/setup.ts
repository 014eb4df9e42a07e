/**
 * Turns OpenTelemetry on for this process when the OTEL_* variables ask for it: a tracer provider
 * (OTLP/HTTP, batched, the configured sampler, W3C trace context propagation) and a meter provider
 * (OTLP/HTTP, exported every OTEL_METRIC_EXPORT_INTERVAL), registered as the globals the rest of
 * the code reaches through `@opentelemetry/api`. Without an endpoint, or with
 * OTEL_SDK_DISABLED=true, nothing is registered and every span and metric call stays a no-op.
 */
import { hostname } from 'node:os';
import { context, DiagLogLevel, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  MeterProvider,
  type MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { EnvRecord } from '../env';
import { codeVersion } from '../version';
import { currentTelemetry, setCurrentTelemetry } from './current';
import type { JsonLogger } from './logger';
import { readOtelSettings, type SamplerSettings, type TelemetrySettings } from './otel-env';

/** The service name when OTEL_SERVICE_NAME does not say. */
export const DEFAULT_SERVICE_NAME = 'parcelwatch';

export interface TelemetryOptions {
  /** `service.name` when OTEL_SERVICE_NAME is unset (e.g. `parcelwatch-worker`). */
  defaultServiceName?: string;
  /** Spans go here instead of OTLP, and tracing is on without an endpoint (tests). */
  spanExporter?: SpanExporter;
  /** Metrics go here instead of OTLP, and metrics are on without an endpoint (tests). */
  metricExporter?: PushMetricExporter;
  /** Receives the SDK's own warnings (an unreachable collector) as log lines. */
  logger?: JsonLogger;
}

export interface Tracing {
  provider: BasicTracerProvider;
  /** Also fed the workflow spans the Temporal sandbox hands out through its sink. */
  spanProcessor: SpanProcessor;
}

export interface Metering {
  provider: MeterProvider;
  reader: MetricReader;
}

/** What `setupTelemetry` turned on; every method is safe to call when nothing is. */
export interface Telemetry {
  readonly enabled: boolean;
  readonly settings: TelemetrySettings;
  readonly resource: Resource;
  readonly tracing?: Tracing;
  readonly metering?: Metering;
  /** Exports what is buffered now (spans, a metric collection). */
  flush(): Promise<void>;
  /** Flushes, then unregisters the globals; the handle is dead afterwards. */
  shutdown(): Promise<void>;
}

/** The exporters' compression enum, whose values are the strings OTEL_*_COMPRESSION holds. */
type Compression = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>['compression'];

/**
 * Sets telemetry up from `env` (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_*,
 * OTEL_TRACES_SAMPLER[_ARG], OTEL_METRIC_EXPORT_INTERVAL, OTEL_SDK_DISABLED, …). Once per process
 * at a time: shut the previous handle down first. Invalid settings throw a ConfigError.
 */
export function setupTelemetry(
  env: EnvRecord = process.env,
  options: TelemetryOptions = {},
): Telemetry {
  if (currentTelemetry()?.enabled) {
    throw new Error(
      'OpenTelemetry is already set up in this process; shut the previous handle down first',
    );
  }
  const settings = readOtelSettings(env, {
    serviceName: options.defaultServiceName ?? DEFAULT_SERVICE_NAME,
  });
  const tracesOn = !settings.disabled && (options.spanExporter ?? settings.traces) !== undefined;
  const metricsOn =
    !settings.disabled && (options.metricExporter ?? settings.metrics) !== undefined;
  if (!tracesOn && !metricsOn) return disabledTelemetry(settings);
  const resource = buildResource(settings);

  if (options.logger) diag.setLogger(diagToLogger(options.logger), DiagLogLevel.WARN);
  const tracing = tracesOn ? startTracing(settings, resource, options.spanExporter) : undefined;
  const metering = metricsOn
    ? startMetering(settings, resource, options.metricExporter)
    : undefined;

  const flush = async () => {
    await Promise.all([tracing?.provider.forceFlush(), metering?.provider.forceFlush()]);
  };
  const handle: Telemetry = {
    enabled: true,
    settings,
    resource,
    tracing,
    metering,
    flush,
    async shutdown() {
      if (currentTelemetry() !== handle) return;
      setCurrentTelemetry(undefined);
      try {
        await flush();
        await Promise.all([tracing?.provider.shutdown(), metering?.provider.shutdown()]);
      } finally {
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
        diag.disable();
      }
    },
  };
  setCurrentTelemetry(handle);
  return handle;
}

function startTracing(
  settings: TelemetrySettings,
  resource: Resource,
  exporter: SpanExporter | undefined,
): Tracing {
  const spanProcessor = new BatchSpanProcessor(
    exporter ??
      new OTLPTraceExporter({
        url: settings.traces!.url,
        headers: settings.traces!.headers,
        timeoutMillis: settings.traces!.timeoutMs,
        compression: settings.traces!.compression as Compression,
      }),
  );
  const provider = new BasicTracerProvider({
    resource,
    mergeResourceWithDefaults: false,
    sampler: buildSampler(settings.sampler),
    spanProcessors: [spanProcessor],
  });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });
  return { provider, spanProcessor };
}

function startMetering(
  settings: TelemetrySettings,
  resource: Resource,
  exporter: PushMetricExporter | undefined,
): Metering {
  const signal = settings.metrics;
  const intervalMs = signal?.intervalMs ?? 60_000;
  const reader = new PeriodicExportingMetricReader({
    exporter:
      exporter ??
      new OTLPMetricExporter({
        url: signal!.url,
        headers: signal!.headers,
        timeoutMillis: signal!.timeoutMs,
        compression: signal!.compression as Compression,
        temporalityPreference: {
          cumulative: AggregationTemporalityPreference.CUMULATIVE,
          delta: AggregationTemporalityPreference.DELTA,
          lowmemory: AggregationTemporalityPreference.LOWMEMORY,
        }[signal!.temporality],
      }),
    exportIntervalMillis: intervalMs,
    // The SDK refuses a timeout longer than the interval.
    exportTimeoutMillis: Math.min(signal?.exportTimeoutMs ?? 30_000, intervalMs),
  });
  const provider = new MeterProvider({ resource, readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  return { provider, reader };
}

export function buildSampler(settings: SamplerSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.ratio);
  switch (settings.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * The SDK's defaults (telemetry.sdk.*), then ours (service name and version, host, process),
 * then OTEL_RESOURCE_ATTRIBUTES: what the operator writes wins.
 */
function buildResource(settings: TelemetrySettings): Resource {
  return new Resource({
    ...Resource.default().attributes,
    'service.version': codeVersion(),
    'service.instance.id': `${hostname()}:${process.pid}`,
    'host.name': hostname(),
    'process.pid': process.pid,
    ...settings.resourceAttributes,
  });
}

function disabledTelemetry(settings: TelemetrySettings): Telemetry {
  return {
    enabled: false,
    settings,
    resource: Resource.EMPTY,
    flush: async () => undefined,
    shutdown: async () => undefined,
  };
}

function diagToLogger(logger: JsonLogger) {
  const at =
    (level: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE') =>
    (message: string, ...args: unknown[]) =>
      logger.log(level, `OpenTelemetry: ${message}`, args.length ? { details: args } : undefined);
  return {
    error: at('ERROR'),
    warn: at('WARN'),
    info: at('INFO'),
    debug: at('DEBUG'),
    verbose: at('TRACE'),
  };
}
