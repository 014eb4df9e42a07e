// @ts-check

/**
 * The NDVI colour ramp of the map and its legend: brown (bare soil) → yellow (sparse or senescent
 * crop) → green (dense green canopy), linear in RGB between stops and clamped outside them, the
 * way MapLibre's `interpolate` expression evaluates it, so the map, the legend and the tests agree.
 */

/** @typedef {{ value: number, colour: string }} RampStop */
/** @typedef {{ r: number, g: number, b: number }} Rgb channels 0–255, not rounded */

/**
 * Bare soil sits around NDVI 0.1–0.2, a crop coming up or drying around 0.3–0.5, a closed green
 * canopy at 0.8 and above: the ramp spans 0–0.8 so a season's changes use the whole range.
 * @type {readonly RampStop[]}
 */
export const NDVI_STOPS = Object.freeze([
  { value: 0, colour: '#8c510a' },
  { value: 0.4, colour: '#f6d04d' },
  { value: 0.8, colour: '#1a7f37' },
]);

/** Parcels without a value (no ok observation yet): grey, unlike any colour of the ramp. */
export const NO_VALUE_COLOUR = '#9e9e9e';

/**
 * @param {string} hex `#rrggbb`
 * @returns {Rgb}
 */
export function hexToRgb(hex) {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) throw new Error(`colour ${hex} is not #rrggbb`);
  return {
    r: Number.parseInt(match[1], 16),
    g: Number.parseInt(match[2], 16),
    b: Number.parseInt(match[3], 16),
  };
}

/**
 * The ramp's colour of a value; the no-value grey for null (or NaN).
 * @param {number | null | undefined} value
 * @param {readonly RampStop[]} [stops]
 * @returns {Rgb}
 */
export function rampColour(value, stops = NDVI_STOPS) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return hexToRgb(NO_VALUE_COLOUR);
  }
  const first = stops[0];
  const last = stops[stops.length - 1];
  if (value <= first.value) return hexToRgb(first.colour);
  if (value >= last.value) return hexToRgb(last.colour);
  const upper = stops.findIndex((s) => s.value > value);
  const a = stops[upper - 1];
  const b = stops[upper];
  const t = (value - a.value) / (b.value - a.value);
  const from = hexToRgb(a.colour);
  const to = hexToRgb(b.colour);
  return {
    r: from.r + t * (to.r - from.r),
    g: from.g + t * (to.g - from.g),
    b: from.b + t * (to.b - from.b),
  };
}

/**
 * A MapLibre expression colouring a feature by its numeric `property`, grey when it has none.
 * @param {string} property
 * @param {readonly RampStop[]} [stops]
 * @returns {unknown[]}
 */
export function rampExpression(property, stops = NDVI_STOPS) {
  return [
    'case',
    ['==', ['typeof', ['get', property]], 'number'],
    ['interpolate', ['linear'], ['get', property], ...stops.flatMap((s) => [s.value, s.colour])],
    NO_VALUE_COLOUR,
  ];
}

/**
 * The CSS gradient of the legend bar, stops placed along it by value.
 * @param {readonly RampStop[]} [stops]
 * @returns {string}
 */
export function legendGradient(stops = NDVI_STOPS) {
  const first = stops[0].value;
  const span = stops[stops.length - 1].value - first;
  const parts = stops.map((s) => `${s.colour} ${round((100 * (s.value - first)) / span)}%`);
  return `linear-gradient(to right, ${parts.join(', ')})`;
}

/** @param {number} x */
function round(x) {
  return Math.round(x * 100) / 100;
}
