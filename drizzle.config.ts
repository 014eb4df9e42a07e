import { defineConfig } from 'drizzle-kit';

// Generates SQL migrations from db/schema.ts. parcel_observations is partitioned by time, which
// drizzle-kit cannot express, so it is defined in db/observations.ts (not listed here) and its DDL
// is hand-written (db/migrations/0001_*.sql).
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
});
