import { drizzle } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
import * as model from '../../../db';
import { searchPath } from '../../../src/store/db/connection';
import type { Database } from '../../../src/store/db/database';
import { migrate } from '../../../src/store/db/migrate';
import { testDatabase } from '../../helpers/services';

/**
 * A schema of its own in this run's database, migrated, so a test file's rows never meet another
 * file's. `timeZone` sets the session time zone, to prove SQL does not depend on it.
 */
export async function isolatedDatabase(
  schema: string,
  options: { timeZone?: string } = {},
): Promise<Database & { url: string }> {
  const { url } = await testDatabase();
  await migrate({ url, schema });
  const settings = [`-c search_path=${searchPath(schema).replace(/ /g, '')}`];
  if (options.timeZone) settings.push(`-c TimeZone=${options.timeZone}`);
  const pool = new Pool({ connectionString: url, max: 4, options: settings.join(' ') });
  return {
    url,
    pool,
    orm: drizzle(pool, { schema: model }),
    schema,
    close: () => pool.end(),
  };
}
