// @ts-check

/**
 * Scales and axis ticks of the time-series chart: linear maps from data to pixels, "nice" value
 * ticks (steps of 1, 2 or 5 × 10ⁿ) and month ticks on the time axis. No DOM here.
 */

/** @typedef {(x: number) => number} Scale */

/**
 * The linear map taking `domain` onto `range` (either may be reversed).
 * @param {readonly [number, number]} domain
 * @param {readonly [number, number]} range
 * @returns {Scale}
 */
export function linearScale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  // A zero-width domain (one value) maps to the middle rather than dividing by zero.
  if (span === 0) return () => (r0 + r1) / 2;
  return (x) => r0 + ((x - d0) / span) * (r1 - r0);
}

/**
 * A step of 1, 2 or 5 × 10ⁿ giving about `count` intervals over [min, max].
 * @param {number} min
 * @param {number} max
 * @param {number} count
 */
export function niceStep(min, max, count) {
  const raw = (max - min) / Math.max(1, count);
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * The value axis: [min, max] widened to whole steps around the values (a single value gets a
 * span of ±0.1, an index's natural resolution) and the ticks at each step.
 * @param {readonly number[]} values
 * @param {number} [count] about how many intervals
 * @returns {{ domain: [number, number], ticks: number[] }}
 */
export function valueAxis(values, count = 5) {
  let [min, max] = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
  if (min === max) [min, max] = [min - 0.1, max + 0.1];
  const step = niceStep(min, max, count);
  const low = Math.floor(min / step) * step;
  const high = Math.ceil(max / step) * step;
  /** @type {number[]} */
  const ticks = [];
  // Ticks are computed from integers so 0.1 steps do not accumulate 0.30000000000000004.
  for (let k = Math.round(low / step); k <= Math.round(high / step); k++) {
    ticks.push(Number((k * step).toPrecision(12)));
  }
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

/**
 * Decimals that tell value ticks apart: steps of 0.1 need 1, of 0.05 need 2, of 5 need none.
 * @param {readonly number[]} ticks
 */
export function tickDecimals(ticks) {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  // The epsilon absorbs float error in the log10 of a power of ten.
  return Math.max(0, Math.min(6, Math.ceil(-Math.log10(step) - 1e-9)));
}

/**
 * Month ticks (first instant, UTC) in [start, end]: every month, or every 3, 6 or 12 months when
 * that many would crowd the axis beyond `maxTicks`. Labels name the month, and the year too on
 * the first tick and on January.
 * @param {number} start ms since the epoch
 * @param {number} end
 * @param {number} [maxTicks]
 * @returns {{ time: number, label: string }[]}
 */
export function monthTicks(start, end, maxTicks = 12) {
  const first = new Date(start);
  const last = new Date(end);
  const months =
    (last.getUTCFullYear() - first.getUTCFullYear()) * 12 +
    last.getUTCMonth() -
    first.getUTCMonth();
  const step = MONTH_STEPS.find((s) => months / s < maxTicks) ?? 12;
  // The first month on the step's grid (Jan, Apr, Jul, Oct for 3) at or after `start`.
  let month = Math.ceil(first.getUTCMonth() / step) * step;
  if (Date.UTC(first.getUTCFullYear(), month, 1) < start) month += step;
  let time = Date.UTC(first.getUTCFullYear(), month, 1);
  /** @type {{ time: number, label: string }[]} */
  const ticks = [];
  while (time <= end) {
    const date = new Date(time);
    const name = MONTHS[date.getUTCMonth()];
    const withYear = ticks.length === 0 || date.getUTCMonth() === 0;
    ticks.push({ time, label: withYear ? `${name} ${date.getUTCFullYear()}` : name });
    time = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + step, 1);
  }
  return ticks;
}

const MONTH_STEPS = [1, 3, 6, 12];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
