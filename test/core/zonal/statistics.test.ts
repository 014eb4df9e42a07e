import assert from 'node:assert/strict';
import { quantileSorted, statisticsInPlace } from '../../../src/core/zonal/statistics';
import { observationStatus } from '../../../src/core/zonal/status';

describe('parcel statistics', () => {
  it('interpolates quantiles between closest ranks like numpy.percentile (type 7)', () => {
    // numpy.percentile([1, 2, 3, 4], [10, 50, 90]) → [1.3, 2.5, 3.7]
    const sorted = [1, 2, 3, 4];
    assert.ok(Math.abs(quantileSorted(sorted, 0.1) - 1.3) < 1e-12);
    assert.equal(quantileSorted(sorted, 0.5), 2.5);
    assert.ok(Math.abs(quantileSorted(sorted, 0.9) - 3.7) < 1e-12);
    // numpy.percentile([7], 10) → 7; numpy.percentile([0.2, 0.9], 90) → 0.83
    assert.equal(quantileSorted([7], 0.1), 7);
    assert.ok(Math.abs(quantileSorted([0.2, 0.9], 0.9) - 0.83) < 1e-12);
  });

  it('uses the population standard deviation (divide by n) and sorts in place', () => {
    const values = new Float64Array([0.8, 0.2, 0.4, 0.6]);
    const stats = statisticsInPlace(values)!;
    assert.deepEqual([...values], [0.2, 0.4, 0.6, 0.8]);
    assert.ok(Math.abs(stats.mean - 0.5) < 1e-15);
    // population variance of {0.2, 0.4, 0.6, 0.8} = 0.05 (sample variance would be 0.0667)
    assert.ok(Math.abs(stats.std - Math.sqrt(0.05)) < 1e-15);
    assert.equal(stats.min, 0.2);
    assert.equal(stats.max, 0.8);
    assert.ok(Math.abs(stats.median - 0.5) < 1e-15);
  });

  it('gives no statistic without a valid pixel', () => {
    assert.equal(statisticsInPlace(new Float64Array(0)), null);
  });
});

describe('observation status', () => {
  it('is nodata when no pixel holds data, whatever the threshold', () => {
    assert.equal(observationStatus({ total: 40, withData: 0, valid: 0 }, 0), 'nodata');
  });

  it('is ok from the threshold on, cloudy below it', () => {
    assert.equal(observationStatus({ total: 10, withData: 10, valid: 5 }, 0.5), 'ok');
    assert.equal(observationStatus({ total: 10, withData: 10, valid: 4 }, 0.5), 'cloudy');
    // Pixels beyond the footprint count in the total: 5 valid of 12 is below half.
    assert.equal(observationStatus({ total: 12, withData: 6, valid: 5 }, 0.5), 'cloudy');
  });

  it('needs at least one valid pixel to be ok, even with a zero threshold', () => {
    assert.equal(observationStatus({ total: 10, withData: 10, valid: 0 }, 0), 'cloudy');
    assert.equal(observationStatus({ total: 10, withData: 10, valid: 1 }, 0), 'ok');
  });
});
