import type { PoolClient } from 'pg';
import { BadInputError, ConfigError } from '../../core/errors';
import { type AuditEntry, recordAudit } from './audit-log';
import type { Database } from './database';
import { roleNames } from './roles';
import { inTransaction } from './transaction';

/**
 * Teams as the database knows them (migration 0005). Each team has a NOLOGIN role,
 * `<schema>_team_<team>`, member of `<schema>_reader`; row-level security lets a role read the
 * parcels, observations and weekly rows of the teams it is a member of, plus the teams those were
 * granted (`team_grants`). The writer role is made a member of every team role, so the API server
 * (which logs in with writer rights) can `SET ROLE` to the team of each request's key.
 * People get a team by a DBA's `GRANT <schema>_team_<team> TO alice`.
 */

export interface Team {
  team: string;
  /** The database role people of the team are granted. */
  role: string;
  /** Other teams whose data this team may read. */
  reads: string[];
  createdAt: string;
}

export interface EnsureTeamResult {
  team: string;
  role: string;
  /** False when the team was known already (nothing changed). */
  created: boolean;
}

/** Longest team name: the same limit as an API key's team. */
const MAX_TEAM_LENGTH = 100;
/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes). */
const MAX_ROLE_NAME_BYTES = 63;

/** `team-a` → `parcelwatch_team_team_a`: lower case, anything but letters, digits and _ as _. */
export function teamRoleName(schema: string, team: string): string {
  return `${schema}_team_${team.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

/** A team name from user input, trimmed; a clear error for an empty or oversized one. */
export function checkTeamName(team: string): string {
  const trimmed = (team ?? '').trim();
  if (!trimmed || trimmed.length > MAX_TEAM_LENGTH) {
    throw new BadInputError(`team "${team}" must be 1 to ${MAX_TEAM_LENGTH} characters`, {
      code: 'TEAM_NAME_INVALID',
    });
  }
  return trimmed;
}

/**
 * Makes sure the team has its role: creates it (NOLOGIN, member of the reader role), makes the
 * writer role a member of it, and records the team, all or nothing. Known teams are left as they
 * are. Needs CREATEROLE (or a DBA who created the role and its memberships beforehand). With
 * `actor`, a created team is recorded in the audit log in the same transaction.
 */
export async function ensureTeam(
  db: Database,
  name: string,
  actor?: string,
): Promise<EnsureTeamResult> {
  const team = checkTeamName(name);
  const roles = roleNames(db.schema);
  const role = teamRoleName(db.schema, team);
  if (Buffer.byteLength(role, 'utf8') > MAX_ROLE_NAME_BYTES) {
    throw new BadInputError(
      `team "${team}" would need the role name ${role}, longer than PostgreSQL's ${MAX_ROLE_NAME_BYTES} bytes; choose a shorter team name`,
      { code: 'TEAM_NAME_INVALID' },
    );
  }
  const attempt = () =>
    inTransaction(db.pool, async (client) => {
      // Teams of one environment are added one at a time.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `parcelwatch-teams:${db.schema}`,
      ]);
      const known = await client.query<{ role_name: string }>(
        'SELECT role_name FROM team_roles WHERE team = $1',
        [team],
      );
      const teamRole = known.rows[0]?.role_name ?? role;
      if (!known.rows[0]) {
        const taken = await client.query<{ team: string }>(
          'SELECT team FROM team_roles WHERE role_name = $1',
          [role],
        );
        if (taken.rows[0]) {
          throw new BadInputError(
            `team "${team}" would use the role ${role}, which belongs to team "${taken.rows[0].team}"; team names differing only in case or punctuation are not allowed`,
            { code: 'TEAM_ROLE_TAKEN' },
          );
        }
      }
      await ensureRole(client, teamRole, roles);
      if (known.rows[0]) return { team, role: teamRole, created: false };
      await client.query('INSERT INTO team_roles (team, role_name) VALUES ($1, $2)', [
        team,
        teamRole,
      ]);
      if (actor) {
        await recordAudit(client, {
          actor,
          action: 'team.add',
          target: `team:${team}`,
          details: { role: teamRole },
        });
      }
      return { team, role: teamRole, created: true };
    });
  try {
    return await attempt();
  } catch (error) {
    // Roles belong to the whole server: another database may have created it a moment ago.
    if (isDuplicateRole(error)) return attempt();
    throw error;
  }
}

/** The role of a known team, or undefined. */
export async function teamRole(db: Database, team: string): Promise<string | undefined> {
  const rows = await db.pool.query<{ role_name: string }>(
    'SELECT t.role_name FROM team_roles t JOIN pg_roles r ON r.rolname = t.role_name WHERE t.team = $1',
    [team],
  );
  return rows.rows[0]?.role_name;
}

/** Every known team with its role and the teams it may read, by name. */
export async function listTeams(db: Database): Promise<Team[]> {
  const rows = await db.pool.query<{
    team: string;
    role_name: string;
    reads: string[];
    created_at: Date;
  }>(
    `SELECT t.team, t.role_name, t.created_at,
            COALESCE(array_agg(g.reads_team ORDER BY g.reads_team)
                     FILTER (WHERE g.reads_team IS NOT NULL), '{}') AS reads
       FROM team_roles t LEFT JOIN team_grants g ON g.team = t.team
      GROUP BY t.team ORDER BY t.team`,
  );
  return rows.rows.map((r) => ({
    team: r.team,
    role: r.role_name,
    reads: r.reads,
    createdAt: r.created_at.toISOString(),
  }));
}

/**
 * Lets `team` read `readsTeam`'s parcels, observations and weekly rows (or stops it, with
 * `granted` false). Returns whether anything changed; a change is recorded in the audit log with
 * `actor`, in the same transaction.
 */
export async function setTeamGrant(
  db: Database,
  grant: { team: string; readsTeam: string; granted: boolean },
  actor: string,
): Promise<boolean> {
  const team = checkTeamName(grant.team);
  const readsTeam = checkTeamName(grant.readsTeam);
  if (team === readsTeam) {
    throw new BadInputError(`team "${team}" always reads its own parcels; name another team`, {
      code: 'TEAM_GRANT_SELF',
    });
  }
  return inTransaction(db.pool, async (client) => {
    const known = await client.query('SELECT 1 FROM team_roles WHERE team = $1', [team]);
    if (!known.rowCount) {
      throw new BadInputError(
        `no team "${team}"; add it first with \`parcelwatch teams add ${team}\``,
        { code: 'TEAM_UNKNOWN' },
      );
    }
    const changed = grant.granted
      ? await client.query(
          'INSERT INTO team_grants (team, reads_team) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [team, readsTeam],
        )
      : await client.query('DELETE FROM team_grants WHERE team = $1 AND reads_team = $2', [
          team,
          readsTeam,
        ]);
    if (!changed.rowCount) return false;
    const entry: AuditEntry = {
      actor,
      action: grant.granted ? 'team.grant' : 'team.revoke',
      target: `team:${team}`,
      details: { reads: readsTeam },
    };
    await recordAudit(client, entry);
    return true;
  });
}

/** Creates the role if missing and gives it and the writer their memberships, unless they hold. */
async function ensureRole(
  client: PoolClient,
  role: string,
  roles: ReturnType<typeof roleNames>,
): Promise<void> {
  const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const state = await client.query<{ exists: boolean; reads: boolean; writer: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists,
            EXISTS (SELECT 1 FROM pg_auth_members m
                      JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
                     WHERE g.rolname = $2 AND u.rolname = $1) AS reads,
            EXISTS (SELECT 1 FROM pg_auth_members m
                      JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
                     WHERE g.rolname = $1 AND u.rolname = $3) AS writer`,
    [role, roles.reader, roles.writer],
  );
  const { exists, reads, writer } = state.rows[0]!;
  try {
    if (!exists) await client.query(`CREATE ROLE ${ident(role)} NOLOGIN`);
    if (!reads) await client.query(`GRANT ${ident(roles.reader)} TO ${ident(role)}`);
    if (!writer) await client.query(`GRANT ${ident(role)} TO ${ident(roles.writer)}`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    throw new ConfigError(
      `cannot create the team role ${role}: ${(error as Error).message}; run the command as a user with CREATEROLE, or ask a DBA to run: CREATE ROLE ${role} NOLOGIN; GRANT ${roles.reader} TO ${role}; GRANT ${role} TO ${roles.writer}; then run it again`,
      { code: 'TEAM_ROLE_PRIVILEGE', cause: error },
    );
  }
}

function isDuplicateRole(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '42710' || code === '23505';
}
