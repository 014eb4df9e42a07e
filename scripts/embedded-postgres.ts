/**
 * The demo's embedded PostgreSQL: PGlite with PostGIS, served over the PostgreSQL wire protocol so
 * the worker, the CLI and the API connect with the same `pg` code as to a real server.
 * PGlite runs one session shared by every client, and ignores startup options, so the schema's
 * search_path is set here once for all of them.
 * Usage: tsx scripts/embedded-postgres.ts --data DIR --port N [--schema parcelwatch]
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { searchPath } from '../src/store/db/connection';

/** Worker pools, the CLI and the API share one PGlite; its multiplexer serialises their queries. */
const MAX_CONNECTIONS = 64;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      schema: { type: 'string', default: 'parcelwatch' },
    },
  });
  if (!values.data || !values.port) throw new Error('usage: embedded-postgres --data DIR --port N');
  mkdirSync(values.data, { recursive: true });
  const db = await PGlite.create({ dataDir: values.data, extensions: { postgis } });
  await db.exec(`SET search_path TO ${searchPath(values.schema ?? 'parcelwatch')}`);
  const server = new PGLiteSocketServer({
    db,
    host: values.host,
    port: Number(values.port),
    maxConnections: MAX_CONNECTIONS,
  });
  await server.start();
  console.log(
    `embedded PostgreSQL (PGlite + PostGIS) on ${values.host}:${values.port}, data in ${values.data}`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing the database cleanly`);
    await server.stop();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
