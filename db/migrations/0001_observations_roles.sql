-- Hand-written: drizzle-kit cannot express partitioned tables, roles or grants.
-- Runs with search_path = <schema>, public and as the schema's owner role (see src/store/db/migrate.ts),
-- so current_schema() is the parcelwatch schema of this environment.

-- parcel_observations: a TimescaleDB hypertable when the extension is installed (the migrator creates
-- it when the server offers and preloads it), native monthly range partitions otherwise.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    CREATE TABLE parcel_observations (
      parcel_id bigint NOT NULL REFERENCES parcels (id) ON DELETE CASCADE,
      index_name text NOT NULL,
      acquired_at timestamptz NOT NULL,
      scene_id text NOT NULL,
      mean double precision, median double precision, std double precision,
      min double precision, max double precision, p10 double precision, p90 double precision,
      valid_pixels integer NOT NULL,
      total_pixels integer NOT NULL,
      valid_fraction real NOT NULL,
      status text NOT NULL CHECK (status IN ('ok', 'cloudy', 'nodata')),
      flags text[] NOT NULL DEFAULT '{}',
      algorithm_version text NOT NULL,
      run_id text,
      computed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (parcel_id, index_name, acquired_at)
    );
    EXECUTE 'SELECT create_hypertable(''parcel_observations'', ''acquired_at'', chunk_time_interval => interval ''1 month'')';
  ELSE
    CREATE TABLE parcel_observations (
      parcel_id bigint NOT NULL REFERENCES parcels (id) ON DELETE CASCADE,
      index_name text NOT NULL,
      acquired_at timestamptz NOT NULL,
      scene_id text NOT NULL,
      mean double precision, median double precision, std double precision,
      min double precision, max double precision, p10 double precision, p90 double precision,
      valid_pixels integer NOT NULL,
      total_pixels integer NOT NULL,
      valid_fraction real NOT NULL,
      status text NOT NULL CHECK (status IN ('ok', 'cloudy', 'nodata')),
      flags text[] NOT NULL DEFAULT '{}',
      algorithm_version text NOT NULL,
      run_id text,
      computed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (parcel_id, index_name, acquired_at)
    ) PARTITION BY RANGE (acquired_at);
    -- Catches any month without its partition yet, so an insert never fails.
    CREATE TABLE parcel_observations_default PARTITION OF parcel_observations DEFAULT;
  END IF;
END
$$;
--> statement-breakpoint
CREATE INDEX parcel_observations_scene_idx ON parcel_observations (scene_id);
--> statement-breakpoint
CREATE INDEX parcel_observations_acquired_idx ON parcel_observations (acquired_at);
--> statement-breakpoint
-- Creates the monthly partitions covering [from_ts, to_ts]; rows of those months that landed in the
-- default partition move into the new partition. Security definer: partitions belong to the owner
-- role, so the writer can fill them but never drop them. Returns the number of partitions created.
CREATE FUNCTION ensure_observation_partitions(from_ts timestamptz, to_ts timestamptz)
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
SELECT ensure_observation_partitions(now() - interval '3 months', now() + interval '3 months');
--> statement-breakpoint
-- Grants for the environment's roles: <schema>_writer (pipeline: read and write rows, never DDL) and
-- <schema>_reader (analysts: SELECT only). The owner role owns every object. Default privileges make
-- tables created later by the owner (new migrations, new partitions) follow the same rules.
DO $$
DECLARE
  s text := current_schema();
  writer text := current_schema() || '_writer';
  reader text := current_schema() || '_reader';
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I, %I', s, writer, reader);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', s, reader);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', s, writer);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, writer);
  EXECUTE format('REVOKE ALL ON FUNCTION %I.ensure_observation_partitions(timestamptz, timestamptz) FROM PUBLIC', s);
  EXECUTE format('GRANT EXECUTE ON FUNCTION %I.ensure_observation_partitions(timestamptz, timestamptz) TO %I', s, writer);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I', s, reader);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', s, writer);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I', s, writer);
END
$$;
--> statement-breakpoint
-- The datasets parcelwatch publishes, with their owner (governance: "Team A is responsible for NDVI / NDMI data").
INSERT INTO datasets (name, owner_team, description, retention_days) VALUES
  ('ndvi', 'team-a', 'Per-parcel NDVI statistics per Sentinel-2 acquisition (parcel_observations, index ndvi)', NULL),
  ('ndmi', 'team-a', 'Per-parcel NDMI statistics per Sentinel-2 acquisition (parcel_observations, index ndmi)', NULL),
  ('weekly', 'team-a', 'Weekly series per parcel and index, gaps filled by interpolation and flagged (parcel_weekly)', NULL)
ON CONFLICT (name) DO NOTHING;
