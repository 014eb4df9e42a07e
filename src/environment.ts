import type { EnvRecord } from './env';

/**
 * PARCELWATCH_ENV: which environment this process belongs to (dev, staging or prod). It is a label
 * (logs, traces, `parcelwatch status`) and a preset: the settings that keep environments apart on
 * shared servers — database schema, Temporal namespace, task queues, schedule ids, local datalake
 * folder — default to names derived from it, so `PARCELWATCH_ENV=staging` alone runs beside dev on
 * the same PostgreSQL and Temporal server without touching it. Explicit variables always win; dev
 * keeps the historical names, so a stack set up before the variable existed is unchanged.
 */

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];
/** Unset means a developer's machine. */
export const DEFAULT_ENVIRONMENT: EnvironmentName = 'dev';

/** The defaults of the settings that separate one environment from another. */
export interface EnvironmentDefaults {
  /** PARCELWATCH_DB_SCHEMA; the database roles derive from it (`<schema>_reader`, …). */
  schema: string;
  /** TEMPORAL_NAMESPACE. */
  namespace: string;
  /** PARCELWATCH_TASK_QUEUE_IO / _CPU. */
  taskQueues: { io: string; cpu: string };
  /** PARCELWATCH_SCHEDULE_ID. */
  scheduleId: string;
  /** PARCELWATCH_PURGE_SCHEDULE_ID. */
  purgeScheduleId: string;
  /** Folder under PARCELWATCH_HOME of the file datalake when DATALAKE_URL is unset. */
  datalakeFolder: string;
}

export function environmentDefaults(name: EnvironmentName): EnvironmentDefaults {
  if (name === 'dev') {
    return {
      schema: 'parcelwatch',
      namespace: 'default',
      taskQueues: { io: 'parcelwatch-io', cpu: 'parcelwatch-cpu' },
      scheduleId: 'parcelwatch-weekly',
      purgeScheduleId: 'parcelwatch-purge',
      datalakeFolder: 'datalake',
    };
  }
  return {
    schema: `parcelwatch_${name}`,
    namespace: `parcelwatch-${name}`,
    taskQueues: { io: `parcelwatch-${name}-io`, cpu: `parcelwatch-${name}-cpu` },
    scheduleId: `parcelwatch-${name}-weekly`,
    purgeScheduleId: `parcelwatch-${name}-purge`,
    datalakeFolder: `datalake-${name}`,
  };
}

export function isEnvironmentName(value: string): value is EnvironmentName {
  return (ENVIRONMENTS as readonly string[]).includes(value);
}

/**
 * The label of PARCELWATCH_ENV as given (trimmed, lower case), `dev` when unset; for places that
 * run before or without the validated configuration (the logger, the telemetry resource).
 */
export function environmentLabel(env: EnvRecord): string {
  return env.PARCELWATCH_ENV?.trim().toLowerCase() || DEFAULT_ENVIRONMENT;
}
