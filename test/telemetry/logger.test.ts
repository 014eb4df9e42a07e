import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger, JsonLogger, logLevelOf } from '../../src/telemetry/logger';
import { createRedactor } from '../../src/telemetry/redact';

const NOW = new Date('2026-03-02T03:00:00.123Z');

function capture(options: Partial<ConstructorParameters<typeof JsonLogger>[0]> = {}) {
  const lines: string[] = [];
  const logger = new JsonLogger({
    service: 'parcelwatch-worker',
    write: (line) => lines.push(line),
    redactor: createRedactor({ TEMPORAL_API_KEY: 'tmprl-very-secret-key' }),
    now: () => NOW,
    ...options,
  });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('JSON logs (ECS field names)', () => {
  it('writes one JSON object per line with @timestamp, log.level, message, service.name and ecs.version', () => {
    const { logger, lines, parsed } = capture();
    logger.info('worker started');
    logger.warn('second line\nwith a newline in it');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => !line.includes('\n')));
    const [first] = parsed();
    assert.equal(first!['@timestamp'], '2026-03-02T03:00:00.123Z');
    assert.equal(first!['log.level'], 'info');
    assert.equal(first!.message, 'worker started');
    assert.equal(first!['service.name'], 'parcelwatch-worker');
    assert.equal(first!['process.pid'], process.pid);
    assert.match(String(first!['ecs.version']), /^8\.\d+\.\d+$/);
    assert.equal(parsed()[1]!['log.level'], 'warn');
  });

  it('maps the attributes Temporal gives activity and workflow logs to temporal.* and trace fields', () => {
    const { logger, parsed } = capture();
    // What the worker attaches to an activity's log lines (with the OpenTelemetry interceptor on).
    logger.info('Activity completed', {
      sdkComponent: 'activity',
      isLocal: false,
      attempt: 2,
      namespace: 'default',
      taskToken: 'CiQ0YzE5…',
      activityId: '7',
      activityType: 'computeIndices',
      taskQueue: 'parcelwatch-cpu',
      workflowId: 'group-33TWL-3-2026-W09',
      workflowRunId: '0196a7b0-0000-7000-8000-000000000001',
      workflowType: 'processGroup',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
      durationMs: 1500,
    });
    const [line] = parsed();
    assert.deepEqual(
      {
        logger: line!['log.logger'],
        workflow: line!['temporal.workflow.id'],
        run: line!['temporal.run.id'],
        type: line!['temporal.workflow.type'],
        activity: line!['temporal.activity.type'],
        activityId: line!['temporal.activity.id'],
        queue: line!['temporal.task_queue'],
        namespace: line!['temporal.namespace'],
        attempt: line!['temporal.attempt'],
        traceId: line!['trace.id'],
        spanId: line!['span.id'],
        duration: line!['event.duration'],
      },
      {
        logger: 'activity',
        workflow: 'group-33TWL-3-2026-W09',
        run: '0196a7b0-0000-7000-8000-000000000001',
        type: 'processGroup',
        activity: 'computeIndices',
        activityId: '7',
        queue: 'parcelwatch-cpu',
        namespace: 'default',
        attempt: 2,
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        duration: 1_500_000_000,
      },
    );
    // The task token is a credential for the task; flags and locality are noise.
    for (const key of Object.keys(line!)) assert.doesNotMatch(key, /taskToken|trace_flags|isLocal/);
  });

  it('maps a workflow log line (runId) the same way', () => {
    const { logger, parsed } = capture();
    logger.warn('scene failed, the group goes on', {
      sdkComponent: 'workflow',
      workflowId: 'weekly-2026-W09',
      runId: 'r-1',
      sceneId: 'S2B_33TWL_20260301_0_L2A',
      groupId: 3,
    });
    const [line] = parsed();
    assert.equal(line!['temporal.workflow.id'], 'weekly-2026-W09');
    assert.equal(line!['temporal.run.id'], 'r-1');
    assert.equal(line!['labels.sceneId'], 'S2B_33TWL_20260301_0_L2A');
  });

  it('keeps other fields as string labels, so a field never changes type between lines', () => {
    const { logger, parsed } = capture();
    logger.info('alert', {
      event: 'parcelwatch.alert',
      groupId: 12,
      reasons: ['3 activities failed for good'],
      'odd.key': true,
    });
    const [line] = parsed();
    assert.equal(line!['event.action'], 'parcelwatch.alert');
    assert.equal(line!['labels.groupId'], '12');
    assert.equal(line!['labels.reasons'], '["3 activities failed for good"]');
    assert.equal(line!['labels.odd_key'], 'true');
  });

  it('writes an error as error.type (the failure type when Temporal gives one), error.message and error.stack_trace', () => {
    const { logger, parsed } = capture();
    const failure = ApplicationFailure.nonRetryable('COG x: tile 3 is truncated', 'BadDataError');
    logger.warn('Activity failed', { error: failure });
    const [line] = parsed();
    assert.equal(line!['error.type'], 'BadDataError');
    assert.equal(line!['error.message'], 'COG x: tile 3 is truncated');
    assert.match(String(line!['error.stack_trace']), /truncated/);
  });

  it('redacts secrets in messages, fields and errors, and whole fields named like secrets', () => {
    const { logger, lines } = capture();
    logger.error('connect with tmprl-very-secret-key failed', {
      detail: 'key=tmprl-very-secret-key',
      password: 'hunter2-hunter2',
      error: new Error('auth tmprl-very-secret-key rejected'),
    });
    assert.ok(!lines[0]!.includes('tmprl-very-secret-key'));
    assert.ok(!lines[0]!.includes('hunter2'));
    assert.ok(lines[0]!.includes('[REDACTED]'));
  });

  it('drops lines below its level', () => {
    const { logger, lines } = capture({ level: 'WARN' });
    logger.debug('poll');
    logger.info('started');
    logger.warn('slow');
    logger.error('failed');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)['log.level']),
      ['warn', 'error'],
    );
  });

  it('takes the time Temporal stamped on a forwarded core log line', () => {
    const { logger, parsed } = capture();
    const nanos = BigInt(Date.parse('2026-03-01T12:00:00.500Z')) * 1_000_000n;
    logger.warn('core says', { [Symbol.for('log_timestamp')]: nanos, sdkComponent: 'core' });
    assert.equal(parsed()[0]!['@timestamp'], '2026-03-01T12:00:00.500Z');
  });

  it('ties a line to the active span when the caller gave no trace ids', () => {
    const { logger, parsed } = capture();
    const spanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    };
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      context.with(trace.setSpanContext(context.active(), spanContext), () =>
        logger.info('inside'),
      );
      logger.info('outside');
    } finally {
      context.disable();
    }
    const [inside, outside] = parsed();
    assert.equal(inside!['trace.id'], spanContext.traceId);
    assert.equal(inside!['span.id'], spanContext.spanId);
    assert.equal(outside!['trace.id'], undefined);
  });
});

describe('PARCELWATCH_LOG_LEVEL', () => {
  it('sets the level of the process logger, any case, INFO when unset', () => {
    assert.equal(logLevelOf({}), 'INFO');
    assert.equal(logLevelOf({ PARCELWATCH_LOG_LEVEL: ' debug ' }), 'DEBUG');
    const lines: string[] = [];
    const logger = createLogger({
      env: { PARCELWATCH_LOG_LEVEL: 'warn' },
      write: (l) => lines.push(l),
    });
    logger.info('dropped');
    logger.warn('kept');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line).message),
      ['kept'],
    );
  });

  it('refuses an unknown level, naming the variable and the levels', () => {
    assert.throws(
      () => logLevelOf({ PARCELWATCH_LOG_LEVEL: 'verbose' }),
      /PARCELWATCH_LOG_LEVEL=verbose is not a log level; use one of TRACE, DEBUG, INFO, WARN, ERROR/,
    );
  });
});
