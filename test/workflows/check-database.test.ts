import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { baseActivities } from '../../src/activities';
import { openDatabase } from '../../src/store/db/database';
import type { SchemaStatus } from '../../src/store/db/status';
import { recordHistory } from '../helpers/histories';
import { testDatabase } from '../helpers/services';
import { withWorker } from '../helpers/workers';

describe('checkDatabase workflow (real Temporal dev server, real PostgreSQL)', function () {
  this.timeout(120_000);

  it('reports a migrated schema as ready, through the checkSchema activity', async () => {
    const test = await testDatabase();
    const db = await openDatabase({
      url: test.url,
      schema: test.schema,
      poolMax: 2,
      embedded: false,
    });
    try {
      const workflowId = `check-ready-${Date.now()}`;
      const status = await withWorker(baseActivities(db), async ({ client, taskQueue }) => {
        const result = await client.workflow.execute('checkDatabase', {
          taskQueue,
          workflowId,
          args: [],
        });
        await recordHistory(client, 'check-database', workflowId);
        return result;
      });
      const result = status as SchemaStatus;
      assert.equal(result.schema, 'parcelwatch');
      assert.deepEqual(result.pending, []);
      assert.ok(result.applied.includes('0001_observations_roles'));
      assert.match(result.postgisVersion ?? '', /^3\./);
      assert.equal(result.partitioning, 'native');
    } finally {
      await db.close();
    }
  });

  it('fails without retrying, naming the fix, when the schema was never migrated', async () => {
    const test = await testDatabase();
    const db = await openDatabase({
      url: test.url,
      schema: 'never_migrated',
      poolMax: 2,
      embedded: false,
    });
    try {
      const error = await withWorker(baseActivities(db), ({ client, taskQueue }) =>
        client.workflow
          .execute('checkDatabase', {
            taskQueue,
            workflowId: `check-missing-${Date.now()}`,
            args: [],
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
      );
      assert.ok(error instanceof WorkflowFailedError);
      assert.ok(error.cause instanceof ApplicationFailure);
      assert.equal(error.cause.type, 'SchemaNotReady');
      assert.equal(error.cause.nonRetryable, true);
      assert.match(
        error.cause.message,
        /Schema never_migrated is not ready: pending migrations 0000_core_tables, 0001_observations_roles(, [0-9a-z_]+)*; .*run `parcelwatch db migrate`/,
      );
    } finally {
      await db.close();
    }
  });
});
