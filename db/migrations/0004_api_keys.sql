CREATE TABLE "api_keys" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"team" text NOT NULL,
	"scopes" text[] NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_scopes_check" CHECK ("api_keys"."scopes" <@ array['read', 'write']::text[] and cardinality("api_keys"."scopes") > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys" USING btree ("prefix");
--> statement-breakpoint
-- Hand-written: analysts (the reader role) have no business with API keys, not even their hashes;
-- the writer role (the API server, the CLI) keeps what default privileges gave it.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON TABLE api_keys FROM %I', current_schema() || '_reader');
END
$$;
