// @ts-check
import { linearScale, monthTicks, tickDecimals, valueAxis } from './chart-scale.js';
import { indexSeries, timeExtent, unusableAcquisitions } from './series.js';

/**
 * A parcel's NDVI and NDMI over time, drawn as SVG (each point an element that says what it
 * shows, so a reader's tooltip and a test can both check it): weekly values joined by a line,
 * observed weeks as filled dots, interpolated weeks as hollow ones, nodata weeks as gaps, and the
 * acquisitions that gave no usable value as ticks under the time axis (cloudy blue, no data grey).
 */

/** The indices charted, with their colours. */
export const CHART_SERIES = [
  { index: 'ndvi', label: 'NDVI', colour: '#15803d' },
  { index: 'ndmi', label: 'NDMI', colour: '#2563eb' },
];
const CHART_INDICES = CHART_SERIES.map((s) => s.index);
/** Drawn at the panel's width in pixels (so text keeps its size), this one when not laid out. */
const FALLBACK_WIDTH = 640;
/** Narrower, and month labels would overlap. */
const MIN_WIDTH = 320;
const HEIGHT = 280;
const MARGIN = { top: 14, right: 14, bottom: 52, left: 46 };
/** Height of the lane under the time axis where unusable acquisitions are ticked. */
const MARKER_LANE = 12;
const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Replaces the content of `container` with the chart of one parcel.
 * @param {HTMLElement} container
 * @param {readonly import('./series.js').WeeklyValue[]} weekly
 * @param {readonly import('./series.js').Observation[]} observations
 */
export function drawSeriesChart(container, weekly, observations) {
  const series = CHART_INDICES.map((index) => indexSeries(weekly, index));
  const unusable = unusableAcquisitions(observations, CHART_INDICES);
  const extent = timeExtent(series, unusable);
  container.replaceChildren();
  if (!extent) {
    container.append(note('No observation of this parcel yet.'));
    return;
  }
  if (series.every((s) => !s.observed.length && !s.interpolated.length)) {
    container.append(
      note('No weekly series: they are prepared for watched parcels only. Unusable dates:'),
    );
  }

  const width = Math.max(MIN_WIDTH, Math.round(container.clientWidth) || FALLBACK_WIDTH);
  const plot = {
    left: MARGIN.left,
    right: width - MARGIN.right,
    top: MARGIN.top,
    bottom: HEIGHT - MARGIN.bottom,
  };
  const values = series.flatMap((s) => [...s.observed, ...s.interpolated].map((p) => p.value));
  const axis = valueAxis(values);
  const x = linearScale(extent, [plot.left, plot.right]);
  const y = linearScale(axis.domain, [plot.bottom, plot.top]);

  const chart = svg('svg', {
    class: 'series-chart',
    viewBox: `0 0 ${width} ${HEIGHT}`,
    role: 'img',
    'aria-label': 'Weekly NDVI and NDMI of the parcel',
  });
  const grid = svg('g', { class: 'grid' });
  for (const tick of axis.ticks) {
    grid.append(
      svg('line', { x1: plot.left, x2: plot.right, y1: y(tick), y2: y(tick) }),
      label(plot.left - 6, y(tick) + 4, tick.toFixed(tickDecimals(axis.ticks)), 'end'),
    );
  }
  const timeAxis = svg('g', { class: 'time-axis' });
  timeAxis.append(svg('line', { x1: plot.left, x2: plot.right, y1: plot.bottom, y2: plot.bottom }));
  const labelY = plot.bottom + MARKER_LANE + 16;
  for (const tick of monthTicks(extent[0], extent[1])) {
    timeAxis.append(
      svg('line', { x1: x(tick.time), x2: x(tick.time), y1: plot.top, y2: plot.bottom }),
      label(x(tick.time), labelY, tick.label, 'middle'),
    );
  }
  const markers = svg('g', { class: 'acquisitions' });
  for (const u of unusable) {
    const tick = svg('line', {
      class: `acquisition ${u.status}`,
      'data-time': u.acquiredAt,
      'data-status': u.status,
      x1: x(u.time),
      x2: x(u.time),
      y1: plot.bottom + 2,
      y2: plot.bottom + MARKER_LANE,
    });
    const what = u.status === 'cloudy' ? 'cloudy' : 'no data';
    tick.append(title(`${u.acquiredAt.slice(0, 10)}: ${what} (${u.indices.join(', ')})`));
    markers.append(tick);
  }
  chart.append(grid, timeAxis, markers);

  for (const [n, s] of series.entries()) {
    const { label: name, colour } = CHART_SERIES[n];
    const group = svg('g', { class: 'series', 'data-index': s.index });
    for (const stretch of s.stretches) {
      const d = stretch.map((p, i) => `${i ? 'L' : 'M'}${x(p.time)},${y(p.value)}`).join('');
      group.append(svg('path', { class: 'line', d, stroke: colour }));
    }
    for (const p of [...s.observed, ...s.interpolated]) {
      const observed = p.status === 'observed';
      const dot = svg('circle', {
        class: `point ${p.status}`,
        'data-index': s.index,
        'data-week': p.week,
        'data-week-start': p.weekStart,
        'data-status': p.status,
        'data-value': String(p.value),
        cx: x(p.time),
        cy: y(p.value),
        r: observed ? 3.5 : 3,
        fill: observed ? colour : '#ffffff',
        stroke: colour,
      });
      const count = observed ? `, ${p.observationCount} observation(s)` : '';
      dot.append(title(`${name} ${p.week}: ${p.value.toFixed(3)} (${p.status}${count})`));
      group.append(dot);
    }
    chart.append(group);
  }
  container.append(chart, legend());
}

function legend() {
  const list = document.createElement('ul');
  list.className = 'chart-legend';
  for (const s of CHART_SERIES) {
    list.append(
      legendItem(`${s.label} observed`, 'dot', s.colour),
      legendItem(`${s.label} interpolated`, 'ring', s.colour),
    );
  }
  list.append(legendItem('cloudy date', 'tick cloudy'), legendItem('no-data date', 'tick nodata'));
  return list;
}

/**
 * @param {string} text
 * @param {string} kind
 * @param {string} [colour]
 */
function legendItem(text, kind, colour) {
  const item = document.createElement('li');
  const swatch = document.createElement('span');
  swatch.className = `swatch ${kind}`;
  if (colour) swatch.style.setProperty('--colour', colour);
  item.append(swatch, text);
  return item;
}

/** @param {string} text */
function note(text) {
  const p = document.createElement('p');
  p.className = 'chart-note';
  p.textContent = text;
  return p;
}

/**
 * @param {number} x
 * @param {number} y
 * @param {string} text
 * @param {'start' | 'middle' | 'end'} anchor
 */
function label(x, y, text, anchor) {
  const element = svg('text', { x, y, 'text-anchor': anchor });
  element.textContent = text;
  return element;
}

/** @param {string} text */
function title(text) {
  const element = svg('title', {});
  element.textContent = text;
  return element;
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 */
function svg(tag, attributes) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
  return element;
}
