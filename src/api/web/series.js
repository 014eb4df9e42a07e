// @ts-check

/**
 * What the chart plots, from the API's weekly series and observations: per index, the weekly
 * points split into observed and interpolated ones, the stretches a line joins, and the
 * acquisitions that gave no usable value (cloudy or no data), which the chart marks on its axis.
 */

/**
 * @typedef {object} WeeklyValue as `GET /v1/parcels/{id}/weekly` gives it
 * @property {string} index
 * @property {string} week `YYYY-Www`
 * @property {string} weekStart Monday, `YYYY-MM-DD`
 * @property {number | null} value
 * @property {number} observationCount
 * @property {'observed' | 'interpolated' | 'nodata'} status
 */

/**
 * @typedef {object} Observation the fields of `GET /v1/parcels/{id}/observations` used here
 * @property {string} index
 * @property {string} acquiredAt
 * @property {'ok' | 'cloudy' | 'nodata'} status
 */

/**
 * @typedef {object} WeeklyPoint
 * @property {number} time middle of the week, ms since the epoch
 * @property {string} week
 * @property {string} weekStart
 * @property {number} value
 * @property {'observed' | 'interpolated'} status
 * @property {number} observationCount
 */

/**
 * @typedef {object} IndexSeries
 * @property {string} index
 * @property {WeeklyPoint[]} observed
 * @property {WeeklyPoint[]} interpolated
 * @property {WeeklyPoint[][]} stretches runs of consecutive weeks with a value, joined by a line
 */

/**
 * @typedef {object} UnusableAcquisition
 * @property {string} acquiredAt
 * @property {number} time ms since the epoch
 * @property {'cloudy' | 'nodata'} status `cloudy` when any index was cloudy, else `nodata`
 * @property {string[]} indices the indices without an ok value, sorted
 */

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** A weekly value stands for its whole week: it is plotted at the week's middle (Thursday noon). */
const MID_WEEK_MS = 3.5 * DAY_MS;

/**
 * One index's weekly series, ready to plot. `nodata` weeks have no point and break the line, as
 * does a missing week.
 * @param {readonly WeeklyValue[]} items
 * @param {string} index
 * @returns {IndexSeries}
 */
export function indexSeries(items, index) {
  const rows = items
    .filter((r) => r.index === index)
    .sort((a, b) => Date.parse(a.weekStart) - Date.parse(b.weekStart));
  /** @type {IndexSeries} */
  const series = { index, observed: [], interpolated: [], stretches: [] };
  /** @type {WeeklyPoint[]} */
  let stretch = [];
  let previousStart = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const start = Date.parse(`${row.weekStart}T00:00:00Z`);
    if (row.status === 'nodata' || row.value === null || start - previousStart > WEEK_MS) {
      if (stretch.length) series.stretches.push(stretch);
      stretch = [];
    }
    previousStart = start;
    if (row.status === 'nodata' || row.value === null) continue;
    /** @type {WeeklyPoint} */
    const point = {
      time: start + MID_WEEK_MS,
      week: row.week,
      weekStart: row.weekStart,
      value: row.value,
      status: row.status,
      observationCount: row.observationCount,
    };
    series[row.status].push(point);
    stretch.push(point);
  }
  if (stretch.length) series.stretches.push(stretch);
  return series;
}

/**
 * Acquisitions of the given indices where at least one index has no ok value, oldest first.
 * @param {readonly Observation[]} observations
 * @param {readonly string[]} indices
 * @returns {UnusableAcquisition[]}
 */
export function unusableAcquisitions(observations, indices) {
  /** @type {Map<number, { acquiredAt: string, statuses: Map<string, string> }>} */
  const byTime = new Map();
  for (const o of observations) {
    if (!indices.includes(o.index) || o.status === 'ok') continue;
    const time = Date.parse(o.acquiredAt);
    const entry = byTime.get(time) ?? { acquiredAt: o.acquiredAt, statuses: new Map() };
    entry.statuses.set(o.index, o.status);
    byTime.set(time, entry);
  }
  return [...byTime.entries()]
    .sort(([a], [b]) => a - b)
    .map(([time, { acquiredAt, statuses }]) => ({
      acquiredAt,
      time,
      status: [...statuses.values()].includes('cloudy') ? 'cloudy' : 'nodata',
      indices: [...statuses.keys()].sort(),
    }));
}

/**
 * The time span the chart covers: every point and marker, half a week of margin either side.
 * @param {readonly IndexSeries[]} series
 * @param {readonly UnusableAcquisition[]} unusable
 * @returns {[number, number] | null} null when there is nothing to plot
 */
export function timeExtent(series, unusable) {
  const times = [
    ...series.flatMap((s) => [...s.observed, ...s.interpolated].map((p) => p.time)),
    ...unusable.map((u) => u.time),
  ];
  if (!times.length) return null;
  return [Math.min(...times) - WEEK_MS / 2, Math.max(...times) + WEEK_MS / 2];
}
