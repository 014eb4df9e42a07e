import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { connectionError, redactUrl } from '../../src/store/db/connection';

/**
 * Makes sure the PostgreSQL server behind `adminUrl` offers PostGIS: installs the Debian package
 * matching the server's major version when it is missing and we are root with apt-get.
 */
export async function ensurePostgis(
  adminUrl: string,
  log: (message: string) => void,
): Promise<string> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw connectionError(adminUrl, error);
  }
  try {
    const available = await client.query<{ default_version: string }>(
      "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'",
    );
    if (available.rows[0]) return available.rows[0].default_version;
    const major = Math.floor(
      Number(
        (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v"))
          .rows[0]?.v,
      ) / 10000,
    );
    const pkg = `postgresql-${major}-postgis-3`;
    const isRoot = process.getuid?.() === 0;
    const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
    if (!isRoot || !hasApt) {
      throw new Error(
        `PostGIS is not installed on the PostgreSQL at ${redactUrl(adminUrl)}; install ${pkg} (Debian/Ubuntu) as root, or set DATABASE_URL / PARCELWATCH_TEST_DATABASE_URL to a PostgreSQL 15+ with PostGIS 3`,
      );
    }
    log(`PostGIS: installing ${pkg} with apt-get…`);
    let result = spawnSync('apt-get', ['install', '-y', '-q', pkg], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) {
      spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
      result = spawnSync('apt-get', ['install', '-y', '-q', pkg], {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    }
    if (result.status !== 0)
      throw new Error(
        `apt-get install ${pkg} failed; install PostGIS 3 for PostgreSQL ${major} yourself`,
      );
    const after = await client.query<{ default_version: string }>(
      "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'",
    );
    if (!after.rows[0])
      throw new Error(
        `${pkg} installed but the server still lists no postgis extension; restart PostgreSQL`,
      );
    return after.rows[0].default_version;
  } finally {
    await client.end();
  }
}
