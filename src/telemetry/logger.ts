/**
 * Structured logs: one JSON object per line on standard output, with Elastic Common Schema field
 * names (`@timestamp`, `log.level`, `message`, `service.name`, `trace.id`, `span.id`, `error.*`,
 * `event.*`, `labels.*`) plus `temporal.*` for workflow, run and activity ids, so Elasticsearch,
 * OpenSearch or Loki ingest them without mapping work. It implements Temporal's `Logger`, so the
 * worker runtime, activity and workflow logs come out the same way; secrets are redacted.
 */
import { hostname } from 'node:os';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import { ConfigError } from '../core/errors';
import type { EnvRecord } from '../env';
import { environmentLabel } from '../environment';
import { createRedactor, REDACTED, type Redactor } from './redact';

export type { LogLevel } from '@temporalio/common';

/** The ECS version these field names follow (ecs-logging asks for it in every line). */
export const ECS_VERSION = '8.11.0';

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** Temporal's log attributes (and ours) → their ECS or `temporal.*` field. */
const FIELD_OF: Record<string, string> = {
  namespace: 'temporal.namespace',
  taskQueue: 'temporal.task_queue',
  workflowId: 'temporal.workflow.id',
  workflowType: 'temporal.workflow.type',
  runId: 'temporal.run.id',
  workflowRunId: 'temporal.run.id',
  activityId: 'temporal.activity.id',
  activityType: 'temporal.activity.type',
  attempt: 'temporal.attempt',
  sdkComponent: 'log.logger',
  trace_id: 'trace.id',
  span_id: 'span.id',
  event: 'event.action',
};
/** Attributes that only add noise (the task token is also a credential for the task). */
const DROPPED = new Set(['taskToken', 'trace_flags', 'isLocal']);
/** Where Temporal puts the time of a log emitted earlier (core logs forwarded in batches). */
const LOG_TIMESTAMP = Symbol.for('log_timestamp');

export interface JsonLoggerOptions {
  /** `service.name` of every line (usually the OTel service name). */
  service: string;
  /** @default 'INFO' */
  level?: LogLevel;
  /** Fields added to every line, e.g. `{ 'service.version': … }`. */
  fields?: Record<string, string | number | boolean>;
  /** @default one line to process.stdout */
  write?: (line: string) => void;
  /** @default the process environment's secrets */
  redactor?: Redactor;
  /** @default () => new Date() */
  now?: () => Date;
}

export class JsonLogger implements Logger {
  private readonly threshold: number;
  private readonly write: (line: string) => void;
  private readonly redactor: Redactor;
  private readonly base: Record<string, unknown>;
  private readonly now: () => Date;

  constructor(readonly options: JsonLoggerOptions) {
    this.threshold = SEVERITY[options.level ?? 'INFO'];
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.redactor = options.redactor ?? createRedactor();
    this.now = options.now ?? (() => new Date());
    this.base = {
      'service.name': options.service,
      'process.pid': process.pid,
      'host.hostname': hostname(),
      ...options.fields,
    };
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (SEVERITY[level] < this.threshold) return;
    this.write(JSON.stringify(this.entry(level, message, meta)));
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }

  /** The ECS document of one line. */
  entry(level: LogLevel, message: string, meta: LogMetadata = {}): Record<string, unknown> {
    const nanos = (meta as Record<symbol, unknown>)[LOG_TIMESTAMP];
    const time = typeof nanos === 'bigint' ? new Date(Number(nanos / 1_000_000n)) : this.now();
    const doc: Record<string, unknown> = {
      '@timestamp': time.toISOString(),
      'log.level': level.toLowerCase(),
      message: this.redactor.text(message),
      'ecs.version': ECS_VERSION,
      ...this.base,
    };
    for (const [key, value] of Object.entries(meta)) {
      if (value === undefined || DROPPED.has(key)) continue;
      if (this.redactor.isSecretField(key)) {
        doc[`labels.${labelKey(key)}`] = REDACTED;
      } else if (value instanceof Error) {
        Object.assign(doc, this.errorFields(value));
      } else if (key === 'durationMs' && typeof value === 'number') {
        doc['event.duration'] = Math.round(value * 1e6); // ECS wants nanoseconds
      } else if (FIELD_OF[key]) {
        doc[FIELD_OF[key]] = this.scalar(value);
      } else {
        doc[`labels.${labelKey(key)}`] = this.label(value);
      }
    }
    if (doc['trace.id'] === undefined) {
      // Outside activities (worker, CLI), the active span still ties the line to its trace.
      const context = trace.getActiveSpan()?.spanContext();
      if (context && isSpanContextValid(context)) {
        doc['trace.id'] = context.traceId;
        doc['span.id'] = context.spanId;
      }
    }
    return doc;
  }

  private errorFields(error: Error): Record<string, string> {
    const type = (error as { type?: unknown }).type;
    return {
      'error.type': typeof type === 'string' && type ? type : error.name,
      'error.message': this.redactor.text(error.message),
      ...(error.stack ? { 'error.stack_trace': this.redactor.text(error.stack) } : {}),
    };
  }

  private scalar(value: unknown): string | number | boolean {
    if (typeof value === 'number' || typeof value === 'boolean') return value;
    return this.redactor.text(typeof value === 'string' ? value : safeJson(value));
  }

  /** ECS labels are keywords: always strings, so no field ever changes type between lines. */
  private label(value: unknown): string {
    return this.redactor.text(typeof value === 'string' ? value : safeJson(value));
  }
}

/** Label keys may not hold dots (they would nest); anything but word characters becomes `_`. */
function labelKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, '_');
}

function safeJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)) ??
      String(value)
    );
  } catch {
    return String(value);
  }
}

/** A logger for the CLI and the worker process, named after the OTel service name when set. */
export function createLogger(
  options: Partial<JsonLoggerOptions> & { env?: EnvRecord } = {},
): JsonLogger {
  const env = options.env ?? process.env;
  return new JsonLogger({
    ...options,
    // Lines of dev, staging and prod often meet in one log store: each says where it came from.
    fields: { 'service.environment': environmentLabel(env), ...options.fields },
    level: options.level ?? logLevelOf(env),
    service: options.service ?? (env.OTEL_SERVICE_NAME?.trim() || 'parcelwatch'),
    redactor: options.redactor ?? createRedactor(env),
  });
}

/** Levels PARCELWATCH_LOG_LEVEL accepts, any case. */
const LEVELS = Object.keys(SEVERITY) as LogLevel[];

/** PARCELWATCH_LOG_LEVEL (TRACE, DEBUG, INFO, WARN, ERROR; any case), INFO when unset. */
export function logLevelOf(env: EnvRecord): LogLevel {
  const given = env.PARCELWATCH_LOG_LEVEL?.trim();
  if (!given) return 'INFO';
  const level = given.toUpperCase() as LogLevel;
  if (!LEVELS.includes(level)) {
    throw new ConfigError(
      `PARCELWATCH_LOG_LEVEL=${given} is not a log level; use one of ${LEVELS.join(', ')}`,
      { code: 'CONFIG_INVALID' },
    );
  }
  return level;
}

let shared: JsonLogger | undefined;

/** The process's logger (made on first use, from the process environment). */
export function logger(): JsonLogger {
  shared ??= createLogger();
  return shared;
}
