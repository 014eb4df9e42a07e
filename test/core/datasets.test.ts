import assert from 'node:assert/strict';
import { datasetKpis, datasetRetention, readKpis } from '../../src/core/datasets';
import { DEFAULT_KPI_THRESHOLDS, type KpiThresholds } from '../../src/core/kpis';

const CONFIGURED: KpiThresholds = {
  minObservedShare: 0.9,
  minOkShare: 0.4,
  minMeanValidFraction: 0.3,
  maxFailedActivities: 2,
};

describe('dataset catalog rules', () => {
  it('resolves a null threshold to the configured one, naming its environment variable', () => {
    const kpis = datasetKpis(
      'observations',
      { minOkShare: null, minObservedShare: null, maxFailedActivities: null },
      CONFIGURED,
    );
    assert.deepEqual(
      kpis.map((k) => [k.name, k.threshold, k.source, k.bound]),
      [
        ['minObservedShare', 0.9, 'PARCELWATCH_KPI_MIN_OBSERVED_SHARE', 'min'],
        ['minOkShare', 0.4, 'PARCELWATCH_KPI_MIN_OK_SHARE', 'min'],
        ['maxFailedActivities', 2, 'PARCELWATCH_KPI_MAX_FAILED_ACTIVITIES', 'max'],
      ],
      'configuration order, only the KPIs the dataset lists',
    );
  });

  it("keeps a dataset's own target beside the configured threshold, and ignores unknown names", () => {
    const [kpi, ...rest] = datasetKpis(
      'observations',
      { minOkShare: 0.75, somethingElse: 3 },
      CONFIGURED,
    );
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { threshold: kpi!.threshold, source: kpi!.source, configured: kpi!.configured },
      { threshold: 0.75, source: 'dataset', configured: 0.4 },
    );
  });

  it('describes what a KPI measures for the kind of dataset', () => {
    const [weekly] = datasetKpis('weekly', { minObservedShare: null }, DEFAULT_KPI_THRESHOLDS);
    assert.match(weekly!.measures, /latest week's rows that are observed/);
    const [run] = datasetKpis('observations', { minObservedShare: null }, DEFAULT_KPI_THRESHOLDS);
    assert.match(run!.measures, /latest weekly run's watched parcels with an observation/);
  });

  it('says whether a live value meets a minimum or a maximum, and nothing without a value', () => {
    const kpis = datasetKpis(
      'observations',
      { minObservedShare: null, minOkShare: null, maxFailedActivities: null },
      CONFIGURED,
    );
    const readings = readKpis(kpis, {
      minObservedShare: 0.9,
      minOkShare: 0.39,
      maxFailedActivities: 3,
    });
    assert.deepEqual(
      readings.map((r) => [r.name, r.value, r.met]),
      [
        ['minObservedShare', 0.9, true],
        ['minOkShare', 0.39, false],
        ['maxFailedActivities', 3, false],
      ],
    );
    assert.deepEqual(
      readKpis(kpis, {}).map((r) => r.met),
      [null, null, null],
    );
    assert.equal(
      readKpis(kpis, { maxFailedActivities: 2 })[2]!.met,
      true,
      'the maximum is allowed',
    );
  });

  it('gives observations their own retention or the configured default, enforced by the purge', () => {
    assert.deepEqual(datasetRetention('observations', null, { observationRetentionDays: 1095 }), {
      days: 1095,
      source: 'PARCELWATCH_RETENTION_OBSERVATIONS_DAYS',
      enforced: true,
      note: 'the purge archives observations acquired more than 1095 days ago to the observations archive, then deletes them',
    });
    const own = datasetRetention('observations', 400, { observationRetentionDays: 1095 });
    assert.deepEqual([own.days, own.source, own.enforced], [400, 'dataset', true]);
  });

  it('keeps the weekly table and the archive, and says a retention set on them is not enforced', () => {
    const weekly = datasetRetention('weekly', null, { observationRetentionDays: 1095 });
    assert.deepEqual([weekly.days, weekly.source, weekly.enforced], [null, null, false]);
    assert.match(weekly.note, /^kept: the purge never deletes weekly rows/);
    const archive = datasetRetention('archive', 30, { observationRetentionDays: 1095 });
    assert.deepEqual([archive.days, archive.enforced], [30, false]);
    assert.match(archive.note, /30 days is not enforced: the purge never deletes the archive/);
  });
});
