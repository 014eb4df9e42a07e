-- Hand-written: drizzle-kit cannot express roles, row-level security or triggers.
-- Runs as the schema's owner role with search_path = <schema> (see src/store/db/migrate.ts), so
-- current_schema() names this environment; its roles are <schema>_owner, _writer and _reader.

-- Teams and their database roles. A team's role, <schema>_team_<team>, is a NOLOGIN member of
-- <schema>_reader, created by `parcelwatch teams add` (roles need CREATEROLE, which the owner role
-- running migrations lacks) and granted to people by a DBA: GRANT parcelwatch_team_team_a TO alice.
-- The mapping is kept here because team names are free text ("team-a") and role names are not.
CREATE TABLE team_roles (
  team text PRIMARY KEY CHECK (btrim(team) <> '' AND length(team) <= 100),
  role_name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
-- A team allowed to read another team's parcels and series (`parcelwatch teams grant`).
CREATE TABLE team_grants (
  team text NOT NULL REFERENCES team_roles (team) ON DELETE CASCADE,
  reads_team text NOT NULL CHECK (btrim(reads_team) <> '' AND length(reads_team) <= 100),
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team, reads_team),
  CHECK (team <> reads_team)
);
--> statement-breakpoint
-- The owner teams whose rows the current role may read: the teams whose role it is a member of
-- (directly or through other roles), plus the teams those were granted. Invoker's rights, so
-- current_user is the querying role; search_path pinned, so it works whatever the caller's path.
CREATE FUNCTION readable_teams()
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
  WITH mine AS (
    SELECT t.team
      FROM team_roles t
      JOIN pg_roles r ON r.rolname = t.role_name
     WHERE pg_has_role(current_user, r.oid, 'MEMBER')
  )
  SELECT COALESCE(array_agg(DISTINCT v.team), '{}')
    FROM (SELECT team FROM mine
          UNION
          SELECT g.reads_team FROM team_grants g JOIN mine m ON m.team = g.team) AS v(team)
$$;
--> statement-breakpoint
-- Row-level security by owner team. The writer (pipeline, API server, CLI) sees and changes every
-- row: its policy is `true`, which the planner folds away, so its plans are unchanged. Every role
-- with reader rights (a team role, a person granted one, the bare reader role) reads only the rows
-- of the teams readable_teams() returns: the bare <schema>_reader, holding no team, reads none.
-- The owner (migrations) bypasses RLS as the tables' owner; superusers always do.
-- Observations and weekly rows follow their parcel's team. Policies on the partitioned parent
-- apply to every query through it; readers lose direct access to the partitions below.
DO $$
DECLARE
  writer text := current_schema() || '_writer';
  reader text := current_schema() || '_reader';
BEGIN
  ALTER TABLE parcels ENABLE ROW LEVEL SECURITY;
  EXECUTE format('CREATE POLICY parcels_writer ON parcels FOR ALL TO %I USING (true) WITH CHECK (true)', writer);
  EXECUTE format(
    'CREATE POLICY parcels_team_read ON parcels FOR SELECT TO %I
       USING (owner_team = ANY ((SELECT readable_teams())::text[]))', reader);

  ALTER TABLE parcel_observations ENABLE ROW LEVEL SECURITY;
  EXECUTE format('CREATE POLICY parcel_observations_writer ON parcel_observations FOR ALL TO %I USING (true) WITH CHECK (true)', writer);
  EXECUTE format(
    'CREATE POLICY parcel_observations_team_read ON parcel_observations FOR SELECT TO %I
       USING (parcel_id IN (SELECT p.id FROM parcels p WHERE p.owner_team = ANY ((SELECT readable_teams())::text[])))', reader);

  ALTER TABLE parcel_weekly ENABLE ROW LEVEL SECURITY;
  EXECUTE format('CREATE POLICY parcel_weekly_writer ON parcel_weekly FOR ALL TO %I USING (true) WITH CHECK (true)', writer);
  EXECUTE format(
    'CREATE POLICY parcel_weekly_team_read ON parcel_weekly FOR SELECT TO %I
       USING (parcel_id IN (SELECT p.id FROM parcels p WHERE p.owner_team = ANY ((SELECT readable_teams())::text[])))', reader);
END
$$;
--> statement-breakpoint
-- Readers reach observations through parcel_observations only: selecting a partition directly
-- would skip the parent's policies. (A TimescaleDB hypertable keeps its chunks in its own schema.)
DO $$
DECLARE
  part regclass;
BEGIN
  FOR part IN SELECT i.inhrelid::regclass FROM pg_inherits i WHERE i.inhparent = 'parcel_observations'::regclass LOOP
    EXECUTE format('REVOKE ALL ON %s FROM %I', part, current_schema() || '_reader');
  END LOOP;
END
$$;
--> statement-breakpoint
-- As in 0001, plus: the new partition is closed to readers (default privileges grant them SELECT).
CREATE OR REPLACE FUNCTION ensure_observation_partitions(from_ts timestamptz, to_ts timestamptz)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
  target_schema text := current_schema();
  month_start timestamptz := date_trunc('month', from_ts, 'UTC');
  last_month timestamptz := date_trunc('month', to_ts, 'UTC');
  month_end timestamptz;
  part text;
  created integer := 0;
BEGIN
  IF from_ts IS NULL OR to_ts IS NULL OR to_ts < from_ts THEN
    RAISE EXCEPTION 'ensure_observation_partitions(%, %): give from <= to', from_ts, to_ts;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'parcel_observations'::regclass) THEN
    RETURN 0; -- a hypertable manages its own chunks
  END IF;
  WHILE month_start <= last_month LOOP
    month_end := (month_start AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
    part := 'parcel_observations_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
    IF to_regclass(format('%I.%I', target_schema, part)) IS NULL THEN
      -- Serialise concurrent creators; re-check once the lock is held.
      LOCK TABLE parcel_observations_default IN ACCESS EXCLUSIVE MODE;
      IF to_regclass(format('%I.%I', target_schema, part)) IS NULL THEN
        EXECUTE format('CREATE TABLE %I.%I (LIKE parcel_observations INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', target_schema, part);
        EXECUTE format('REVOKE ALL ON %I.%I FROM %I', target_schema, part, target_schema || '_reader');
        EXECUTE format(
          'WITH moved AS (DELETE FROM parcel_observations_default WHERE acquired_at >= $1 AND acquired_at < $2 RETURNING *)
           INSERT INTO %I.%I SELECT * FROM moved', target_schema, part)
          USING month_start, month_end;
        EXECUTE format('ALTER TABLE parcel_observations ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
          target_schema, part, month_start, month_end);
        created := created + 1;
      END IF;
    END IF;
    month_start := month_end;
  END LOOP;
  RETURN created;
END
$$;
--> statement-breakpoint
-- The audit log: who did what, when, to what, in which environment. Append-only: the writer may
-- insert, nobody but the owner role may update, delete or truncate (privileges revoked, and a
-- trigger refuses even a role granted them later, a superuser included). Readers see none of it.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL CHECK (btrim(actor) <> '' AND length(actor) <= 200),
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$'),
  target text CHECK (length(target) <= 1000),
  details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
  environment text NOT NULL
);
--> statement-breakpoint
CREATE INDEX audit_log_at_idx ON audit_log (at);
--> statement-breakpoint
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
--> statement-breakpoint
-- The time and the environment are the database's to say, not the inserting client's.
CREATE FUNCTION audit_log_stamp() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.at := clock_timestamp();
  NEW.environment := TG_TABLE_SCHEMA;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF current_user <> TG_TABLE_SCHEMA || '_owner' THEN
    RAISE EXCEPTION 'audit_log is append-only: % refused for role %', TG_OP, current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('only the owner role %s may change or remove audit rows', TG_TABLE_SCHEMA || '_owner');
  END IF;
  IF TG_LEVEL = 'STATEMENT' THEN
    RETURN NULL;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_stamp BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_stamp();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
--> statement-breakpoint
DO $$
BEGIN
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', current_schema() || '_writer');
  EXECUTE format('REVOKE ALL ON audit_log FROM %I', current_schema() || '_reader');
END
$$;
