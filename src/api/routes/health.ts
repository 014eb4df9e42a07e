import type { Database } from '../../store/db/database';
import { EXAMPLES } from '../examples';
import type { ApiRoute } from '../route';
import { Health } from '../schemas';

/** How long the database may take to answer the health probe before it counts as unreachable. */
const PROBE_TIMEOUT_MS = 2_000;

export function healthRoutes(db: Database, version: string): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/v1/health',
      operationId: 'health',
      summary: 'Whether the API and its database answer (no key needed)',
      tag: 'health',
      scope: 'public',
      responses: {
        200: {
          description: 'Up',
          content: { 'application/json': { schema: Health, example: EXAMPLES.health } },
        },
        503: {
          description: 'The database does not answer',
          content: {
            'application/json': {
              schema: Health,
              example: { ...EXAMPLES.health, status: 'unavailable', database: 'unreachable' },
            },
          },
        },
      },
      handler: async (request, reply) => {
        const reachable = await probe(db).catch((error: unknown) => {
          request.log.warn({ err: error }, 'health: database unreachable');
          return false;
        });
        return reply.code(reachable ? 200 : 503).send({
          status: reachable ? 'ok' : 'unavailable',
          version,
          database: reachable ? 'ok' : 'unreachable',
        });
      },
    },
  ];
}

async function probe(db: Database): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([db.pool.query('SELECT 1').then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
