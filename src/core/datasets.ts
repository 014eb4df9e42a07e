import type { KpiThresholds } from './kpis';

/**
 * The dataset catalog's rules, free of the database: which quality KPIs measure a dataset, what
 * their thresholds resolve to (the dataset's own target, else the configured PARCELWATCH_KPI_*),
 * whether a live value meets them, and how long a dataset is kept. Governance reads from here so the
 * CLI and the API say the same thing.
 */

/** What a published dataset is, which decides where it lives and how it is kept. */
export type DatasetKind = 'observations' | 'weekly' | 'archive';

/** A threshold name (the key of `datasets.kpi_thresholds`, same as the configuration's). */
export type DatasetKpiName = keyof KpiThresholds;

interface KpiDefinition {
  /** `min`: the value must reach the threshold; `max`: it must not exceed it. */
  bound: 'min' | 'max';
  /** The environment variable of the configured threshold. */
  variable: string;
  /** What the value measures, for a dataset of each kind it applies to. */
  measures: Partial<Record<DatasetKind, string>>;
}

/** Every KPI a dataset can be measured by, in report order. */
export const DATASET_KPIS: Readonly<Record<DatasetKpiName, KpiDefinition>> = {
  minObservedShare: {
    bound: 'min',
    variable: 'PARCELWATCH_KPI_MIN_OBSERVED_SHARE',
    measures: {
      observations: "share of the latest weekly run's watched parcels with an observation",
      weekly: "share of the latest week's rows that are observed (not interpolated or nodata)",
    },
  },
  minOkShare: {
    bound: 'min',
    variable: 'PARCELWATCH_KPI_MIN_OK_SHARE',
    measures: {
      observations: "share of the latest weekly run's watched parcels with an ok observation",
    },
  },
  minMeanValidFraction: {
    bound: 'min',
    variable: 'PARCELWATCH_KPI_MIN_MEAN_VALID_FRACTION',
    measures: { observations: "mean valid fraction of the latest weekly run's observations" },
  },
  maxFailedActivities: {
    bound: 'max',
    variable: 'PARCELWATCH_KPI_MAX_FAILED_ACTIVITIES',
    measures: { observations: 'activities of the latest weekly run that failed for good' },
  },
};

const KPI_ORDER = Object.keys(DATASET_KPIS) as DatasetKpiName[];

/** What the catalog resolves against: the configured thresholds and default retention. */
export interface CatalogPolicy {
  thresholds: KpiThresholds;
  /** PARCELWATCH_RETENTION_OBSERVATIONS_DAYS. */
  observationRetentionDays: number;
}

/** A KPI of a dataset with the threshold that applies to it. */
export interface DatasetKpi {
  name: DatasetKpiName;
  bound: 'min' | 'max';
  /** The dataset's own target when it sets one, else the configured threshold. */
  threshold: number;
  /** `dataset` (its own target) or the environment variable of the configured threshold. */
  source: string;
  /** The configured threshold, which decides whether runs end `degraded`. */
  configured: number;
  measures: string;
}

/**
 * The KPIs a dataset lists (`kpi_thresholds` keys; unknown names are ignored, so an old row
 * never breaks the catalog), each with its threshold: the dataset's number, else the configured one.
 */
export function datasetKpis(
  kind: DatasetKind,
  stored: Readonly<Record<string, unknown>>,
  configured: KpiThresholds,
): DatasetKpi[] {
  return KPI_ORDER.filter((name) => name in stored).map((name) => {
    const own = stored[name];
    const definition = DATASET_KPIS[name];
    const isOwn = typeof own === 'number' && Number.isFinite(own);
    return {
      name,
      bound: definition.bound,
      threshold: isOwn ? own : configured[name],
      source: isOwn ? 'dataset' : definition.variable,
      configured: configured[name],
      measures: definition.measures[kind] ?? definition.measures.observations ?? name,
    };
  });
}

/** A KPI's live value against its threshold (`met` null when there is no value). */
export interface KpiReading {
  name: DatasetKpiName;
  value: number | null;
  threshold: number;
  met: boolean | null;
}

/** Each KPI with its live value (from `values`, keyed by threshold name) and whether it is met. */
export function readKpis(
  kpis: readonly DatasetKpi[],
  values: Partial<Record<DatasetKpiName, number | null>>,
): KpiReading[] {
  return kpis.map((kpi) => {
    const value = values[kpi.name] ?? null;
    const met =
      value === null ? null : kpi.bound === 'min' ? value >= kpi.threshold : value <= kpi.threshold;
    return { name: kpi.name, value, threshold: kpi.threshold, met };
  });
}

/** How long a dataset is kept, and by what. */
export interface DatasetRetention {
  /** Days kept after acquisition; null when nothing deletes it. */
  days: number | null;
  /** `dataset` (its own retention_days), the environment variable of the default, or null. */
  source: string | null;
  /** Whether the purge applies it. */
  enforced: boolean;
  note: string;
}

/**
 * The retention of a dataset. Observations: their own `retention_days`, else the configured
 * default, applied by the purge (archived to the observations archive first). The weekly table and
 * the archive are never purged; a retention_days set on them is reported as not enforced.
 */
export function datasetRetention(
  kind: DatasetKind,
  retentionDays: number | null,
  policy: Pick<CatalogPolicy, 'observationRetentionDays'>,
): DatasetRetention {
  if (kind === 'observations') {
    const own = retentionDays !== null;
    const days = retentionDays ?? policy.observationRetentionDays;
    return {
      days,
      source: own ? 'dataset' : 'PARCELWATCH_RETENTION_OBSERVATIONS_DAYS',
      enforced: true,
      note: `the purge archives observations acquired more than ${days} days ago to the observations archive, then deletes them`,
    };
  }
  const what = kind === 'weekly' ? 'weekly rows' : 'the archive';
  if (retentionDays === null) {
    return {
      days: null,
      source: null,
      enforced: false,
      note: `kept: the purge never deletes ${what}`,
    };
  }
  return {
    days: retentionDays,
    source: 'dataset',
    enforced: false,
    note: `${retentionDays} days is not enforced: the purge never deletes ${what}`,
  };
}
