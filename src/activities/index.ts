import type { Database } from '../store/db/database';
import { type SchemaStatus, schemaStatus } from '../store/db/status';

/** What activities need from the outside world; tests pass real or in-memory collaborators. */
export interface ActivityDeps {
  db: Database;
}

/**
 * Builds the activities with their dependencies. Activities stay thin: validate, call the core or
 * the store, heartbeat, return ids and keys.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    /** Reports the schema's migrations, PostGIS and partitioning; read-only. */
    async checkSchema(): Promise<SchemaStatus> {
      return schemaStatus(deps.db.pool, deps.db.schema);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
