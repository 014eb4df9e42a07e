import assert from 'node:assert/strict';
import {
  linearScale,
  monthTicks,
  niceStep,
  tickDecimals,
  valueAxis,
} from '../../../src/api/web/chart-scale.js';

describe('web page chart scales', () => {
  it('maps a domain linearly onto a pixel range, reversed ranges included', () => {
    const y = linearScale([0, 1], [250, 50]);
    assert.equal(y(0), 250);
    assert.equal(y(1), 50);
    assert.equal(y(0.25), 200);
    assert.equal(linearScale([5, 5], [0, 100])(5), 50, 'a one-value domain maps to the middle');
  });

  it('picks steps of 1, 2 or 5 × 10ⁿ', () => {
    assert.equal(niceStep(0, 1, 5), 0.2);
    assert.equal(niceStep(0, 1, 10), 0.1);
    assert.equal(niceStep(-0.13, 0.87, 4), 0.5);
    assert.equal(niceStep(0, 300, 6), 50);
  });

  it('widens the value axis to whole steps around the values, ticks without float noise', () => {
    const axis = valueAxis([0.12, 0.77], 5);
    assert.deepEqual(axis.domain, [0, 0.8]);
    assert.deepEqual(axis.ticks, [0, 0.2, 0.4, 0.6, 0.8]);
    const negative = valueAxis([-0.07, 0.31], 5);
    assert.deepEqual(negative.ticks, [-0.1, 0, 0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual(valueAxis([0.5]).domain, [0.4, 0.6], 'one value gets ±0.1');
  });

  it('shows as many decimals as the tick step needs', () => {
    assert.equal(tickDecimals([0, 0.2, 0.4]), 1);
    assert.equal(tickDecimals([0, 0.1]), 1);
    assert.equal(tickDecimals([0.4, 0.45, 0.5]), 2);
    assert.equal(tickDecimals([0, 5, 10]), 0);
  });

  it('ticks the first of every month in the span, naming the year on the first and on January', () => {
    const ticks = monthTicks(Date.UTC(2023, 10, 20), Date.UTC(2024, 2, 1));
    assert.deepEqual(
      ticks.map((t: { time: number; label: string }) => [new Date(t.time).toISOString(), t.label]),
      [
        ['2023-12-01T00:00:00.000Z', 'Dec 2023'],
        ['2024-01-01T00:00:00.000Z', 'Jan 2024'],
        ['2024-02-01T00:00:00.000Z', 'Feb'],
        ['2024-03-01T00:00:00.000Z', 'Mar'],
      ],
    );
  });

  it('ticks every 3, 6 or 12 months over longer spans so the axis is not crowded', () => {
    const quarters = monthTicks(Date.UTC(2023, 1, 10), Date.UTC(2024, 11, 31));
    assert.deepEqual(
      quarters.map((t: { label: string }) => t.label),
      ['Apr 2023', 'Jul', 'Oct', 'Jan 2024', 'Apr', 'Jul', 'Oct'],
    );
    const halves = monthTicks(Date.UTC(2018, 5, 1), Date.UTC(2024, 0, 1));
    assert.deepEqual(
      halves.map((t: { label: string }) => t.label),
      [
        'Jul 2018',
        'Jan 2019',
        'Jul',
        'Jan 2020',
        'Jul',
        'Jan 2021',
        'Jul',
        'Jan 2022',
        'Jul',
      ].concat(['Jan 2023', 'Jul', 'Jan 2024']),
    );
    const years = monthTicks(Date.UTC(2014, 5, 1), Date.UTC(2024, 0, 1));
    assert.deepEqual(
      years.map((t: { label: string }) => t.label),
      Array.from({ length: 10 }, (_, i) => `Jan ${2015 + i}`),
    );
  });
});
