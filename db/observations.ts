import { sql } from 'drizzle-orm';
import {
  bigint,
  doublePrecision,
  integer,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/**
 * Per-parcel statistics of one index on one acquisition. Partitioned by `acquired_at` (monthly,
 * or a TimescaleDB hypertable); created by the migration `0001_observations_roles.sql`.
 */
export const parcelObservations = pgTable(
  'parcel_observations',
  {
    parcelId: bigint('parcel_id', { mode: 'number' }).notNull(),
    indexName: text('index_name').notNull(),
    acquiredAt: timestamp('acquired_at', { withTimezone: true, mode: 'string' }).notNull(),
    sceneId: text('scene_id').notNull(),
    mean: doublePrecision('mean'),
    median: doublePrecision('median'),
    std: doublePrecision('std'),
    min: doublePrecision('min'),
    max: doublePrecision('max'),
    p10: doublePrecision('p10'),
    p90: doublePrecision('p90'),
    validPixels: integer('valid_pixels').notNull(),
    totalPixels: integer('total_pixels').notNull(),
    validFraction: real('valid_fraction').notNull(),
    status: text('status').notNull(),
    flags: text('flags').array().notNull().default(sql`'{}'::text[]`),
    algorithmVersion: text('algorithm_version').notNull(),
    runId: text('run_id'),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.parcelId, t.indexName, t.acquiredAt] })],
);
