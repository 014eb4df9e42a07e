import { Context, heartbeat } from '@temporalio/activity';
import { evaluateKpis, type RunKpis } from '../core/kpis';
import { postAlert } from '../store/alert-webhook';
import { observationKpis } from '../store/db/kpis';
import { finishRun, startRun } from '../store/db/runs-repo';
import { markScene, recordSceneGroup } from '../store/db/scenes-repo';
import { prepareWeekly } from '../store/db/weekly';
import type {
  AlertInput,
  PrepareTablesInput,
  PrepareTablesResult,
  RunKpisInput,
  RunKpisResult,
  RunRecordInput,
  SceneOutcomeInput,
} from './contracts';
import type { ActivityDeps } from './deps';

export function recordActivities(deps: ActivityDeps) {
  const { db, config } = deps;
  return {
    /** The data-quality KPIs of a run and whether they meet the configured thresholds. */
    async computeRunKpis(input: RunKpisInput): Promise<RunKpisResult> {
      const observed = await observationKpis(db, {
        groupIds: input.groupIds,
        window: input.window,
      });
      const kpis: RunKpis = {
        scenesFound: input.scenesFound,
        scenesUsed: input.scenesUsed,
        scenesFailed: input.scenesFailed,
        failedActivities: input.failedActivities,
        bytesDownloaded: input.bytesDownloaded,
        ...observed,
      };
      const verdict = evaluateKpis(kpis, config.quality.thresholds);
      return { kpis, ...verdict };
    },

    /**
     * Raises the alert of a failed or degraded run: always a structured log line; a webhook POST
     * (Slack/Teams-compatible `text`, plus the fields) when PARCELWATCH_ALERT_WEBHOOK_URL is set.
     */
    async sendAlert(input: AlertInput): Promise<{ delivered: boolean }> {
      const text = `parcelwatch ${input.kind} run ${input.subject} ${input.status.toUpperCase()} (${input.workflowId}): ${input.reasons.join('; ')}`;
      Context.current().log.warn(text, {
        event: 'parcelwatch.alert',
        workflowId: input.workflowId,
        runId: input.runId,
        status: input.status,
        reasons: input.reasons,
      });
      const url = config.quality.alertWebhookUrl;
      if (!url) return { delivered: false };
      await postAlert(url, { text, ...input });
      return { delivered: true };
    },

    /** The end of one scene for one group: computed, or failed/skipped with the reason. */
    async recordSceneOutcome(input: SceneOutcomeInput): Promise<void> {
      await recordSceneGroup(db, {
        sceneId: input.sceneId,
        groupId: input.groupId,
        status: input.status,
        reason: input.reason,
        runId: input.runId,
      });
      if (input.status === 'failed') await markScene(db, input.sceneId, 'failed', input.reason);
    },

    /**
     * The weekly series of the run's groups over its weeks: observed, interpolated between observed
     * weeks, nodata otherwise (never beyond the last observation). Idempotent.
     */
    async prepareTables(input: PrepareTablesInput): Promise<PrepareTablesResult> {
      heartbeat('preparing weekly tables');
      const result = await prepareWeekly(db, {
        fromWeek: input.fromWeek,
        toWeek: input.toWeek,
        groupIds: input.groupIds,
        runId: input.runId,
        indices: config.science.indices,
      });
      return { rows: result.rows, byStatus: result.byStatus };
    },

    /** Writes the run's record: a start (`running`) or its end with counts, KPIs and reason. */
    async recordRun(input: RunRecordInput): Promise<void> {
      if (input.status === 'running') {
        await startRun(db, {
          workflowId: input.workflowId,
          runId: input.runId,
          kind: input.kind,
          window: input.window,
          trigger: input.trigger,
          triggeredBy: input.triggeredBy,
          codeVersion: input.codeVersion,
        });
        return;
      }
      await finishRun(db, {
        workflowId: input.workflowId,
        runId: input.runId,
        kind: input.kind,
        window: input.window,
        trigger: input.trigger,
        triggeredBy: input.triggeredBy,
        status: input.status,
        counts: input.counts,
        kpis: input.kpis,
        error: input.error,
        codeVersion: input.codeVersion,
      });
    },
  };
}
