import assert from 'node:assert/strict';
import { indexSeries, timeExtent, unusableAcquisitions } from '../../../src/api/web/series.js';

type Status = 'observed' | 'interpolated' | 'nodata';
const DAY_MS = 86_400_000;

function week(index: string, weekStart: string, status: Status, value: number | null, count = 0) {
  const monday = new Date(`${weekStart}T00:00:00Z`);
  // ISO week number of a Monday: count Thursdays from the year's first Thursday.
  const thursday = new Date(monday.getTime() + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const n = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS));
  const label = `${year}-W${String(n).padStart(2, '0')}`;
  return { index, week: label, weekStart, value, observationCount: count, status };
}

describe('web page chart series', () => {
  describe('indexSeries', () => {
    const items = [
      week('ndvi', '2024-03-04', 'observed', 0.31, 2),
      week('ndvi', '2024-03-11', 'interpolated', 0.35),
      week('ndvi', '2024-03-18', 'observed', 0.39, 1),
      week('ndvi', '2024-03-25', 'nodata', null),
      week('ndvi', '2024-04-01', 'observed', 0.5, 1),
      week('ndvi', '2024-04-08', 'interpolated', 0.55),
      week('ndvi', '2024-04-22', 'observed', 0.6, 1), // 2024-04-15 is missing from the list
      week('ndmi', '2024-03-04', 'observed', 0.1, 1),
    ];

    it('splits the weekly values of one index into observed and interpolated points', () => {
      const s = indexSeries(items, 'ndvi');
      assert.equal(s.index, 'ndvi');
      assert.deepEqual(
        s.observed.map((p: { week: string; value: number }) => [p.week, p.value]),
        [
          ['2024-W10', 0.31],
          ['2024-W12', 0.39],
          ['2024-W14', 0.5],
          ['2024-W17', 0.6],
        ],
      );
      assert.deepEqual(
        s.interpolated.map((p: { week: string; value: number }) => [p.week, p.value]),
        [
          ['2024-W11', 0.35],
          ['2024-W15', 0.55],
        ],
      );
      assert.equal(s.observed[0].observationCount, 2);
    });

    it('places each weekly value in the middle of its week (Thursday noon, UTC)', () => {
      const s = indexSeries(items, 'ndvi');
      assert.equal(new Date(s.observed[0].time).toISOString(), '2024-03-07T12:00:00.000Z');
    });

    it('breaks the line at nodata weeks and at missing weeks', () => {
      const s = indexSeries(items, 'ndvi');
      assert.deepEqual(
        s.stretches.map((stretch: Array<{ week: string }>) => stretch.map((p) => p.week)),
        [['2024-W10', '2024-W11', '2024-W12'], ['2024-W14', '2024-W15'], ['2024-W17']],
      );
    });

    it('orders weeks by time whatever order the rows came in, and ignores other indices', () => {
      const s = indexSeries([...items].reverse(), 'ndmi');
      assert.deepEqual(
        s.observed.map((p: { week: string }) => p.week),
        ['2024-W10'],
      );
      assert.deepEqual(indexSeries(items, 'evi').stretches, []);
    });
  });

  describe('unusableAcquisitions', () => {
    const obs = (index: string, acquiredAt: string, status: 'ok' | 'cloudy' | 'nodata') => ({
      index,
      acquiredAt,
      status,
    });

    it('lists the acquisitions where a charted index has no ok value, oldest first', () => {
      const marks = unusableAcquisitions(
        [
          obs('ndvi', '2024-03-11T10:06:52.848Z', 'cloudy'),
          obs('ndmi', '2024-03-11T10:06:52.848Z', 'nodata'),
          obs('ndvi', '2024-03-01T10:06:52.848Z', 'nodata'),
          obs('ndmi', '2024-03-01T10:06:52.848Z', 'nodata'),
          obs('ndvi', '2024-03-06T10:06:52.848Z', 'ok'),
          obs('ndmi', '2024-03-06T10:06:52.848Z', 'ok'),
          obs('ndvi', '2024-03-16T10:06:52.848Z', 'ok'),
          obs('ndmi', '2024-03-16T10:06:52.848Z', 'cloudy'),
          obs('evi', '2024-03-21T10:06:52.848Z', 'cloudy'),
        ],
        ['ndvi', 'ndmi'],
      );
      assert.deepEqual(
        marks.map((m: { acquiredAt: string; status: string; indices: string[] }) => [
          m.acquiredAt,
          m.status,
          m.indices,
        ]),
        [
          ['2024-03-01T10:06:52.848Z', 'nodata', ['ndmi', 'ndvi']],
          ['2024-03-11T10:06:52.848Z', 'cloudy', ['ndmi', 'ndvi']],
          ['2024-03-16T10:06:52.848Z', 'cloudy', ['ndmi']],
        ],
      );
      assert.equal(marks[0].time, Date.UTC(2024, 2, 1, 10, 6, 52, 848));
    });

    it('is empty when every observation is ok', () => {
      assert.deepEqual(
        unusableAcquisitions([obs('ndvi', '2024-03-01T10:00:00Z', 'ok')], ['ndvi']),
        [],
      );
    });
  });

  describe('timeExtent', () => {
    it('spans every point and mark with half a week either side; null when empty', () => {
      const s = indexSeries([week('ndvi', '2024-03-04', 'observed', 0.3, 1)], 'ndvi');
      const late = {
        acquiredAt: '2024-04-01T00:00:00.000Z',
        time: Date.UTC(2024, 3, 1),
        status: 'cloudy' as const,
        indices: ['ndvi'],
      };
      const extent = timeExtent([s], [late]);
      assert.ok(extent);
      const [start, end] = extent;
      assert.equal(start, Date.UTC(2024, 2, 7, 12) - 3.5 * DAY_MS);
      assert.equal(end, Date.UTC(2024, 3, 1) + 3.5 * DAY_MS);
      assert.equal(timeExtent([indexSeries([], 'ndvi')], []), null);
    });
  });
});
