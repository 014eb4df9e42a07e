/**
 * Spans of our own, through the vendor-neutral OpenTelemetry API only: without a registered SDK
 * every call here is a no-op. The tracer is looked up per span (a cached map lookup in the SDK) so
 * a provider registered later, or again in tests, is always the one used.
 */
import {
  type Attributes,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { redactSecrets } from './redact';

/** Instrumentation scope of every span and metric parcelwatch makes itself. */
export const INSTRUMENTATION_SCOPE = 'parcelwatch';

export function tracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION_SCOPE);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
}

/**
 * Runs `fn` inside a new active span (a child of the current one), ending it when `fn` settles; a
 * thrown error is recorded on the span, which is marked failed, and thrown again.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Marks a span failed with the error's class (`error.type`) and message. Message and stack leave
 * the process with the trace, so they go through the same redaction as log lines.
 */
export function failSpan(span: Span, error: unknown): void {
  const type = errorType(error);
  span.setAttribute('error.type', type);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: redactSecrets(error instanceof Error ? error.message : String(error)),
  });
  if (error instanceof Error) {
    const { code } = error as { code?: unknown };
    span.recordException({
      name: error.name,
      message: redactSecrets(error.message),
      ...(error.stack ? { stack: redactSecrets(error.stack) } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    });
  }
}

/** What kind of error this is, for `error.type`: a Temporal failure's type, else the class name. */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const type = (error as { type?: unknown }).type;
    if (typeof type === 'string' && type) return type;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name && name !== 'Error') return name;
    return (error as object).constructor?.name ?? 'Error';
  }
  return typeof error;
}

/**
 * Wraps a repository write in a database client span named `<operation> <table>` with the
 * database semantic-convention attributes (`db.system`, `db.operation.name`,
 * `db.collection.name`, `db.namespace` = the schema, `db.operation.batch.size` when given).
 */
export function tracedWrite<A extends [{ schema?: string }, ...unknown[]], R>(
  operation: string,
  table: string,
  write: (...args: A) => Promise<R>,
  batchSize?: (...args: A) => number,
): (...args: A) => Promise<R> {
  return (...args: A) =>
    inSpan(
      `${operation} ${table}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system': 'postgresql',
          'db.operation.name': operation,
          'db.collection.name': table,
          ...(args[0].schema ? { 'db.namespace': args[0].schema } : {}),
          ...(batchSize ? { 'db.operation.batch.size': batchSize(...args) } : {}),
        },
      },
      () => write(...args),
    );
}
