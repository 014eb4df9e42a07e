/**
 * The three database roles of one environment (one schema). They are NOLOGIN group roles: a DBA
 * grants them to login users, e.g. `GRANT parcelwatch_reader TO alice`.
 */
export interface RoleNames {
  /** Owns every object; migrations run as this role. */
  owner: string;
  /** The pipeline: reads and writes rows, cannot change or drop tables. */
  writer: string;
  /** Analysts: SELECT only. */
  reader: string;
}

export function roleNames(schema: string): RoleNames {
  return { owner: `${schema}_owner`, writer: `${schema}_writer`, reader: `${schema}_reader` };
}
