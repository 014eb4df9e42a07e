import { heartbeat } from '@temporalio/activity';
import { finishRun, startRun } from '../store/db/runs-repo';
import { markScene, recordSceneGroup } from '../store/db/scenes-repo';
import { prepareWeekly } from '../store/db/weekly';
import type {
  PrepareTablesInput,
  PrepareTablesResult,
  RunRecordInput,
  SceneOutcomeInput,
} from './contracts';
import type { ActivityDeps } from './deps';

export function recordActivities(deps: ActivityDeps) {
  const { db, config } = deps;
  return {
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
