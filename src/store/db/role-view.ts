import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { Database } from './database';
import { inTransaction } from './transaction';

/**
 * The database as one role sees it, for reads: every query runs in a read-only transaction of its
 * own after `SET LOCAL ROLE <role>`, so the row-level security of that role filters it, whatever
 * the SQL. The API reads this way as the team role of each request's key. Statements stay short
 * (an export reads page by page, each page one transaction), and the role never outlives its
 * transaction: the pooled connection goes back as the server's own, which matters on the embedded
 * demo database, where every client shares one session.
 *
 * Only `pool.query` is offered: transactions (`pool.connect`) and drizzle throw, so a write cannot
 * slip through a read view by accident.
 */
export function readAsRole(db: Database, role: string): Database {
  const pool = new RoleReadPool(db.pool, role);
  return {
    // A stand-in with the one Pool method reads use; see RoleReadPool.
    pool: pool as unknown as Pool,
    get orm(): never {
      throw new Error(`the read view as ${role} offers pool.query only, not drizzle`);
    },
    schema: db.schema,
    // The pool is the server's; whoever opened it closes it.
    close: async () => undefined,
  };
}

class RoleReadPool {
  private readonly begin: string;

  constructor(
    private readonly server: Pool,
    private readonly role: string,
  ) {
    this.begin = `BEGIN READ ONLY; SET LOCAL ROLE "${role.replace(/"/g, '""')}"`;
  }

  async query<R extends QueryResultRow = QueryResultRow>(
    text: string | QueryConfig,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    return inTransaction(
      this.server,
      (client) =>
        typeof text === 'string'
          ? client.query<R>(text, values)
          : client.query<R>({ ...text, values: values ?? text.values }),
      this.begin,
    );
  }

  connect(): Promise<PoolClient> {
    return Promise.reject(
      new Error(
        `the read view as ${this.role} offers single reads only; write through the server's database`,
      ),
    );
  }

  async end(): Promise<void> {}
}
