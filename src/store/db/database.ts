import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Pool } from 'pg';
import * as model from '../../../db';
import type { DatabaseConfig } from '../../config';
import { TransientError } from '../../core/errors';
import { assertReachable, createPool } from './connection';

export type Drizzle = NodePgDatabase<typeof model>;

/** A pool on the environment's schema plus a drizzle handle over the same pool. */
export interface Database {
  pool: Pool;
  orm: Drizzle;
  schema: string;
  close(): Promise<void>;
}

/** Opens the database of the configuration and checks it answers (clear error naming DATABASE_URL otherwise). */
export async function openDatabase(
  config: DatabaseConfig,
  applicationName?: string,
): Promise<Database> {
  const pool = createPool({
    url: config.url,
    schema: config.schema,
    max: config.poolMax,
    applicationName,
  });
  try {
    await assertReachable(pool, config.url);
  } catch (error) {
    await pool.end();
    if (config.embedded && error instanceof TransientError) {
      throw new TransientError(
        `DATABASE_URL is not set, so the embedded demo database (${config.url}) is used, and it does not answer; start it with \`npm run demo\`, or set DATABASE_URL to a PostgreSQL 15+ with PostGIS 3`,
        { code: error.code, cause: error },
      );
    }
    throw error;
  }
  return {
    pool,
    orm: drizzle(pool, { schema: model }),
    schema: config.schema,
    close: () => pool.end(),
  };
}
