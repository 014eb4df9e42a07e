import type { Database } from '../store/db/database';
import { type SchemaStatus, schemaStatus } from '../store/db/status';
import { measuredActivity, measuredDeps } from '../telemetry/activity-telemetry';
import { computeActivities } from './compute';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';
import { planningActivities } from './planning';
import { purgeActivities } from './purge';
import { rasterActivities } from './rasters';
import { recordActivities } from './records';
import { searchActivities } from './search';

export type { ActivityDeps } from './deps';

/**
 * Builds the activities with their dependencies. Activities stay thin: validate, call the core or
 * the store, heartbeat, return ids and keys; their errors reach Temporal typed (retryable or not).
 */
export function createActivities(deps: ActivityDeps) {
  // Bytes read and written are counted (and traced) at the dependencies, for every activity.
  deps = measuredDeps(deps);
  const all = {
    ...baseActivities(deps.db),
    ...planningActivities(deps),
    ...searchActivities(deps),
    ...rasterActivities(deps),
    ...computeActivities(deps),
    ...recordActivities(deps),
    ...purgeActivities(deps),
  };
  return Object.fromEntries(
    Object.entries(all).map(([name, fn]) => [
      name,
      // Outside `guarded`, so failures are counted by the type Temporal sees.
      measuredActivity(name, guarded(fn as (...args: unknown[]) => Promise<unknown>)),
    ]),
  ) as typeof all;
}

/** Activities that need only the database (the readiness check). */
export function baseActivities(db: Database) {
  return {
    /** Reports the schema's migrations, PostGIS and partitioning; read-only. */
    async checkSchema(): Promise<SchemaStatus> {
      return schemaStatus(db.pool, db.schema);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
