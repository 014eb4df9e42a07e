/** Example bodies of the OpenAPI document; the test suite validates each against its schema. */

const square = [
  [
    [
      [15.0, 45.0],
      [15.0013, 45.0],
      [15.0013, 45.0009],
      [15.0, 45.0009],
      [15.0, 45.0],
    ],
  ],
];

const parcelExample = {
  id: 42,
  source: 'lpis-2024',
  externalId: 'FR-123',
  name: null,
  crop: 'maize',
  ownerTeam: 'team-a',
  watched: true,
  areaM2: 10012.5,
  primaryTile: '33TWL',
  groupId: 3,
  geometryRepaired: false,
  attributes: { farm: 'Les Ormes' },
  bbox: [15.0, 45.0, 15.0013, 45.0009],
  createdAt: '2024-05-02T08:00:00.000Z',
  updatedAt: '2024-05-02T08:00:00.000Z',
};

const observationExample = {
  index: 'ndvi',
  acquiredAt: '2024-05-14T10:06:52.848Z',
  sceneId: 'S2B_33TWL_20240514_0_L2A',
  mean: 0.61,
  median: 0.62,
  std: 0.04,
  min: 0.5,
  max: 0.7,
  p10: 0.56,
  p90: 0.66,
  validPixels: 96,
  totalPixels: 100,
  validFraction: 0.96,
  status: 'ok',
  flags: [],
  algorithmVersion: 'engine-1',
  runId: 'weekly-2024-W20',
  computedAt: '2024-05-20T03:12:00.000Z',
};

const datasetExample = {
  name: 'ndvi',
  kind: 'observations',
  ownerTeam: 'team-a',
  description:
    'Per-parcel NDVI statistics per Sentinel-2 acquisition (parcel_observations, index ndvi)',
  location: "parcel_observations (index_name = 'ndvi')",
  retention: {
    days: 1095,
    source: 'PARCELWATCH_RETENTION_OBSERVATIONS_DAYS',
    enforced: true,
    note: 'the purge archives observations acquired more than 1095 days ago to the observations archive, then deletes them',
  },
  kpis: [
    {
      name: 'minObservedShare',
      bound: 'min',
      threshold: 0.8,
      source: 'PARCELWATCH_KPI_MIN_OBSERVED_SHARE',
      configured: 0.8,
      measures: "share of the latest weekly run's watched parcels with an observation",
    },
    {
      name: 'minOkShare',
      bound: 'min',
      threshold: 0,
      source: 'PARCELWATCH_KPI_MIN_OK_SHARE',
      configured: 0,
      measures: "share of the latest weekly run's watched parcels with an ok observation",
    },
  ],
  createdAt: '2024-03-01T09:00:00.000Z',
  updatedAt: '2024-03-01T09:00:00.000Z',
};

export const EXAMPLES = {
  parcel: parcelExample,
  parcelDetail: { ...parcelExample, geometry: { type: 'MultiPolygon', coordinates: square } },
  parcelPage: { items: [parcelExample], nextCursor: 'WzQyXQ' },
  parcelFeatures: {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        id: 42,
        geometry: { type: 'MultiPolygon', coordinates: square },
        properties: parcelExample,
      },
    ],
    nextCursor: null,
  },
  observationPage: { parcelId: 42, items: [observationExample], nextCursor: null },
  weeklySeries: {
    parcelId: 42,
    items: [
      {
        index: 'ndvi',
        week: '2024-W20',
        weekStart: '2024-05-13',
        value: 0.61,
        observationCount: 1,
        status: 'observed',
        runId: 'weekly-2024-W20',
      },
      {
        index: 'ndvi',
        week: '2024-W21',
        weekStart: '2024-05-20',
        value: 0.64,
        observationCount: 0,
        status: 'interpolated',
        runId: 'weekly-2024-W21',
      },
    ],
  },
  latest: {
    type: 'FeatureCollection',
    index: 'ndvi',
    features: [
      {
        type: 'Feature',
        id: 42,
        geometry: { type: 'MultiPolygon', coordinates: square },
        properties: {
          parcelId: 42,
          source: 'lpis-2024',
          externalId: 'FR-123',
          crop: 'maize',
          watched: true,
          index: 'ndvi',
          value: 0.61,
          acquiredAt: '2024-05-14T10:06:52.848Z',
        },
      },
    ],
  },
  run: {
    workflowId: 'weekly-2024-W20',
    runId: '5f2c0e8e-2b1d-4a53-9c39-5a1d3e0f7a11',
    kind: 'weekly',
    window: { start: '2024-05-13T00:00:00.000Z', end: '2024-05-20T00:00:00.000Z' },
    trigger: 'schedule',
    triggeredBy: 'parcelwatch-weekly',
    status: 'completed',
    counts: { groups: 4, scenes: 6 },
    kpis: { parcelsExpected: 300, parcelsObserved: 298, okShare: 0.93 },
    error: null,
    codeVersion: '0.1.0+3f9a1c2b7d11',
    startedAt: '2024-05-20T03:00:00.000Z',
    finishedAt: '2024-05-20T03:14:10.000Z',
  },
  health: { status: 'ok', version: '0.1.0+3f9a1c2b7d11', database: 'ok' },
  watchResult: { watched: true, changed: 2 },
  dataset: datasetExample,
  datasetDetail: {
    ...datasetExample,
    rows: {
      total: 41_220,
      byStatus: { ok: 30_115, cloudy: 9_870, nodata: 1_235 },
      parcels: 300,
      first: '2024-03-04T10:06:52.848Z',
      last: '2024-05-14T10:06:52.848Z',
    },
    quality: {
      source: {
        kind: 'run',
        id: 'weekly-2024-W20',
        runId: '5f2c0e8e-2b1d-4a53-9c39-5a1d3e0f7a11',
        status: 'completed',
        at: '2024-05-20T03:14:10.000Z',
      },
      kpis: [
        { name: 'minObservedShare', value: 0.9933, threshold: 0.8, met: true },
        { name: 'minOkShare', value: 0.93, threshold: 0, met: true },
      ],
    },
  },
};
