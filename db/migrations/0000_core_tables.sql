CREATE TABLE "datasets" (
	"name" text PRIMARY KEY NOT NULL,
	"owner_team" text NOT NULL,
	"description" text NOT NULL,
	"retention_days" integer,
	"kpi_thresholds" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "parcel_groups" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tile" text NOT NULL,
	"group_number" integer NOT NULL,
	"bbox" geometry(Polygon,4326),
	"parcel_count" integer DEFAULT 0 NOT NULL,
	"watched_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "parcel_weekly" (
	"parcel_id" bigint NOT NULL,
	"index_name" text NOT NULL,
	"week_start" date NOT NULL,
	"value" double precision,
	"observation_count" integer DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"run_id" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "parcel_weekly_parcel_id_index_name_week_start_pk" PRIMARY KEY("parcel_id","index_name","week_start"),
	CONSTRAINT "parcel_weekly_status_check" CHECK ("parcel_weekly"."status" in ('observed', 'interpolated', 'nodata'))
);
--> statement-breakpoint
CREATE TABLE "parcels" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text DEFAULT 'default' NOT NULL,
	"external_id" text NOT NULL,
	"name" text,
	"owner_team" text DEFAULT 'team-a' NOT NULL,
	"crop" text,
	"geom" geometry(MultiPolygon,4326) NOT NULL,
	"area_m2" double precision NOT NULL,
	"primary_tile" text,
	"group_id" bigint,
	"watched" boolean DEFAULT false NOT NULL,
	"geometry_repaired" boolean DEFAULT false NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pipeline_runs" (
	"workflow_id" text NOT NULL,
	"run_id" text NOT NULL,
	"kind" text NOT NULL,
	"window_start" timestamp with time zone,
	"window_end" timestamp with time zone,
	"trigger" text NOT NULL,
	"triggered_by" text,
	"status" text NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"kpis" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	"code_version" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "pipeline_runs_workflow_id_run_id_pk" PRIMARY KEY("workflow_id","run_id"),
	CONSTRAINT "pipeline_runs_status_check" CHECK ("pipeline_runs"."status" in ('running', 'completed', 'degraded', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "scenes" (
	"id" text PRIMARY KEY NOT NULL,
	"collection" text NOT NULL,
	"tile" text NOT NULL,
	"acquired_at" timestamp with time zone NOT NULL,
	"cloud_cover" real,
	"processing_baseline" text,
	"datatake" text,
	"harmonisation" jsonb NOT NULL,
	"offset_suspect" boolean DEFAULT false NOT NULL,
	"assets" jsonb NOT NULL,
	"datalake_keys" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'found' NOT NULL,
	"status_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scenes_status_check" CHECK ("scenes"."status" in ('found', 'downloaded', 'masked', 'processed', 'skipped', 'superseded', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "parcel_weekly" ADD CONSTRAINT "parcel_weekly_parcel_id_parcels_id_fk" FOREIGN KEY ("parcel_id") REFERENCES "public"."parcels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "parcels" ADD CONSTRAINT "parcels_group_id_parcel_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."parcel_groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "parcel_groups_tile_number_key" ON "parcel_groups" USING btree ("tile","group_number");--> statement-breakpoint
CREATE INDEX "parcel_groups_bbox_idx" ON "parcel_groups" USING gist ("bbox");--> statement-breakpoint
CREATE INDEX "parcel_weekly_week_idx" ON "parcel_weekly" USING btree ("week_start");--> statement-breakpoint
CREATE UNIQUE INDEX "parcels_source_external_id_key" ON "parcels" USING btree ("source","external_id");--> statement-breakpoint
CREATE INDEX "parcels_geom_idx" ON "parcels" USING gist ("geom");--> statement-breakpoint
CREATE INDEX "parcels_group_idx" ON "parcels" USING btree ("group_id");--> statement-breakpoint
CREATE INDEX "parcels_tile_idx" ON "parcels" USING btree ("primary_tile");--> statement-breakpoint
CREATE INDEX "parcels_watched_idx" ON "parcels" USING btree ("group_id") WHERE "parcels"."watched";--> statement-breakpoint
CREATE INDEX "parcels_owner_idx" ON "parcels" USING btree ("owner_team");--> statement-breakpoint
CREATE INDEX "pipeline_runs_started_idx" ON "pipeline_runs" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "scenes_tile_acquired_idx" ON "scenes" USING btree ("tile","acquired_at");