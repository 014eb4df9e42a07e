import type { Database } from '../../store/db/database';
import { getRun, listRuns, type RunStatus } from '../../store/db/runs-repo';
import { notFound } from '../errors';
import { EXAMPLES } from '../examples';
import { limitParameter } from '../parameters';
import { type ApiRoute, fields } from '../route';
import { Run, RunList } from '../schemas';

/** Runs listed unless asked (a screenful), and at most (a year of weekly runs and their backfills). */
const DEFAULT_RUNS = 20;
const MAX_RUNS = 200;

export function runRoutes(db: Database): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/v1/runs',
      operationId: 'listRuns',
      summary: 'Pipeline runs, newest first, with their KPIs',
      tag: 'runs',
      scope: 'read',
      querystring: fields({
        limit: limitParameter(DEFAULT_RUNS, MAX_RUNS),
        kind: {
          type: 'string',
          minLength: 1,
          maxLength: 50,
          description: 'weekly, group, backfill, purge, check',
        },
        status: {
          type: 'string',
          enum: ['running', 'completed', 'degraded', 'failed', 'cancelled'],
        },
      }),
      responses: {
        200: {
          description: 'The latest runs',
          content: { 'application/json': { schema: RunList, example: { items: [EXAMPLES.run] } } },
        },
      },
      handler: async (request) => {
        const query = request.query as { limit: number; kind?: string; status?: RunStatus };
        return { items: await listRuns(db, query) };
      },
    },
    {
      method: 'GET',
      url: '/v1/runs/:workflowId',
      operationId: 'getRun',
      summary: 'One run (the latest of a workflow id, or a given run id) with its KPIs',
      tag: 'runs',
      scope: 'read',
      params: {
        type: 'object',
        additionalProperties: false,
        required: ['workflowId'],
        properties: {
          workflowId: {
            type: 'string',
            minLength: 1,
            maxLength: 300,
            description: 'e.g. weekly-2024-W20',
          },
        },
      },
      querystring: fields({ runId: { type: 'string', minLength: 1, maxLength: 100 } }),
      responses: {
        200: {
          description: 'The run',
          content: { 'application/json': { schema: Run, example: EXAMPLES.run } },
        },
      },
      handler: async (request) => {
        const { workflowId } = request.params as { workflowId: string };
        const { runId } = request.query as { runId?: string };
        const run = await getRun(db, workflowId, runId);
        if (!run)
          throw notFound(
            `no run of ${workflowId}${runId ? ` with run id ${runId}` : ''} is recorded; see GET /v1/runs`,
          );
        return run;
      },
    },
  ];
}
