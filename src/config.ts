import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_KPI_THRESHOLDS, type KpiThresholds } from './core/kpis';
import { DEFAULT_COLLECTION, EARTH_SEARCH_V1_URL } from './core/stac/client';
import { Env, type EnvRecord } from './env';
import {
  DEFAULT_ENVIRONMENT,
  ENVIRONMENTS,
  type EnvironmentDefaults,
  type EnvironmentName,
  environmentDefaults,
  isEnvironmentName,
} from './environment';

/**
 * The one typed configuration of parcelwatch, read from environment variables and validated once
 * at start-up. Defaults run the local demo; dev, staging and prod differ only by these values.
 */
export interface Config {
  /** PARCELWATCH_ENV: the environment's label, and the preset of the defaults below (src/environment.ts). */
  environment: EnvironmentName;
  /** Folder for local state: embedded database, Temporal dev-server file, datalake, logs. */
  home: string;
  database: DatabaseConfig;
  temporal: TemporalConfig;
  stac: StacConfig;
  datalake: DatalakeConfig;
  science: ScienceConfig;
  pipeline: PipelineConfig;
  quality: QualityConfig;
  retention: RetentionConfig;
  api: ApiConfig;
  devStack: DevStackConfig;
}

/** The HTTP API (`parcelwatch api serve`). */
export interface ApiConfig {
  /** Interface to listen on; 0.0.0.0 to accept connections from other machines (containers). */
  host: string;
  port: number;
  /** Largest request body accepted, in bytes (413 beyond). */
  bodyLimitBytes: number;
  /** Sustained requests per minute allowed per API key (token bucket refill). */
  rateLimitPerMinute: number;
  /** Requests a key may make at once before the sustained rate applies (bucket size). */
  rateLimitBurst: number;
}

/** How long the purge keeps things, counted from the acquisition (see `parcelwatch purge`). */
export interface RetentionConfig {
  /** Days to keep raw rasters (clipped provider COGs) in the datalake. */
  rawDays: number;
  /** Days to keep clean rasters (masked, harmonised) in the datalake. */
  cleanDays: number;
  /** Days to keep observations in the database (older ones are archived, then deleted). */
  observationsDays: number;
  /**
   * Days personal data of a parcel (holder name, contact; `parcel_personal_data`) is kept after the
   * last import that carried it; the purge erases it past that.
   */
  personalDays: number;
  /** Id of the purge's Temporal schedule. */
  scheduleId: string;
  /** When the purge schedule runs (cron, UTC). */
  scheduleCron: string;
}

export interface QualityConfig {
  /** Below any of these a run ends `degraded` and raises an alert. */
  thresholds: KpiThresholds;
  /** Webhook receiving alerts (Slack/Teams-compatible JSON with a `text` field); alerts are always logged. */
  alertWebhookUrl: string | undefined;
}

export interface DatabaseConfig {
  url: string;
  /** True when DATABASE_URL was unset and the embedded PGlite server of the dev stack is meant. */
  embedded: boolean;
  /** Schema holding every parcelwatch table; one per environment on a shared server. */
  schema: string;
  poolMax: number;
}

export interface TemporalConfig {
  /** host:port of the Temporal frontend (TEMPORAL_ADDRESS). */
  address: string;
  namespace: string;
  /** TLS and API key follow `@temporalio/envconfig` (TEMPORAL_TLS*, TEMPORAL_API_KEY); the client reads them. */
  apiKeySet: boolean;
  taskQueues: { io: string; cpu: string };
}

export interface StacConfig {
  url: string;
  collection: string;
  /** Scenes above this cloud cover (percent) are not searched for. */
  maxCloudCover: number;
}

export type DatalakeConfig =
  | { kind: 'file'; url: string; root: string }
  | {
      kind: 's3';
      url: string;
      bucket: string;
      prefix: string;
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
    };

export interface ScienceConfig {
  indices: string[];
  /** Inward buffer applied to parcels before selecting pixels, in metres. */
  bufferMetres: number;
  /** Valid fraction at or above which an observation is `ok`. */
  okThreshold: number;
  /** SCL classes counted as clear. */
  validSclClasses: number[];
}

export interface PipelineConfig {
  /** Most parcels in one parcel group. */
  groupMaxParcels: number;
  /** Most parcels in one computeIndices call. */
  computeChunkParcels: number;
  /** Most processGroup child workflows running at once in a weekly run. */
  maxConcurrentGroups: number;
  /** Weeks before a run's week whose acquisitions are searched again (late scenes, newly watched parcels). */
  lookbackWeeks: number;
  /** Id of the weekly Temporal schedule. */
  scheduleId: string;
  /** When the weekly schedule runs (cron, UTC). */
  scheduleCron: string;
}

export interface DevStackConfig {
  temporalPort: number;
  temporalUiPort: number;
  embeddedPgPort: number;
  stacPort: number;
}

/** Ports of the local dev stack; 54329 keeps clear of a system PostgreSQL on 5432. */
export const DEFAULT_DEV_PORTS: DevStackConfig = {
  temporalPort: 7233,
  temporalUiPort: 8233,
  embeddedPgPort: 54329,
  stacPort: 8740,
};
/** Port of the HTTP API; next to the dev stack's local STAC API (8740). */
export const DEFAULT_API_PORT = 8750;
/** Vegetation, not vegetated, water, unclassified: the SCL classes of clear ground. */
export const DEFAULT_VALID_SCL = [4, 5, 6, 7];
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function loadConfig(env: EnvRecord = process.env, cwd = process.cwd()): Config {
  return readConfig(new Env(env), cwd);
}

/**
 * Every environment variable parcelwatch reads itself (the Temporal TLS/API-key variables of
 * `@temporalio/envconfig`, `AWS_*` credentials and `OTEL_*` are read by their libraries).
 */
export function configVariables(): string[] {
  const e = new Env({ DATALAKE_URL: 's3://bucket' });
  readConfig(e, '/');
  return [...e.names].sort();
}

function readConfig(e: Env, cwd: string): Config {
  const environment = readEnvironment(e);
  const preset = environmentDefaults(environment);
  const home = path.resolve(cwd, e.string('PARCELWATCH_HOME', '.parcelwatch'));
  const devStack = readDevStack(e);

  const databaseUrlSet = e.raw('DATABASE_URL') !== undefined;
  const database: DatabaseConfig = {
    url: e.url(
      'DATABASE_URL',
      `postgres://postgres@127.0.0.1:${devStack.embeddedPgPort}/postgres`,
      ['postgres', 'postgresql'],
      'set DATABASE_URL to a PostgreSQL 15+ with PostGIS 3, e.g. postgres://user:pass@host:5432/db',
    ),
    embedded: !databaseUrlSet,
    schema: e.string('PARCELWATCH_DB_SCHEMA', preset.schema),
    poolMax: e.integer('PARCELWATCH_DB_POOL_MAX', 10, { min: 1, max: 200 }),
  };
  if (!SCHEMA_NAME.test(database.schema)) {
    e.problem(
      `PARCELWATCH_DB_SCHEMA=${database.schema} is not a valid schema name; use lower-case letters, digits and _ (max 63)`,
    );
  } else if (database.schema === 'public') {
    e.problem(
      'PARCELWATCH_DB_SCHEMA=public is refused: parcelwatch keeps its tables in a schema of its own',
    );
  }

  const temporal: TemporalConfig = {
    address: e.string('TEMPORAL_ADDRESS', `127.0.0.1:${devStack.temporalPort}`),
    namespace: e.string('TEMPORAL_NAMESPACE', preset.namespace),
    apiKeySet: e.raw('TEMPORAL_API_KEY') !== undefined,
    taskQueues: {
      io: e.string('PARCELWATCH_TASK_QUEUE_IO', preset.taskQueues.io),
      cpu: e.string('PARCELWATCH_TASK_QUEUE_CPU', preset.taskQueues.cpu),
    },
  };
  if (!/^[^\s:/]+:\d{1,5}$/.test(temporal.address)) {
    e.problem(`TEMPORAL_ADDRESS=${temporal.address} is not host:port, e.g. 127.0.0.1:7233`);
  }

  const stac: StacConfig = {
    url: e.url(
      'STAC_API_URL',
      EARTH_SEARCH_V1_URL,
      ['http', 'https'],
      'the STAC API root, e.g. an Earth Search v1 URL',
    ),
    collection: e.string('STAC_COLLECTION', DEFAULT_COLLECTION),
    maxCloudCover: e.number('PARCELWATCH_MAX_CLOUD_COVER', 80, { min: 0, max: 100 }),
  };

  const science: ScienceConfig = {
    indices: e.list('PARCELWATCH_INDICES', ['ndvi', 'ndmi']).map((i) => i.toLowerCase()),
    bufferMetres: e.number('PARCELWATCH_BUFFER_M', 5, { min: 0, max: 100 }),
    okThreshold: e.number('PARCELWATCH_OK_THRESHOLD', 0.5, { min: 0, max: 1 }),
    validSclClasses: e
      .list('PARCELWATCH_VALID_SCL', DEFAULT_VALID_SCL.map(String), (item) =>
        /^(\d|1[01])$/.test(item) ? undefined : `"${item}" is not an SCL class (0–11)`,
      )
      .map(Number),
  };

  const pipeline: PipelineConfig = {
    groupMaxParcels: e.integer('PARCELWATCH_GROUP_MAX_PARCELS', 5000, { min: 1, max: 1_000_000 }),
    computeChunkParcels: e.integer('PARCELWATCH_COMPUTE_CHUNK_PARCELS', 5000, {
      min: 1,
      max: 1_000_000,
    }),
    maxConcurrentGroups: e.integer('PARCELWATCH_MAX_CONCURRENT_GROUPS', 4, { min: 1, max: 1000 }),
    lookbackWeeks: e.integer('PARCELWATCH_LOOKBACK_WEEKS', 2, { min: 0, max: 52 }),
    scheduleId: e.string('PARCELWATCH_SCHEDULE_ID', preset.scheduleId),
    scheduleCron: e.string('PARCELWATCH_SCHEDULE_CRON', '0 3 * * MON'),
  };

  const quality: QualityConfig = {
    thresholds: {
      minObservedShare: e.number(
        'PARCELWATCH_KPI_MIN_OBSERVED_SHARE',
        DEFAULT_KPI_THRESHOLDS.minObservedShare,
        { min: 0, max: 1 },
      ),
      minOkShare: e.number('PARCELWATCH_KPI_MIN_OK_SHARE', DEFAULT_KPI_THRESHOLDS.minOkShare, {
        min: 0,
        max: 1,
      }),
      minMeanValidFraction: e.number(
        'PARCELWATCH_KPI_MIN_MEAN_VALID_FRACTION',
        DEFAULT_KPI_THRESHOLDS.minMeanValidFraction,
        { min: 0, max: 1 },
      ),
      maxFailedActivities: e.integer(
        'PARCELWATCH_KPI_MAX_FAILED_ACTIVITIES',
        DEFAULT_KPI_THRESHOLDS.maxFailedActivities,
        { min: 0, max: 1_000_000 },
      ),
    },
    alertWebhookUrl:
      e.raw('PARCELWATCH_ALERT_WEBHOOK_URL') === undefined
        ? undefined
        : e.url(
            'PARCELWATCH_ALERT_WEBHOOK_URL',
            '',
            ['http', 'https'],
            'a webhook URL (Slack, Teams, or any JSON receiver)',
          ),
  };

  const retention: RetentionConfig = {
    // The provider keeps the originals: a month covers late re-runs and the look-back weeks.
    rawDays: e.integer('PARCELWATCH_RETENTION_RAW_DAYS', 30, { min: 1, max: 36_500 }),
    // A season: indices added mid-season are computed without masking again.
    cleanDays: e.integer('PARCELWATCH_RETENTION_CLEAN_DAYS', 90, { min: 1, max: 36_500 }),
    // Three years: this season next to the two before it; older rows live on in the archive.
    observationsDays: e.integer('PARCELWATCH_RETENTION_OBSERVATIONS_DAYS', 1095, {
      min: 1,
      max: 36_500,
    }),
    // Two years: registers are re-imported every season; data missing from two of them is stale.
    personalDays: e.integer('PARCELWATCH_RETENTION_PERSONAL_DAYS', 730, { min: 1, max: 36_500 }),
    scheduleId: e.string('PARCELWATCH_PURGE_SCHEDULE_ID', preset.purgeScheduleId),
    // Sunday, away from the Monday weekly run.
    scheduleCron: e.string('PARCELWATCH_PURGE_SCHEDULE_CRON', '0 4 * * SUN'),
  };

  const api: ApiConfig = {
    // Local only unless asked: the API serves data, exposing it is a decision.
    host: e.string('PARCELWATCH_API_HOST', '127.0.0.1'),
    port: e.integer('PARCELWATCH_API_PORT', DEFAULT_API_PORT, { min: 1, max: 65535 }),
    // 1 MiB: a watch request of 10 000 ids is ~100 KB; nothing else sends a body.
    bodyLimitBytes: e.integer('PARCELWATCH_API_BODY_LIMIT', 1_048_576, { min: 1024, max: 1 << 30 }),
    // 10 per second sustained: a map panning and a script paging comfortably, a runaway loop not.
    rateLimitPerMinute: e.integer('PARCELWATCH_API_RATE_LIMIT', 600, { min: 1, max: 1_000_000 }),
    // A page load fires a few dozen requests at once.
    rateLimitBurst: e.integer('PARCELWATCH_API_RATE_BURST', 60, { min: 1, max: 1_000_000 }),
  };

  const datalake = readDatalake(e, home, cwd, preset);
  e.assertValid();
  return {
    environment,
    home,
    database,
    temporal,
    stac,
    datalake,
    science,
    pipeline,
    quality,
    retention,
    api,
    devStack,
  };
}

function readDevStack(e: Env): DevStackConfig {
  const port = (name: string, fallback: number) =>
    e.integer(name, fallback, { min: 1, max: 65535 });
  return {
    temporalPort: port('PARCELWATCH_TEMPORAL_PORT', DEFAULT_DEV_PORTS.temporalPort),
    temporalUiPort: port('PARCELWATCH_TEMPORAL_UI_PORT', DEFAULT_DEV_PORTS.temporalUiPort),
    embeddedPgPort: port('PARCELWATCH_PG_PORT', DEFAULT_DEV_PORTS.embeddedPgPort),
    stacPort: port('PARCELWATCH_STAC_PORT', DEFAULT_DEV_PORTS.stacPort),
  };
}

function readEnvironment(e: Env): EnvironmentName {
  const given = e.string('PARCELWATCH_ENV', DEFAULT_ENVIRONMENT).toLowerCase();
  if (isEnvironmentName(given)) return given;
  e.problem(
    `PARCELWATCH_ENV=${given} is not an environment; use one of ${ENVIRONMENTS.join(', ')}`,
  );
  return DEFAULT_ENVIRONMENT;
}

function readDatalake(
  e: Env,
  home: string,
  cwd: string,
  preset: EnvironmentDefaults,
): DatalakeConfig {
  const raw = e.raw('DATALAKE_URL');
  const hint = 'use file:///absolute/folder, a plain folder path, or s3://bucket/prefix';
  if (raw === undefined || !/^[a-z][a-z0-9+.-]*:/i.test(raw)) {
    const root =
      raw === undefined ? path.join(home, preset.datalakeFolder) : path.resolve(cwd, raw);
    return { kind: 'file', url: pathToFileURL(root).href, root };
  }
  const url = e.url('DATALAKE_URL', raw, ['file', 's3'], hint);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'file', url, root: home };
  }
  if (parsed.protocol !== 's3:' && parsed.protocol !== 'file:')
    return { kind: 'file', url, root: home };
  if (parsed.protocol === 's3:') {
    if (!parsed.hostname) e.problem(`DATALAKE_URL=${raw} names no bucket; ${hint}`);
    return {
      kind: 's3',
      url,
      bucket: parsed.hostname,
      prefix: parsed.pathname.replace(/^\/+|\/+$/g, ''),
      endpoint:
        e.optionalString('S3_ENDPOINT') ??
        e.optionalString('AWS_ENDPOINT_URL_S3') ??
        e.optionalString('AWS_ENDPOINT_URL'),
      region: e.string('AWS_REGION', e.string('AWS_DEFAULT_REGION', 'us-east-1')),
      forcePathStyle: e.boolean('S3_FORCE_PATH_STYLE', e.raw('S3_ENDPOINT') !== undefined),
    };
  }
  if (parsed.host) e.problem(`DATALAKE_URL=${raw} has a host; ${hint}`);
  return { kind: 'file', url, root: decodeURIComponent(parsed.pathname) };
}
