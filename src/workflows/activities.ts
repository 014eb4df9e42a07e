import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Errors no retry can fix: the activity says so with these ApplicationFailure types. */
export const NON_RETRYABLE = ['BadDataError', 'BadInputError', 'ConfigError'];

/**
 * Activities of the I/O queue (the workflow's own task queue), with timeouts and retries stated
 * where they are used. Heartbeat timeouts bound how long a crashed worker holds a task.
 */
export const io = {
  settings: proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
  }),
  planning: proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '1 minute',
    retry: {
      initialInterval: '2 seconds',
      maximumAttempts: 5,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  }),
  /** STAC searches: ride out a provider outage of a few minutes, then fail the group clearly. */
  search: proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 6,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  }),
  /** Ranged reads from the provider into the datalake. */
  download: proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '30 seconds',
    retry: {
      initialInterval: '5 seconds',
      maximumInterval: '2 minutes',
      maximumAttempts: 6,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  }),
  tables: proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: {
      initialInterval: '5 seconds',
      maximumAttempts: 5,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  }),
  /** Small database writes (run records, scene outcomes): retried long, they must land. */
  record: proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      maximumAttempts: 20,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  }),
};

/** CPU-bound activities on their own task queue (masking, statistics). */
export function cpu(taskQueue: string) {
  return proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '30 seconds',
    retry: {
      initialInterval: '5 seconds',
      maximumInterval: '2 minutes',
      maximumAttempts: 6,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  });
}
