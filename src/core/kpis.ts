/**
 * Data-quality KPIs of a run and the thresholds that decide whether it is trusted. A run below a
 * threshold ends `degraded` (its data is kept, but someone should look); thresholds are
 * configurable because what is normal depends on region and season (clouds are weather, not a fault).
 */
export interface RunKpis {
  /** Scenes the searches found (after dedupe) and scenes whose observations were computed. */
  scenesFound: number;
  scenesUsed: number;
  scenesFailed: number;
  /** Watched parcels of the run's groups, and those with at least one observation in the window. */
  parcelsExpected: number;
  parcelsObserved: number;
  /** Share of watched parcels with at least one `ok` observation in the window (null: no parcel). */
  okShare: number | null;
  /** Mean valid fraction of the window's observations (null: none). */
  meanValidFraction: number | null;
  /** Activities that failed for good (failed scenes, failed groups). */
  failedActivities: number;
  bytesDownloaded: number;
}

export interface KpiThresholds {
  /** Least share of watched parcels with any observation in the window. */
  minObservedShare: number;
  /** Least share of watched parcels with an `ok` observation. */
  minOkShare: number;
  /** Least mean valid fraction. */
  minMeanValidFraction: number;
  /** Most activities failed for good. */
  maxFailedActivities: number;
}

/** Defaults: a run is degraded when a fifth of its parcels got nothing, or anything failed for good. */
export const DEFAULT_KPI_THRESHOLDS: KpiThresholds = {
  minObservedShare: 0.8,
  minOkShare: 0,
  minMeanValidFraction: 0,
  maxFailedActivities: 0,
};

export interface KpiVerdict {
  status: 'completed' | 'degraded';
  /** One sentence per threshold missed, naming the KPI, its value and the threshold. */
  breaches: string[];
}

export function evaluateKpis(kpis: RunKpis, thresholds: KpiThresholds): KpiVerdict {
  const breaches: string[] = [];
  const share = (n: number, d: number) => (d === 0 ? null : n / d);
  const pct = (v: number) => `${Math.round(v * 1000) / 10} %`;
  const observed = share(kpis.parcelsObserved, kpis.parcelsExpected);
  if (observed !== null && observed < thresholds.minObservedShare) {
    breaches.push(
      `${kpis.parcelsObserved} of ${kpis.parcelsExpected} watched parcels (${pct(observed)}) got an observation, below the ${pct(thresholds.minObservedShare)} threshold (PARCELWATCH_KPI_MIN_OBSERVED_SHARE)`,
    );
  }
  if (kpis.okShare !== null && kpis.okShare < thresholds.minOkShare) {
    breaches.push(
      `${pct(kpis.okShare)} of watched parcels have an ok observation, below ${pct(thresholds.minOkShare)} (PARCELWATCH_KPI_MIN_OK_SHARE)`,
    );
  }
  if (kpis.meanValidFraction !== null && kpis.meanValidFraction < thresholds.minMeanValidFraction) {
    breaches.push(
      `mean valid fraction ${kpis.meanValidFraction.toFixed(3)} is below ${thresholds.minMeanValidFraction} (PARCELWATCH_KPI_MIN_MEAN_VALID_FRACTION)`,
    );
  }
  if (kpis.failedActivities > thresholds.maxFailedActivities) {
    breaches.push(
      `${kpis.failedActivities} activities failed for good (${kpis.scenesFailed} scenes), more than ${thresholds.maxFailedActivities} (PARCELWATCH_KPI_MAX_FAILED_ACTIVITIES)`,
    );
  }
  return { status: breaches.length ? 'degraded' : 'completed', breaches };
}
