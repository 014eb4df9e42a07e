import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { WeeklyRunResult } from '../../src/workflows/weekly-run';
import { runCli } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import { executeWithWorkers, type PipelineFixture, pipelineFixture } from '../helpers/pipeline';

/** A local webhook receiver standing in for Slack/Teams. */
async function webhookReceiver() {
  const received: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/secret-token`,
    received,
    close: () => new Promise((r) => server.close(r)),
  };
}

const SYNTHETIC = {
  parcels: 80,
  tinyParcels: 1,
  bands: ['B04', 'B08', 'B11', 'SCL'] as Array<'B04' | 'B08' | 'B11' | 'SCL'>,
};

describe('data-quality KPIs, alerts and canary runs (real services)', function () {
  this.timeout(600_000);
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  before(async () => {
    hook = await webhookReceiver();
  });
  after(async () => hook?.close());

  describe('on good data', () => {
    let fixture: PipelineFixture;
    before(async () => {
      fixture = await pipelineFixture(
        'quality',
        { seed: 61, ...SYNTHETIC },
        {
          PARCELWATCH_GROUP_MAX_PARCELS: '15',
          PARCELWATCH_LOOKBACK_WEEKS: '0',
          PARCELWATCH_ALERT_WEBHOOK_URL: hook.url,
        },
      );
    });
    after(async () => fixture?.close());

    it('records the KPIs of a run, and a canary that passes lets the run process every group', async () => {
      const workflowId = `weekly-2024-W19-canary-${Date.now()}`;
      const result = await executeWithWorkers<WeeklyRunResult>(fixture, 'weeklyRun', workflowId, [
        { week: '2024-W19', canary: { groups: 1 } },
      ]);
      await recordHistory(fixture.client, 'weekly-run-canary', workflowId);
      assert.equal(result.status, 'completed');
      assert.ok(result.groups >= 3, `${result.groups} groups`);
      const started = await fixture.db.pool.query<{ n: number }>(
        "SELECT count(DISTINCT group_id)::int AS n FROM scene_groups WHERE status = 'computed'",
      );
      assert.equal(started.rows[0]!.n, result.groups, 'every group was processed after the canary');
      assert.equal(result.kpis?.parcelsObserved, result.kpis?.parcelsExpected);
      const run = await fixture.db.pool.query<{
        trigger: string;
        status: string;
        kpis: Record<string, number>;
      }>('SELECT trigger, status, kpis FROM pipeline_runs WHERE workflow_id = $1', [workflowId]);
      assert.equal(run.rows[0]?.trigger, 'canary');
      assert.equal(run.rows[0]?.status, 'completed');
      assert.equal(run.rows[0]?.kpis.scenesUsed, result.scenesProcessed);
      assert.ok(run.rows[0]!.kpis.bytesDownloaded > 0);
      assert.ok(
        run.rows[0]!.kpis.meanValidFraction > 0 && run.rows[0]!.kpis.meanValidFraction <= 1,
      );
    });

    it('ends a run degraded and alerts the webhook when thresholds are above what the data gives', async () => {
      const strict = {
        ...fixture,
        config: {
          ...fixture.config,
          quality: {
            ...fixture.config.quality,
            thresholds: { ...fixture.config.quality.thresholds, minOkShare: 1.01 },
          },
        },
      };
      // The threshold is read by the workers' activities: run them with the strict configuration.
      const before = hook.received.length;
      const workflowId = `weekly-2024-W20-strict-${Date.now()}`;
      const result = await executeWithWorkers<WeeklyRunResult>(strict, 'weeklyRun', workflowId, [
        { week: '2024-W20' },
      ]);
      await recordHistory(fixture.client, 'weekly-run-degraded', workflowId);
      assert.equal(result.status, 'degraded');
      assert.match(
        result.breaches?.join(' ') ?? '',
        /have an ok observation, below 101 % \(PARCELWATCH_KPI_MIN_OK_SHARE\)/,
      );
      const alerts = hook.received.slice(before);
      assert.equal(alerts.length, 1, 'one alert');
      assert.match(String(alerts[0]!.text), /parcelwatch weekly run 2024-W20 DEGRADED/);
      assert.equal(alerts[0]!.workflowId, workflowId);
      assert.equal(alerts[0]!.status, 'degraded');

      const list = await runCli(['runs', 'list', '--status', 'degraded', '--json'], fixture.env);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(
        JSON.parse(list.stdout).map((r: { workflowId: string }) => r.workflowId),
        [workflowId],
      );
      const show = await runCli(['runs', 'show', workflowId], fixture.env);
      assert.match(show.stdout, /kind: {6}weekly, DEGRADED/);
      assert.match(show.stdout, /reason: {4}.*PARCELWATCH_KPI_MIN_OK_SHARE/);
      assert.match(show.stdout, /kpi {8}okShare: /);
      const table = await runCli(['runs', 'list'], fixture.env);
      assert.match(table.stdout, new RegExp(`${workflowId} +weekly +degraded +manual`));
    });

    it('alerts on a failed run too', async () => {
      fixture.stac.faults.set({ failNext: { count: 1000, status: 400, pathPattern: '^/search' } });
      const before = hook.received.length;
      try {
        await assert.rejects(
          executeWithWorkers(fixture, 'weeklyRun', `weekly-2024-W21-failing-${Date.now()}`, [
            { week: '2024-W21' },
          ]),
          WorkflowFailedError,
        );
      } finally {
        fixture.stac.faults.set({});
      }
      const alerts = hook.received.slice(before);
      assert.equal(alerts.length, 1);
      assert.match(String(alerts[0]!.text), /2024-W21 FAILED .*HTTP 400/);
    });
  });

  describe('on bad data', () => {
    let fixture: PipelineFixture;
    before(async () => {
      fixture = await pipelineFixture(
        'canary-bad',
        { seed: 62, ...SYNTHETIC },
        {
          PARCELWATCH_GROUP_MAX_PARCELS: '15',
          PARCELWATCH_LOOKBACK_WEEKS: '0',
          PARCELWATCH_ALERT_WEBHOOK_URL: hook.url,
        },
        {
          // Every B08 raster is corrupt: whatever the canary samples fails.
          mutate: (dir) => {
            for (const scene of readdirSync(path.join(dir, 'cogs'))) {
              const file = path.join(dir, 'cogs', scene, 'B08.tif');
              const bytes = readFileSync(file);
              bytes.fill(0x5a, Math.floor(bytes.length * 0.3), bytes.length - 16);
              writeFileSync(file, bytes);
            }
          },
        },
      );
    });
    after(async () => fixture?.close());

    it('stops after the canary sample with a clear report, before touching the other groups', async () => {
      const workflowId = `weekly-2024-W19-canary-bad-${Date.now()}`;
      const before = hook.received.length;
      const error = await executeWithWorkers(fixture, 'weeklyRun', workflowId, [
        { week: '2024-W19', canary: { groups: 1 } },
      ]).then(
        () => undefined,
        (e: unknown) => e,
      );
      await recordHistory(fixture.client, 'weekly-run-canary-stopped', workflowId);
      assert.ok(error instanceof WorkflowFailedError);
      assert.ok(error.cause instanceof ApplicationFailure);
      assert.equal(error.cause.type, 'CanaryFailed');
      assert.match(
        error.cause.message,
        /canary of 1 of \d+ groups fell below the thresholds; \d+ groups were not processed: .*activities failed for good/,
      );
      const touched = await fixture.db.pool.query<{ n: number }>(
        'SELECT count(DISTINCT group_id)::int AS n FROM scene_groups',
      );
      assert.equal(touched.rows[0]!.n, 1, 'only the canary group was touched');
      const run = await fixture.db.pool.query<{ status: string; error: string }>(
        'SELECT status, error FROM pipeline_runs WHERE workflow_id = $1',
        [workflowId],
      );
      assert.equal(run.rows[0]?.status, 'failed');
      assert.match(run.rows[0]?.error ?? '', /canary of 1 of/);
      assert.match(String(hook.received.slice(before)[0]?.text), /FAILED .*canary/);
    });
  });
});
