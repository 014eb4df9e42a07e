import assert from 'node:assert/strict';
import { createApiKey, hashApiKey } from '../../src/store/db/api-keys';
import type { Database } from '../../src/store/db/database';
import { setTeamGrant } from '../../src/store/db/team-access';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { readParquet } from '../store/exports/readers';
import { startTestApi, type TestApi } from './harness';
import { type Seeded, seedSeries } from './seed';

/**
 * Team A's keys against a database holding team A's parcels (source src-a) and team B's (src-b):
 * every read route shows team A's data only, unless team B is granted to team A; writes change
 * team A's parcels only, and are audited with the key as actor.
 */
describe("API keys see their team's data only (real PostgreSQL, row-level security)", function () {
  this.timeout(120_000);
  let db: Database;
  let api: TestApi;
  let seeded: Seeded;
  /** Team A's read key (the harness's keys belong to team A). */
  let keyA: string;
  let keyB: string;
  let teamBIds: number[];
  let teamAIds: number[];

  const sourcesOf = (rows: Array<{ source: string }>) => [...new Set(rows.map((r) => r.source))];
  /** Distinct values of the `source` column of a CSV export. */
  const csvSources = (text: string) => {
    const [header, ...lines] = text.trim().split('\n');
    const column = header!.split(',').indexOf('source');
    assert.ok(column >= 0, header);
    return [...new Set(lines.map((line) => line.split(',')[column]))].sort();
  };
  const get = async (url: string, key: string) => {
    const response = await api.get(url, key);
    assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
    return response;
  };

  before(async () => {
    db = await isolatedDatabase('pw_api_team_access');
    seeded = await seedSeries(db, { parcelsPerSource: 6, acquisitions: 10, seed: 11 });
    await db.pool.query(
      "UPDATE parcels SET owner_team = CASE source WHEN 'src-a' THEN 'team-a' ELSE 'team-b' END",
    );
    const ids = await db.pool.query<{ id: string; owner_team: string }>(
      'SELECT id, owner_team FROM parcels ORDER BY id',
    );
    teamAIds = ids.rows.filter((r) => r.owner_team === 'team-a').map((r) => Number(r.id));
    teamBIds = ids.rows.filter((r) => r.owner_team === 'team-b').map((r) => Number(r.id));
    api = await startTestApi(db);
    keyA = api.readKey;
    keyB = (await createApiKey(db, { name: 'b-reader', team: 'team-b', scopes: ['read'] })).key;
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  it('seeds both teams, watched parcels of each with observations and weekly rows (premise)', async () => {
    assert.equal(teamAIds.length, 6);
    assert.equal(teamBIds.length, 6);
    const watchedB = seeded.watchedIds.filter((id) => teamBIds.includes(id));
    assert.ok(watchedB.length > 0);
    const weekly = await db.pool.query('SELECT 1 FROM parcel_weekly WHERE parcel_id = $1', [
      watchedB[0],
    ]);
    assert.ok((weekly.rowCount ?? 0) > 0);
  });

  it("lists team A's parcels only, and answers 404 for team B's parcel, its observations and weekly series", async () => {
    const page = (await get('/v1/parcels?limit=1000', keyA)).json() as {
      items: Array<{ id: number; source: string; ownerTeam: string }>;
    };
    assert.deepEqual(
      page.items.map((p) => p.id),
      teamAIds,
    );
    assert.deepEqual(sourcesOf(page.items), ['src-a']);
    const geojson = (await get('/v1/parcels?limit=1000&format=geojson', keyA)).json() as {
      features: unknown[];
    };
    assert.equal(geojson.features.length, teamAIds.length);
    // Asking by id or by source does not get around it.
    const bySource = (await get('/v1/parcels?source=src-b', keyA)).json() as { items: unknown[] };
    assert.deepEqual(bySource.items, []);
    const b = teamBIds[0]!;
    for (const url of [
      `/v1/parcels/${b}`,
      `/v1/parcels/src-b:${encodeURIComponent('src-b-p0')}`,
      `/v1/parcels/${b}/observations`,
      `/v1/parcels/${b}/weekly`,
    ]) {
      const response = await api.get(url, keyA);
      assert.equal(response.statusCode, 404, `${url}: ${response.body}`);
    }
    // Team B's own key sees it.
    assert.equal((await api.get(`/v1/parcels/${b}/observations`, keyB)).statusCode, 200);
  });

  it('leaves team B out of the map and of every export', async () => {
    const map = (await get('/v1/map/latest?index=ndvi', keyA)).json() as {
      features: Array<{ id: number }>;
    };
    assert.deepEqual(
      map.features.map((f) => f.id).sort((x, y) => x - y),
      teamAIds,
    );
    const latest = JSON.parse((await get('/v1/exports/latest.geojson?index=ndvi', keyA)).body) as {
      features: Array<{ id: number }>;
    };
    assert.deepEqual(
      latest.features.map((f) => f.id).sort((x, y) => x - y),
      teamAIds,
    );
    const observations = (await get('/v1/exports/series.csv?kind=observations', keyA)).body;
    assert.deepEqual(csvSources(observations), ['src-a']);
    const weekly = (await get('/v1/exports/series.csv?kind=weekly', keyA)).body;
    assert.deepEqual(csvSources(weekly), ['src-a']);
    const parquet = await readParquet(
      new Uint8Array((await get('/v1/exports/series.parquet', keyA)).rawPayload),
    );
    assert.deepEqual([...new Set(parquet.rows.map((r) => r.source))], ['src-a']);
    const namedB = await get('/v1/exports/series.csv?source=src-b', keyA);
    assert.equal(namedB.body.trim().split('\n').length, 1, 'header only');
    // Team B's key gets team B's rows through the same routes.
    const forB = (await get('/v1/exports/series.csv?kind=observations', keyB)).body;
    assert.deepEqual(csvSources(forB), ['src-b']);
  });

  it("shows team B's data to team A's key once granted, and not after the grant is revoked", async () => {
    await setTeamGrant(db, { team: 'team-a', readsTeam: 'team-b', granted: true }, 'cli:test');
    try {
      const page = (await get('/v1/parcels?limit=1000', keyA)).json() as {
        items: Array<{ source: string }>;
      };
      assert.deepEqual(sourcesOf(page.items).sort(), ['src-a', 'src-b']);
      const csv = (await get('/v1/exports/series.csv?kind=weekly', keyA)).body;
      assert.deepEqual(csvSources(csv), ['src-a', 'src-b']);
    } finally {
      await setTeamGrant(db, { team: 'team-a', readsTeam: 'team-b', granted: false }, 'cli:test');
    }
    assert.equal((await api.get(`/v1/parcels/${teamBIds[0]}`, keyA)).statusCode, 404);
  });

  it("lets a team's write key change its own team's parcels only, and audits it with the key as actor", async () => {
    const watchedOf = async (source: string) =>
      (
        await db.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM parcels WHERE source = $1 AND watched',
          [source],
        )
      ).rows[0]!.n;
    const beforeB = await watchedOf('src-b');
    const other = await api.post('/v1/parcels/watch', { source: 'src-b' });
    assert.equal(other.statusCode, 200, other.body);
    assert.deepEqual(other.json(), { watched: true, changed: 0 });
    // Another team's parcels named by id are no parcels for this key: refused whole, like a typo,
    // without telling whether they exist.
    const byIds = await api.post('/v1/parcels/unwatch', { ids: [teamBIds[0], teamAIds[0]] });
    assert.equal(byIds.statusCode, 400, byIds.body);
    assert.match(
      byIds.json().message,
      new RegExp(`1 id\\(s\\) of no parcel of team team-a: ${teamBIds[0]};`),
    );
    const externalOfB = (
      await db.pool.query<{ external_id: string }>(
        'SELECT external_id FROM parcels WHERE id = $1',
        [teamBIds[0]],
      )
    ).rows[0]!.external_id;
    const externalB = await api.post('/v1/parcels/unwatch', {
      source: 'src-b',
      externalIds: [externalOfB],
    });
    assert.equal(externalB.statusCode, 400, externalB.body);
    assert.match(externalB.json().message, /no parcel of source src-b for team team-a/);
    assert.equal(await watchedOf('src-b'), beforeB);

    const own = await api.post('/v1/parcels/watch', { source: 'src-a' });
    assert.deepEqual(own.json(), { watched: true, changed: 3 });
    assert.equal(await watchedOf('src-a'), 6);

    const audit = await db.pool.query<{
      actor: string;
      action: string;
      target: string;
      details: { changed: number; key: string; selector: unknown };
    }>(
      "SELECT actor, action, target, details FROM audit_log WHERE action LIKE 'parcels.%' ORDER BY id",
    );
    assert.deepEqual(
      audit.rows.map((r) => [r.actor, r.action, r.target, r.details.changed]),
      [
        ['key:writer@team-a', 'parcels.watch', 'source:src-b', 0],
        ['key:writer@team-a', 'parcels.watch', 'source:src-a', 3],
      ],
    );
    assert.match(audit.rows[0]!.details.key, /^pw_[0-9a-f]{10}$/);
    assert.deepEqual(audit.rows[1]!.details.selector, { source: 'src-a' });
  });

  it('refuses (403) a key whose team has no database role, naming the command that gives it one', async () => {
    // A key of a team nobody added (as keys made before teams had roles): stored as createApiKey would.
    const ghostKey = `pw_abcdefabcd_${'g'.repeat(43)}`;
    await db.pool.query(
      "INSERT INTO api_keys (name, team, scopes, prefix, key_hash) VALUES ('ghost', 'ghost-team', '{read}', 'abcdefabcd', $1)",
      [hashApiKey(ghostKey)],
    );
    const response = await api.get('/v1/parcels', ghostKey);
    assert.equal(response.statusCode, 403, response.body);
    assert.match(response.body, /team \\"ghost-team\\".*parcelwatch teams add ghost-team/);
  });
});
