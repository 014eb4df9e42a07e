// Every workflow the workers register; bundled for the Temporal sandbox (no I/O, no clock, no randomness).
export { checkDatabase } from './check-database';
