/**
 * parcelwatch's own metrics, through the OpenTelemetry API only: names under `parcelwatch.`,
 * units as UCUM (`By`, `1`, `{scene}`), attributes from the semantic conventions where one fits.
 * Without a registered SDK the instruments are no-ops.
 */
import { type Counter, type Histogram, type MeterProvider, metrics } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE } from './spans';

export const METRICS = {
  scenesFound: 'parcelwatch.scenes.found',
  scenesProcessed: 'parcelwatch.scenes.processed',
  scenesFailed: 'parcelwatch.scenes.failed',
  scenesSkipped: 'parcelwatch.scenes.skipped',
  parcelsComputed: 'parcelwatch.parcels.computed',
  observations: 'parcelwatch.observations',
  validFraction: 'parcelwatch.observation.valid_fraction',
  bytesRead: 'parcelwatch.bytes.read',
  bytesWritten: 'parcelwatch.bytes.written',
  activityFailures: 'parcelwatch.activity.failures',
} as const;

/** Attribute names of our metrics and spans. */
export const ATTRIBUTES = {
  /** `provider` (the imagery provider's COGs) or `datalake` (our own rasters). */
  store: 'parcelwatch.io.store',
  index: 'parcelwatch.index',
  observationStatus: 'parcelwatch.observation.status',
  activityType: 'temporal.activity.type',
  errorType: 'error.type',
} as const;

/** Tenths: enough to see a cloudy week shift the distribution; the first bucket holds exact zeros. */
export const VALID_FRACTION_BUCKETS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export type IoStore = 'provider' | 'datalake';

interface Instruments {
  scenesFound: Counter;
  scenesProcessed: Counter;
  scenesFailed: Counter;
  scenesSkipped: Counter;
  parcelsComputed: Counter;
  observations: Counter;
  validFraction: Histogram;
  bytesRead: Counter;
  bytesWritten: Counter;
  activityFailures: Counter;
}

// The metrics API has no proxy provider: instruments made before an SDK is registered stay no-ops,
// so they are (re)made whenever the global provider changes.
let cached: { provider: MeterProvider; instruments: Instruments } | undefined;

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE);
  const made: Instruments = {
    scenesFound: meter.createCounter(METRICS.scenesFound, {
      unit: '{scene}',
      description: 'Scenes a STAC search found for a parcel group (one per scene and group)',
    }),
    scenesProcessed: meter.createCounter(METRICS.scenesProcessed, {
      unit: '{scene}',
      description: 'Scenes computed for a parcel group (one per scene and group)',
    }),
    scenesFailed: meter.createCounter(METRICS.scenesFailed, {
      unit: '{scene}',
      description: 'Scenes that failed for a parcel group on bad data (one per scene and group)',
    }),
    scenesSkipped: meter.createCounter(METRICS.scenesSkipped, {
      unit: '{scene}',
      description:
        'Items left out for a parcel group: a missing asset, an unknown CRS, a superseded duplicate',
    }),
    parcelsComputed: meter.createCounter(METRICS.parcelsComputed, {
      unit: '{parcel}',
      description: 'Parcel statistics computed on a scene (one per parcel and scene, all indices)',
    }),
    observations: meter.createCounter(METRICS.observations, {
      unit: '{observation}',
      description: 'Observations written to the database, by index and status (ok, cloudy, nodata)',
    }),
    validFraction: meter.createHistogram(METRICS.validFraction, {
      unit: '1',
      description: 'Valid-pixel fraction of the observations written, by index',
      advice: { explicitBucketBoundaries: VALID_FRACTION_BUCKETS },
    }),
    bytesRead: meter.createCounter(METRICS.bytesRead, {
      unit: 'By',
      description: 'Bytes read from the provider or the datalake',
    }),
    bytesWritten: meter.createCounter(METRICS.bytesWritten, {
      unit: 'By',
      description: 'Bytes written to the datalake',
    }),
    activityFailures: meter.createCounter(METRICS.activityFailures, {
      unit: '{failure}',
      description: 'Failed activity attempts, by activity type and error type',
    }),
  };
  cached = { provider, instruments: made };
  return made;
}

export function countScenesFound(count: number): void {
  if (count > 0) instruments().scenesFound.add(count);
}

export function countScenesSkipped(count: number): void {
  if (count > 0) instruments().scenesSkipped.add(count);
}

/** The end of one scene for one group, as `recordSceneOutcome` stores it. */
export function countSceneOutcome(status: 'computed' | 'failed' | 'skipped'): void {
  const meters = instruments();
  const counter =
    status === 'computed'
      ? meters.scenesProcessed
      : status === 'failed'
        ? meters.scenesFailed
        : meters.scenesSkipped;
  counter.add(1);
}

export function countParcelsComputed(count: number): void {
  if (count > 0) instruments().parcelsComputed.add(count);
}

/** Observations as written: one count per index and status, and each valid fraction. */
export function countObservations(
  rows: Iterable<{ index: string; status: string; validFraction: number }>,
): void {
  const meters = instruments();
  const counts = new Map<string, { index: string; status: string; n: number }>();
  for (const row of rows) {
    const key = `${row.index}\u0000${row.status}`;
    const entry = counts.get(key) ?? { index: row.index, status: row.status, n: 0 };
    entry.n++;
    counts.set(key, entry);
    meters.validFraction.record(row.validFraction, { [ATTRIBUTES.index]: row.index });
  }
  for (const { index, status, n } of counts.values()) {
    meters.observations.add(n, {
      [ATTRIBUTES.index]: index,
      [ATTRIBUTES.observationStatus]: status,
    });
  }
}

export function countBytesRead(bytes: number, store: IoStore): void {
  if (bytes > 0) instruments().bytesRead.add(bytes, { [ATTRIBUTES.store]: store });
}

export function countBytesWritten(bytes: number, store: IoStore): void {
  if (bytes > 0) instruments().bytesWritten.add(bytes, { [ATTRIBUTES.store]: store });
}

export function countActivityFailure(activityType: string, errorType: string): void {
  instruments().activityFailures.add(1, {
    [ATTRIBUTES.activityType]: activityType,
    [ATTRIBUTES.errorType]: errorType,
  });
}
