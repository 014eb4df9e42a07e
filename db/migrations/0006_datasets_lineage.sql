-- Hand-written: the dataset catalog (governance). Each published dataset says what it is (kind), where
-- it lives (location), who owns it (owner_team), how long it is kept (retention_days, NULL: the
-- configured default of its kind) and which quality KPIs measure it (kpi_thresholds: KPI name →
-- threshold, null: the configured PARCELWATCH_KPI_* value; a number is the owner's own target,
-- reported beside the configured one — runs are judged by the configuration only).
-- Rows are seeded idempotently: an owner or retention set by an operator is never overwritten.
ALTER TABLE datasets ADD COLUMN kind text;
--> statement-breakpoint
ALTER TABLE datasets ADD COLUMN location text;
--> statement-breakpoint
-- Rows seeded by 0001 (ndvi, ndmi, weekly) and any added by hand: a dataset named like an index is that
-- index's observations (what the purge already assumes when it reads retention_days).
UPDATE datasets SET
  kind = CASE WHEN name = 'weekly' THEN 'weekly' ELSE 'observations' END,
  location = CASE WHEN name = 'weekly' THEN 'parcel_weekly'
                  ELSE format('parcel_observations (index_name = %L)', name) END;
--> statement-breakpoint
ALTER TABLE datasets ALTER COLUMN kind SET NOT NULL;
--> statement-breakpoint
ALTER TABLE datasets ALTER COLUMN location SET NOT NULL;
--> statement-breakpoint
ALTER TABLE datasets ADD CONSTRAINT datasets_kind_check
  CHECK (kind IN ('observations', 'weekly', 'archive'));
--> statement-breakpoint
ALTER TABLE datasets ADD CONSTRAINT datasets_retention_days_check
  CHECK (retention_days IS NULL OR retention_days >= 1);
--> statement-breakpoint
ALTER TABLE datasets ADD CONSTRAINT datasets_owner_team_check CHECK (btrim(owner_team) <> '');
--> statement-breakpoint
-- The KPIs of each kind, left to the configured thresholds.
UPDATE datasets SET kpi_thresholds =
  '{"minObservedShare": null, "minOkShare": null, "minMeanValidFraction": null, "maxFailedActivities": null}'::jsonb
 WHERE kind = 'observations' AND kpi_thresholds = '{}'::jsonb;
--> statement-breakpoint
UPDATE datasets SET kpi_thresholds = '{"minObservedShare": null}'::jsonb
 WHERE kind = 'weekly' AND kpi_thresholds = '{}'::jsonb;
--> statement-breakpoint
-- Team A is responsible for NDVI / NDMI data (governance notes), so for everything derived from them.
INSERT INTO datasets (name, kind, owner_team, description, location, retention_days, kpi_thresholds) VALUES
  ('ndvi', 'observations', 'team-a',
   'Per-parcel NDVI statistics per Sentinel-2 acquisition (parcel_observations, index ndvi)',
   'parcel_observations (index_name = ''ndvi'')', NULL,
   '{"minObservedShare": null, "minOkShare": null, "minMeanValidFraction": null, "maxFailedActivities": null}'),
  ('ndmi', 'observations', 'team-a',
   'Per-parcel NDMI statistics per Sentinel-2 acquisition (parcel_observations, index ndmi)',
   'parcel_observations (index_name = ''ndmi'')', NULL,
   '{"minObservedShare": null, "minOkShare": null, "minMeanValidFraction": null, "maxFailedActivities": null}'),
  ('weekly', 'weekly', 'team-a',
   'Weekly series per parcel and index, gaps filled by interpolation and flagged (parcel_weekly)',
   'parcel_weekly', NULL, '{"minObservedShare": null}'),
  ('observations-archive', 'archive', 'team-a',
   'Observations past their retention, archived by the purge before they leave the database: gzipped CSV per month of acquisition, index and block of 10 000 parcel ids, each with a manifest of row count and checksum',
   'datalake archive/observations/<yyyy-mm>/<index>/parcels-<first>-<last>.csv.gz (+ .manifest.json)',
   NULL, '{}')
ON CONFLICT (name) DO NOTHING;
--> statement-breakpoint
-- Lineage: an observation names its run by run id alone (`parcel_observations.run_id`).
CREATE INDEX pipeline_runs_run_id_idx ON pipeline_runs (run_id);
