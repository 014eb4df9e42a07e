/**
 * The parcelwatch data model (drizzle-orm). Tables carry no schema name: every connection sets
 * `search_path` to the configured schema (default `parcelwatch`), so one model serves every
 * environment. `parcel_observations` is partitioned by time, which drizzle-kit cannot express:
 * it lives in `observations.ts`, outside drizzle-kit's view, with hand-written DDL.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** A PostGIS geometry column; values travel as GeoJSON or EWKB through SQL functions. */
const geometry = (name: string, type: 'MultiPolygon' | 'Polygon', srid = 4326) =>
  customType<{ data: string; driverData: string }>({
    dataType: () => `geometry(${type},${srid})`,
  })(name);

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

/** Spatially contiguous parcels of one Sentinel-2 tile, at most N per group: the unit of work. */
export const parcelGroups = pgTable(
  'parcel_groups',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tile: text('tile').notNull(),
    groupNumber: integer('group_number').notNull(),
    /** Quadtree cell of the tile this group covers, e.g. `0312` (empty string: the whole tile). */
    cell: text('cell').notNull().default(''),
    bbox: geometry('bbox', 'Polygon'),
    parcelCount: integer('parcel_count').notNull().default(0),
    watchedCount: integer('watched_count').notNull().default(0),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('parcel_groups_tile_number_key').on(t.tile, t.groupNumber),
    index('parcel_groups_bbox_idx').using('gist', t.bbox),
  ],
);

export const parcels = pgTable(
  'parcels',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Where the parcel came from (an import name); external ids are unique per source. */
    source: text('source').notNull().default('default'),
    externalId: text('external_id').notNull(),
    name: text('name'),
    ownerTeam: text('owner_team').notNull().default('team-a'),
    crop: text('crop'),
    geom: geometry('geom', 'MultiPolygon').notNull(),
    areaM2: doublePrecision('area_m2').notNull(),
    primaryTile: text('primary_tile'),
    groupId: bigint('group_id', { mode: 'number' }).references(() => parcelGroups.id, {
      onDelete: 'set null',
    }),
    watched: boolean('watched').notNull().default(false),
    geometryRepaired: boolean('geometry_repaired').notNull().default(false),
    /** Other attributes of the source file, kept as given. */
    attributes: jsonb('attributes').notNull().default({}),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('parcels_source_external_id_key').on(t.source, t.externalId),
    index('parcels_geom_idx').using('gist', t.geom),
    index('parcels_group_idx').on(t.groupId),
    index('parcels_tile_idx').on(t.primaryTile),
    index('parcels_watched_idx').on(t.groupId).where(sql`${t.watched}`),
    index('parcels_owner_idx').on(t.ownerTeam),
  ],
);

export const scenes = pgTable(
  'scenes',
  {
    /** STAC item id, e.g. S2B_33TWL_20230820_0_L2A. */
    id: text('id').primaryKey(),
    collection: text('collection').notNull(),
    tile: text('tile').notNull(),
    acquiredAt: timestamp('acquired_at', { withTimezone: true }).notNull(),
    cloudCover: real('cloud_cover'),
    processingBaseline: text('processing_baseline'),
    datatake: text('datatake'),
    /** How DN became reflectance for this scene, and what the item said (lineage). */
    harmonisation: jsonb('harmonisation').notNull(),
    offsetSuspect: boolean('offset_suspect').notNull().default(false),
    /** Band id → source href. */
    assets: jsonb('assets').notNull(),
    /** The parsed scene (bands with scale, offset, nodata; CRS; platform): what the activities read. */
    scene: jsonb('scene'),
    /** Datalake keys of the clipped raw and clean rasters, per parcel group. */
    datalakeKeys: jsonb('datalake_keys').notNull().default({}),
    status: text('status').notNull().default('found'),
    statusReason: text('status_reason'),
    ...timestamps,
  },
  (t) => [
    index('scenes_tile_acquired_idx').on(t.tile, t.acquiredAt),
    check(
      'scenes_status_check',
      sql`${t.status} in ('found', 'downloaded', 'masked', 'processed', 'skipped', 'superseded', 'failed')`,
    ),
  ],
);

/**
 * What the pipeline did with one scene for one parcel group: the clipped raw and clean rasters in the
 * datalake, and how far it got. The business key (scene, group) makes every step idempotent.
 */
export const sceneGroups = pgTable(
  'scene_groups',
  {
    sceneId: text('scene_id')
      .notNull()
      .references(() => scenes.id, { onDelete: 'cascade' }),
    groupId: bigint('group_id', { mode: 'number' })
      .notNull()
      .references(() => parcelGroups.id, { onDelete: 'cascade' }),
    /** Band id → datalake key of the clipped provider raster. */
    rawKeys: jsonb('raw_keys').notNull().default({}),
    /** Band id → datalake key of the harmonised, resampled, masked raster. */
    cleanKeys: jsonb('clean_keys').notNull().default({}),
    status: text('status').notNull(),
    reason: text('reason'),
    algorithmVersion: text('algorithm_version'),
    observations: integer('observations').notNull().default(0),
    runId: text('run_id'),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.sceneId, t.groupId] }),
    index('scene_groups_group_idx').on(t.groupId),
    check(
      'scene_groups_status_check',
      sql`${t.status} in ('downloaded', 'masked', 'computed', 'failed', 'skipped')`,
    ),
  ],
);

/** One row per parcel × index × ISO week: the ready-to-use series, gaps filled and flagged. */
export const parcelWeekly = pgTable(
  'parcel_weekly',
  {
    parcelId: bigint('parcel_id', { mode: 'number' })
      .notNull()
      .references(() => parcels.id, { onDelete: 'cascade' }),
    indexName: text('index_name').notNull(),
    /** Monday of the ISO week. */
    weekStart: date('week_start', { mode: 'string' }).notNull(),
    value: doublePrecision('value'),
    observationCount: integer('observation_count').notNull().default(0),
    status: text('status').notNull(),
    runId: text('run_id'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.parcelId, t.indexName, t.weekStart] }),
    index('parcel_weekly_week_idx').on(t.weekStart),
    check('parcel_weekly_status_check', sql`${t.status} in ('observed', 'interpolated', 'nodata')`),
  ],
);

export const pipelineRuns = pgTable(
  'pipeline_runs',
  {
    workflowId: text('workflow_id').notNull(),
    runId: text('run_id').notNull(),
    /** weekly, group, backfill, purge, check. */
    kind: text('kind').notNull(),
    windowStart: timestamp('window_start', { withTimezone: true }),
    windowEnd: timestamp('window_end', { withTimezone: true }),
    /** schedule, manual, backfill, canary. */
    trigger: text('trigger').notNull(),
    triggeredBy: text('triggered_by'),
    status: text('status').notNull(),
    counts: jsonb('counts').notNull().default({}),
    kpis: jsonb('kpis').notNull().default({}),
    error: text('error'),
    codeVersion: text('code_version'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.workflowId, t.runId] }),
    index('pipeline_runs_started_idx').on(t.startedAt),
    check(
      'pipeline_runs_status_check',
      sql`${t.status} in ('running', 'completed', 'degraded', 'failed', 'cancelled')`,
    ),
  ],
);

/** Each published dataset with its owner and retention (governance). */
/**
 * The dataset catalog. Hand-written migrations add to it (drizzle-kit does not know them): `kind` and
 * `location` with their checks and the seeded datasets (0006_datasets_lineage); access policies,
 * `audit_log`, `team_roles`, `team_grants` (0005_access_audit) and personal data (0007_privacy) are
 * hand-written tables, like parcel_observations.
 */
export const datasets = pgTable('datasets', {
  name: text('name').primaryKey(),
  ownerTeam: text('owner_team').notNull(),
  description: text('description').notNull(),
  retentionDays: integer('retention_days'),
  kpiThresholds: jsonb('kpi_thresholds').notNull().default({}),
  ...timestamps,
});

/**
 * Keys of the HTTP API. A key is `pw_<prefix>_<secret>`: the prefix (public, unique) finds the row,
 * the SHA-256 of the whole key proves it. Plain SHA-256 suffices because the secret is 256 random
 * bits (a slow KDF protects low-entropy passwords, and would cost every request tens of ms of CPU).
 * The key itself is shown once, at creation, and never stored. Keys belong to a team (row-level
 * security by team builds on it).
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    name: text('name').notNull(),
    team: text('team').notNull(),
    /** `read` (GET data), `write` (change parcels). */
    scopes: text('scopes').array().notNull(),
    /** Public part of the key, shown in lists and logs to tell keys apart. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key, hex. */
    keyHash: text('key_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_keys_prefix_key').on(t.prefix),
    check(
      'api_keys_scopes_check',
      sql`${t.scopes} <@ array['read', 'write']::text[] and cardinality(${t.scopes}) > 0`,
    ),
  ],
);
