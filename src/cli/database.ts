import { loadConfig } from '../config';
import type { Database } from '../store/db/database';

/**
 * Runs `fn` with a connection pool to the configured database and closes it afterwards, whatever
 * happens. The database module is loaded on use: commands that never touch the database (help,
 * version) start without pg.
 */
export async function withDatabase<T>(
  fn: (db: Database) => Promise<T>,
  applicationName = 'parcelwatch-cli',
): Promise<T> {
  const { openDatabase } = require('../store/db/database') as typeof import('../store/db/database');
  const db = await openDatabase(loadConfig().database, applicationName);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
