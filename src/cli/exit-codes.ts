import { BadDataError, BadInputError, ConfigError, TransientError } from '../core/errors';

/** Exit codes of the `parcelwatch` command, documented in the README. */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed (a workflow failed, data was bad). */
  failed: 1,
  /** Wrong usage, bad input or configuration: fix the command or the settings. */
  usage: 2,
  /** A service (database, Temporal, STAC) did not answer: retry later or start it. */
  unavailable: 3,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof BadInputError) return EXIT.usage;
  if (error instanceof TransientError) return EXIT.unavailable;
  if (error instanceof BadDataError) return EXIT.failed;
  return EXIT.failed;
}
