CREATE TABLE "scene_groups" (
	"scene_id" text NOT NULL,
	"group_id" bigint NOT NULL,
	"raw_keys" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"clean_keys" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"algorithm_version" text,
	"observations" integer DEFAULT 0 NOT NULL,
	"run_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scene_groups_scene_id_group_id_pk" PRIMARY KEY("scene_id","group_id"),
	CONSTRAINT "scene_groups_status_check" CHECK ("scene_groups"."status" in ('downloaded', 'masked', 'computed', 'failed', 'skipped'))
);
--> statement-breakpoint
ALTER TABLE "parcel_groups" ADD COLUMN "cell" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "scene_groups" ADD CONSTRAINT "scene_groups_scene_id_scenes_id_fk" FOREIGN KEY ("scene_id") REFERENCES "public"."scenes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scene_groups" ADD CONSTRAINT "scene_groups_group_id_parcel_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."parcel_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scene_groups_group_idx" ON "scene_groups" USING btree ("group_id");