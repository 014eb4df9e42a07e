// @ts-check

/**
 * From the map's view to the map route's parameters and back: the `bbox` and `zoom` of
 * `GET /v1/map/latest`, the bounds of the parcels to fit at first load, and the graticule drawn
 * under them (the map has no base layer: it works offline). No DOM here.
 */

import { niceStep } from './chart-scale.js';

/** @typedef {[number, number, number, number]} Bbox minLon, minLat, maxLon, maxLat */

/** Decimals of the bbox: 1e-6° is ~0.1 m, finer than any screen pixel the map shows. */
const BBOX_DECIMALS = 6;
/** The map route's zoom range. */
const MAX_ZOOM_PARAMETER = 24;
/** Web-Mercator maps stop at ±85.05°; the graticule stops there too. */
const MERCATOR_MAX_LATITUDE = 85;
/** About how many graticule lines cross the view each way. */
const GRATICULE_LINES = 6;

/**
 * The `bbox` parameter of a view, clamped to the valid range (a view wider than the world, or
 * across the antimeridian, asks for every longitude).
 * @param {Bbox} view
 * @returns {string}
 */
export function bboxParameter(view) {
  let [west, south, east, north] = view;
  if (east - west >= 360 || west < -180 || east > 180) [west, east] = [-180, 180];
  south = Math.max(-90, south);
  north = Math.min(90, north);
  return [west, south, east, north].map((v) => v.toFixed(BBOX_DECIMALS)).join(',');
}

/**
 * The `zoom` parameter of a (fractional) map zoom: rounded up, so the server's simplification
 * (half a pixel at that zoom) stays under half a pixel of the view.
 * @param {number} zoom
 */
export function zoomParameter(zoom) {
  return Math.min(MAX_ZOOM_PARAMETER, Math.max(0, Math.ceil(zoom)));
}

/** @typedef {{ geometry: object | null }} FeatureWithGeometry */

/**
 * The bounds of every coordinate of the features; null when there is none.
 * @param {readonly FeatureWithGeometry[]} features
 * @returns {Bbox | null}
 */
export function featuresBounds(features) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  /** @param {unknown} c */
  const visit = (c) => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      box[0] = Math.min(box[0], c[0]);
      box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]);
      box[3] = Math.max(box[3], c[1]);
      return;
    }
    for (const inner of c) visit(inner);
  };
  for (const f of features) {
    // The map's features are (Multi)Polygons; a GeometryCollection would have no coordinates.
    if (f.geometry && 'coordinates' in f.geometry) visit(f.geometry.coordinates);
  }
  return box[0] <= box[2] ? /** @type {Bbox} */ (box) : null;
}

/**
 * Meridians and parallels across a view, spaced by a round number of degrees (1, 2 or 5 × 10ⁿ)
 * so about GRATICULE_LINES cross it, as a GeoJSON MultiLineString feature collection.
 * @param {Bbox} view
 * @returns {{ step: number, collection: import('geojson').FeatureCollection<import('geojson').MultiLineString> }}
 */
export function graticule(view) {
  const west = Math.max(-180, view[0]);
  const east = Math.min(180, view[2]);
  const south = Math.max(-MERCATOR_MAX_LATITUDE, view[1]);
  const north = Math.min(MERCATOR_MAX_LATITUDE, view[3]);
  const step = niceStep(0, Math.max(east - west, north - south), GRATICULE_LINES);
  /** @type {number[][][]} */
  const lines = [];
  for (let k = Math.ceil(west / step); k * step <= east; k++) {
    const lon = Number((k * step).toPrecision(12));
    lines.push([
      [lon, south],
      [lon, north],
    ]);
  }
  for (let k = Math.ceil(south / step); k * step <= north; k++) {
    const lat = Number((k * step).toPrecision(12));
    lines.push([
      [west, lat],
      [east, lat],
    ]);
  }
  return {
    step,
    collection: {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: {},
          geometry: { type: 'MultiLineString', coordinates: lines },
        },
      ],
    },
  };
}
