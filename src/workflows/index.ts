// Every workflow the workers register; bundled for the Temporal sandbox (no I/O, no clock, no randomness).
export { backfill } from './backfill';
export { checkDatabase } from './check-database';
export { processGroup } from './process-group';
export { purge } from './purge';
export { scheduledPurge } from './scheduled-purge';
export { scheduledWeeklyRun } from './scheduled-weekly-run';
export { weeklyRun } from './weekly-run';
