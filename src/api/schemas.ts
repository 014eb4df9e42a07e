import type { JsonSchema } from './route';

/**
 * The body schemas of the API, each a named component of the OpenAPI document (the generator
 * replaces every use of one of these objects by a `$ref`); their examples are in examples.ts.
 */

const string: JsonSchema = { type: 'string' };
const nullableString: JsonSchema = { type: ['string', 'null'] };
const nullableNumber: JsonSchema = { type: ['number', 'null'] };
const instant: JsonSchema = { type: 'string', format: 'date-time' };
const id: JsonSchema = { type: 'integer', minimum: 1 };
const cursor: JsonSchema = {
  type: ['string', 'null'],
  description: 'Pass as `cursor` to get the next page; null on the last page',
};

const oneOf = (...values: string[]): JsonSchema => ({ type: 'string', enum: values });
const constant = (value: string): JsonSchema => ({ type: 'string', const: value });

/** An object holding exactly these properties, all required but the `optional` ones. */
function object(
  properties: Record<string, JsonSchema>,
  description?: string,
  optional: string[] = [],
): JsonSchema {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    additionalProperties: false,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    properties,
  };
}

export const ErrorBody = object(
  {
    error: {
      type: 'string',
      description:
        'Stable code: invalid_request, unauthorized, forbidden, not_found, payload_too_large, rate_limited, internal, unavailable',
    },
    message: { type: 'string', description: 'What is wrong and what to do' },
    details: {
      description: 'The parameters at fault, or other facts',
      anyOf: [
        {
          type: 'array',
          items: object({
            in: oneOf('query', 'path', 'body', 'header'),
            name: string,
            problem: string,
          }),
        },
        { type: 'object' },
      ],
    },
  },
  'An error',
  ['details'],
);

export const MultiPolygon: JsonSchema = {
  type: 'object',
  description: 'GeoJSON MultiPolygon, WGS 84 longitude/latitude',
  additionalProperties: false,
  required: ['type', 'coordinates'],
  properties: {
    type: constant('MultiPolygon'),
    coordinates: {
      type: 'array',
      items: {
        type: 'array',
        items: {
          type: 'array',
          items: { type: 'array', minItems: 2, maxItems: 3, items: { type: 'number' } },
        },
      },
    },
  },
};

const parcelProperties: Record<string, JsonSchema> = {
  id,
  source: string,
  externalId: string,
  name: nullableString,
  crop: nullableString,
  ownerTeam: string,
  watched: { type: 'boolean' },
  areaM2: { type: 'number', description: 'Geodesic area in square metres' },
  primaryTile: nullableString,
  groupId: { type: ['integer', 'null'] },
  geometryRepaired: { type: 'boolean' },
  attributes: {
    type: 'object',
    additionalProperties: true,
    description: 'Attributes of the source file, as given',
  },
  bbox: {
    type: 'array',
    minItems: 4,
    maxItems: 4,
    items: { type: 'number' },
    description: '[minLon, minLat, maxLon, maxLat]',
  },
  createdAt: instant,
  updatedAt: instant,
};

export const Parcel = object(parcelProperties, 'A parcel');
export const ParcelDetail = object(
  { ...parcelProperties, geometry: MultiPolygon },
  'A parcel with its geometry',
);
export const ParcelPage = object({ items: { type: 'array', items: Parcel }, nextCursor: cursor });

export const ParcelFeature = object({
  type: constant('Feature'),
  id,
  geometry: MultiPolygon,
  properties: Parcel,
});
export const ParcelFeatureCollection = object({
  type: constant('FeatureCollection'),
  features: { type: 'array', items: ParcelFeature },
  nextCursor: cursor,
});

export const Observation = object(
  {
    index: string,
    acquiredAt: instant,
    sceneId: string,
    mean: nullableNumber,
    median: nullableNumber,
    std: nullableNumber,
    min: nullableNumber,
    max: nullableNumber,
    p10: nullableNumber,
    p90: nullableNumber,
    validPixels: { type: 'integer', minimum: 0 },
    totalPixels: { type: 'integer', minimum: 0 },
    validFraction: { type: 'number', minimum: 0, maximum: 1 },
    status: oneOf('ok', 'cloudy', 'nodata'),
    flags: { type: 'array', items: string },
    algorithmVersion: string,
    runId: nullableString,
    computedAt: instant,
  },
  'Statistics of one index over one parcel on one acquisition',
);
export const ObservationPage = object({
  parcelId: id,
  items: { type: 'array', items: Observation },
  nextCursor: cursor,
});

export const WeeklyValue = object(
  {
    index: string,
    week: { type: 'string', pattern: '^\\d{4}-W\\d{2}$' },
    weekStart: { type: 'string', format: 'date', description: 'Monday of the ISO week' },
    value: nullableNumber,
    observationCount: { type: 'integer', minimum: 0 },
    status: oneOf('observed', 'interpolated', 'nodata'),
    runId: nullableString,
  },
  'One week of the series: observed, interpolated, or without data',
);
export const WeeklySeries = object({ parcelId: id, items: { type: 'array', items: WeeklyValue } });

export const LatestFeature = object({
  type: constant('Feature'),
  id,
  geometry: MultiPolygon,
  properties: object({
    parcelId: id,
    source: string,
    externalId: string,
    crop: nullableString,
    watched: { type: 'boolean' },
    index: string,
    value: { ...nullableNumber, description: 'Mean of the latest ok observation; null when none' },
    acquiredAt: { type: ['string', 'null'], format: 'date-time' },
  }),
});
export const LatestFeatureCollection = object({
  type: constant('FeatureCollection'),
  index: string,
  features: { type: 'array', items: LatestFeature },
});

export const Run = object(
  {
    workflowId: string,
    runId: string,
    kind: string,
    window: {
      anyOf: [object({ start: instant, end: instant }), { type: 'null' }],
    },
    trigger: string,
    triggeredBy: nullableString,
    status: oneOf('running', 'completed', 'degraded', 'failed', 'cancelled'),
    counts: { type: 'object', additionalProperties: { type: 'number' } },
    kpis: { type: 'object', additionalProperties: true },
    error: nullableString,
    codeVersion: nullableString,
    startedAt: instant,
    finishedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  'A pipeline run with its KPIs',
);
export const RunList = object({ items: { type: 'array', items: Run } });

export const Health = object({
  status: oneOf('ok', 'unavailable'),
  version: string,
  database: oneOf('ok', 'unreachable'),
});

export const WatchResult = object({
  watched: { type: 'boolean', description: 'The state the parcels were put in' },
  changed: { type: 'integer', minimum: 0, description: 'Parcels whose state changed' },
});

const kpiName = oneOf(
  'minObservedShare',
  'minOkShare',
  'minMeanValidFraction',
  'maxFailedActivities',
);

export const DatasetKpi = object(
  {
    name: kpiName,
    bound: oneOf('min', 'max'),
    threshold: { type: 'number', description: "The dataset's own target, else the configured one" },
    source: {
      type: 'string',
      description: '`dataset`, or the environment variable of the configured threshold',
    },
    configured: { type: 'number', description: 'The configured threshold, which judges runs' },
    measures: string,
  },
  'A quality KPI of a dataset and its threshold',
);

export const Dataset = object(
  {
    name: string,
    kind: oneOf('observations', 'weekly', 'archive'),
    ownerTeam: string,
    description: string,
    location: { type: 'string', description: 'Table (and filter) or datalake prefix' },
    retention: object({
      days: { type: ['integer', 'null'], description: 'Null: kept, nothing deletes it' },
      source: nullableString,
      enforced: { type: 'boolean', description: 'Whether the purge applies it' },
      note: string,
    }),
    kpis: { type: 'array', items: DatasetKpi },
    createdAt: instant,
    updatedAt: instant,
  },
  'A published dataset of the catalog',
);
export const DatasetList = object({ items: { type: 'array', items: Dataset } });

export const DatasetDetail = object(
  {
    ...(Dataset.properties as Record<string, JsonSchema>),
    rows: object({
      total: { type: 'integer', minimum: 0 },
      byStatus: { type: 'object', additionalProperties: { type: 'integer' } },
      parcels: { type: ['integer', 'null'] },
      first: { type: ['string', 'null'], format: 'date-time' },
      last: { type: ['string', 'null'], format: 'date-time' },
    }),
    quality: object({
      source: {
        anyOf: [
          object({
            kind: oneOf('run', 'week'),
            id: { type: 'string', description: 'Workflow id of the run, or the week start' },
            runId: nullableString,
            status: nullableString,
            at: { type: ['string', 'null'], format: 'date-time' },
          }),
          { type: 'null' },
        ],
      },
      kpis: {
        type: 'array',
        items: object({
          name: kpiName,
          value: nullableNumber,
          threshold: { type: 'number' },
          met: { type: ['boolean', 'null'] },
        }),
      },
    }),
  },
  'A dataset with its row counts and live KPIs',
);

/** Every named schema, by component name. */
export const COMPONENTS: Record<string, JsonSchema> = {
  Error: ErrorBody,
  MultiPolygon,
  Parcel,
  ParcelDetail,
  ParcelPage,
  ParcelFeature,
  ParcelFeatureCollection,
  Observation,
  ObservationPage,
  WeeklyValue,
  WeeklySeries,
  LatestFeature,
  LatestFeatureCollection,
  Run,
  RunList,
  Dataset,
  DatasetKpi,
  DatasetList,
  DatasetDetail,
  Health,
  WatchResult,
};
