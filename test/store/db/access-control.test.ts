import assert from 'node:assert/strict';
import { Client } from 'pg';
import type { Database } from '../../../src/store/db/database';
import { roleNames } from '../../../src/store/db/roles';
import {
  ensureTeam,
  listTeams,
  setTeamGrant,
  teamRoleName,
} from '../../../src/store/db/team-access';
import { seedSeries } from '../../api/seed';
import { isolatedDatabase } from './isolated-schema';

const SCHEMA = 'access_control';
/** Throwaway login roles of this run (roles belong to the whole server: named after the process). */
const ALICE = `${SCHEMA}_alice_${process.pid}`;
const BOB = `${SCHEMA}_bob_${process.pid}`;

interface Visible {
  parcels: string[];
  observations: string[];
  weekly: string[];
}

describe('row-level security by owner team (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database & { url: string };
  let admin: Client;
  const roles = roleNames(SCHEMA);

  /** What `role` reads of the three team-scoped tables, as owner teams (sorted, distinct). */
  const visibleAs = async (role: string): Promise<Visible> => {
    await admin.query('BEGIN');
    try {
      await admin.query(`SET LOCAL ROLE ${role}`);
      const teams = async (sql: string) =>
        (await admin.query<{ team: string }>(sql)).rows.map((r) => r.team);
      return {
        parcels: await teams('SELECT DISTINCT owner_team AS team FROM parcels ORDER BY 1'),
        observations: await teams(
          'SELECT DISTINCT p.owner_team AS team FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id ORDER BY 1',
        ),
        weekly: await teams(
          'SELECT DISTINCT p.owner_team AS team FROM parcel_weekly w JOIN parcels p ON p.id = w.parcel_id ORDER BY 1',
        ),
      };
    } finally {
      await admin.query('ROLLBACK');
    }
  };
  const counts = async () =>
    (
      await admin.query<{ parcels: number; observations: number; weekly: number }>(
        `SELECT (SELECT count(*)::int FROM parcels) AS parcels,
                (SELECT count(*)::int FROM parcel_observations) AS observations,
                (SELECT count(*)::int FROM parcel_weekly) AS weekly`,
      )
    ).rows[0]!;

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    await seedSeries(db, { parcelsPerSource: 6, acquisitions: 8, seed: 7 });
    await db.pool.query(
      "UPDATE parcels SET owner_team = CASE source WHEN 'src-a' THEN 'team-a' ELSE 'team-b' END",
    );
    await ensureTeam(db, 'team-a', 'cli:test');
    await ensureTeam(db, 'team-b', 'cli:test');
    admin = new Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`SET search_path TO ${SCHEMA}, public`);
    for (const person of [ALICE, BOB]) {
      await admin.query(`DROP ROLE IF EXISTS ${person}`);
      await admin.query(`CREATE ROLE ${person} LOGIN`);
    }
    // What a DBA does: Alice is in team A, Bob in no team but holds the bare reader role.
    await admin.query(`GRANT ${teamRoleName(SCHEMA, 'team-a')} TO ${ALICE}`);
    await admin.query(`GRANT ${roles.reader} TO ${BOB}`);
  });
  after(async () => {
    for (const person of [ALICE, BOB]) await admin?.query(`DROP ROLE IF EXISTS ${person}`);
    await admin?.end();
    await db?.close();
  });

  it('seeds rows of both teams in every table (the premise of the tests below)', async () => {
    const all = await visibleAs(roles.writer);
    assert.deepEqual(all, {
      parcels: ['team-a', 'team-b'],
      observations: ['team-a', 'team-b'],
      weekly: ['team-a', 'team-b'],
    });
  });

  it("shows a member of team A's role none of team B's parcels, observations or weekly rows", async () => {
    const seen = await visibleAs(ALICE);
    assert.deepEqual(seen, { parcels: ['team-a'], observations: ['team-a'], weekly: ['team-a'] });
    // Team A's rows are all there, not just some.
    await admin.query('BEGIN');
    try {
      await admin.query(`SET LOCAL ROLE ${ALICE}`);
      const mine = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM parcels');
      await admin.query('RESET ROLE');
      const owned = await admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM parcels WHERE owner_team = 'team-a'",
      );
      assert.equal(mine.rows[0]!.n, owned.rows[0]!.n);
      assert.ok(owned.rows[0]!.n > 0);
    } finally {
      await admin.query('ROLLBACK');
    }
  });

  it('shows the same through the team role itself, as the API uses it (SET ROLE)', async () => {
    const seen = await visibleAs(teamRoleName(SCHEMA, 'team-b'));
    assert.deepEqual(seen, { parcels: ['team-b'], observations: ['team-b'], weekly: ['team-b'] });
  });

  it('opens team B to team A after `teams grant`, and closes it again after revoke', async () => {
    assert.equal(
      await setTeamGrant(db, { team: 'team-a', readsTeam: 'team-b', granted: true }, 'cli:test'),
      true,
    );
    try {
      assert.deepEqual(await visibleAs(ALICE), {
        parcels: ['team-a', 'team-b'],
        observations: ['team-a', 'team-b'],
        weekly: ['team-a', 'team-b'],
      });
      // A grant is one way: team B still sees only its own rows.
      assert.deepEqual((await visibleAs(teamRoleName(SCHEMA, 'team-b'))).parcels, ['team-b']);
      const listed = await listTeams(db);
      assert.deepEqual(
        listed.map((t) => [t.team, t.role, t.reads]),
        [
          ['team-a', teamRoleName(SCHEMA, 'team-a'), ['team-b']],
          ['team-b', teamRoleName(SCHEMA, 'team-b'), []],
        ],
      );
    } finally {
      assert.equal(
        await setTeamGrant(db, { team: 'team-a', readsTeam: 'team-b', granted: false }, 'cli:test'),
        true,
      );
    }
    assert.deepEqual((await visibleAs(ALICE)).parcels, ['team-a']);
  });

  it('lets the writer (pipeline, API server, CLI) see and change every row', async () => {
    const total = await counts();
    await admin.query('BEGIN');
    try {
      await admin.query(`SET LOCAL ROLE ${roles.writer}`);
      assert.deepEqual(await counts(), total);
      const updated = await admin.query("UPDATE parcels SET crop = 'rye' WHERE source = 'src-b'");
      assert.equal(updated.rowCount, 6);
    } finally {
      await admin.query('ROLLBACK');
    }
  });

  it('shows the bare reader role, holding no team, none of the team-scoped rows', async () => {
    assert.deepEqual(await visibleAs(BOB), { parcels: [], observations: [], weekly: [] });
    // Tables without an owner team stay readable.
    await admin.query('BEGIN');
    try {
      await admin.query(`SET LOCAL ROLE ${BOB}`);
      const datasets = await admin.query('SELECT name FROM datasets');
      assert.ok((datasets.rowCount ?? 0) >= 3);
    } finally {
      await admin.query('ROLLBACK');
    }
  });

  it("refuses a team member a partition read directly (which would skip the parent's policies) and any write", async () => {
    const partitions = await admin.query<{ name: string }>(
      "SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'parcel_observations'::regclass",
    );
    assert.ok(partitions.rows.length >= 2);
    const created = await admin.query<{ n: number }>(
      "SELECT ensure_observation_partitions('2041-03-01', '2041-03-31') AS n",
    );
    assert.equal(created.rows[0]!.n, 1);
    for (const name of [...partitions.rows.map((r) => r.name), 'parcel_observations_2041_03']) {
      await admin.query('BEGIN');
      try {
        await admin.query(`SET LOCAL ROLE ${ALICE}`);
        await assert.rejects(admin.query(`SELECT count(*) FROM ${name}`), /permission denied/);
      } finally {
        await admin.query('ROLLBACK');
      }
    }
    await admin.query('BEGIN');
    try {
      await admin.query(`SET LOCAL ROLE ${ALICE}`);
      await assert.rejects(
        admin.query("UPDATE parcels SET watched = true WHERE owner_team = 'team-a'"),
        /permission denied for table parcels/,
      );
    } finally {
      await admin.query('ROLLBACK');
    }
  });

  it('gives a team its role once: member of the reader role, the writer a member of it; a clashing name is refused', async () => {
    const again = await ensureTeam(db, 'team-a');
    assert.deepEqual(again, {
      team: 'team-a',
      role: teamRoleName(SCHEMA, 'team-a'),
      created: false,
    });
    const membership = await admin.query<{ reads: boolean; writer: boolean }>(
      `SELECT pg_has_role($1, $2, 'MEMBER') AS reads, pg_has_role($3, $1, 'MEMBER') AS writer`,
      [again.role, roles.reader, roles.writer],
    );
    assert.deepEqual(membership.rows[0], { reads: true, writer: true });
    await assert.rejects(ensureTeam(db, 'Team_A'), /belongs to team "team-a"/);
    const audited = await admin.query<{ target: string }>(
      "SELECT target FROM audit_log WHERE action = 'team.add' ORDER BY id",
    );
    assert.deepEqual(
      audited.rows.map((r) => r.target),
      ['team:team-a', 'team:team-b'],
    );
  });
});
