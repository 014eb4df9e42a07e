/**
 * Temporal wired to our telemetry: trace context carried client → workflow → child workflow →
 * activity by the v1 interceptors of `@temporalio/interceptors-opentelemetry` (the v2 package
 * writes other histories, and we replay ours), workflow spans exported through a sink to our span
 * processor, runtime logs in our JSON format and runtime metrics over OTLP/HTTP. The interceptor
 * package is loaded only when tracing is on.
 */
import type { ClientInterceptors } from '@temporalio/client';
import type { RuntimeOptions, WorkerOptions } from '@temporalio/worker';
import type { JsonLogger } from './logger';
import type { Telemetry } from './setup';

/**
 * Workflow interceptor modules to bundle (they run in the sandbox and create the workflow spans).
 * A worker bundling from `workflowsPath` gets them from `workerTelemetryOptions`; a pre-built bundle
 * must be made with `bundleWorkflowCode({ workflowInterceptorModules })`.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** Core's own logs below this level stay in core. */
const CORE_LOG_LEVEL = 'WARN';

export type WorkerTelemetryOptions = Pick<WorkerOptions, 'interceptors' | 'sinks'>;

/**
 * What a worker adds when tracing is on: activity interceptors (an activity span continuing the
 * workflow's trace, trace ids in activity log lines), the workflow interceptor modules, and the
 * `exporter` sink through which the sandbox hands its spans to our span processor. Nothing when off.
 */
export function workerTelemetryOptions(telemetry?: Telemetry): WorkerTelemetryOptions {
  const tracing = telemetry?.tracing;
  if (!tracing) return {};
  const otel =
    require('@temporalio/interceptors-opentelemetry/lib/worker') as typeof import('@temporalio/interceptors-opentelemetry/lib/worker');
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      workflowModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    },
    sinks: { exporter: otel.makeWorkflowExporter(tracing.spanProcessor, telemetry.resource) },
  };
}

/** Client interceptors that start each workflow inside a span and pass its context on. */
export function clientTelemetryInterceptors(telemetry?: Telemetry): ClientInterceptors | undefined {
  if (!telemetry?.tracing) return undefined;
  const otel =
    require('@temporalio/interceptors-opentelemetry/lib/client') as typeof import('@temporalio/interceptors-opentelemetry/lib/client');
  return { workflow: [new otel.OpenTelemetryWorkflowClientInterceptor()] };
}

/**
 * Options for `Runtime.install`: our JSON logger for the worker's and core's logs, and core's
 * metrics (workflow and activity task latencies, slots, polls, …, prefixed `temporal_`) pushed to
 * the same OTLP/HTTP metrics endpoint as ours when one is configured.
 */
export function temporalRuntimeOptions(logger: JsonLogger, telemetry?: Telemetry): RuntimeOptions {
  const metrics = telemetry?.enabled ? telemetry.settings.metrics : undefined;
  return {
    logger,
    telemetryOptions: {
      logging: { forward: {}, filter: { core: CORE_LOG_LEVEL, other: 'ERROR' } },
      ...(metrics
        ? {
            metrics: {
              otel: {
                url: metrics.url,
                http: true,
                headers: metrics.headers,
                // Same rhythm as ours (OTEL_METRIC_EXPORT_INTERVAL), not core's default of 1 s.
                metricsExportInterval: metrics.intervalMs,
                // Core knows cumulative and delta; low-memory is delta for the counters it has.
                temporality: metrics.temporality === 'cumulative' ? 'cumulative' : 'delta',
              },
            },
          }
        : {}),
    },
  };
}

/**
 * Variables Temporal's core exporter reads by itself from the process environment, which knows
 * `gzip` but refuses the standard `none` (the worker would not start). `none` means no compression,
 * which is also core's default, so the variables are removed from the environment before
 * `Runtime.install`; our own exporters read them before that.
 */
export function withoutNoneCompression(env: NodeJS.ProcessEnv = process.env): string[] {
  const removed: string[] = [];
  for (const name of ['OTEL_EXPORTER_OTLP_COMPRESSION', 'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION']) {
    if (env[name]?.trim().toLowerCase() === 'none') {
      delete env[name];
      removed.push(name);
    }
  }
  return removed;
}
