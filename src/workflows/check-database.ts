import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SchemaStatus } from '../store/db/status';

const { checkSchema } = proxyActivities<Activities>({
  // A catalogue query; anything slower means the database is in trouble.
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

/**
 * Verifies that the database of this deployment is ready for the pipeline: every migration shipped
 * with the code is applied, PostGIS is installed and observations are partitioned. Fails with a
 * non-retryable error naming what is missing and how to fix it.
 */
export async function checkDatabase(): Promise<SchemaStatus> {
  const status = await checkSchema();
  const problems: string[] = [];
  if (status.pending.length) problems.push(`pending migrations ${status.pending.join(', ')}`);
  if (!status.postgisVersion) problems.push('PostGIS is not installed');
  if (status.partitioning === 'missing') problems.push('parcel_observations is missing');
  if (problems.length) {
    throw ApplicationFailure.nonRetryable(
      `Schema ${status.schema} is not ready: ${problems.join('; ')}; run \`parcelwatch db migrate\``,
      'SchemaNotReady',
    );
  }
  return status;
}
