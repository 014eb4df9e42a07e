// @ts-check
import * as maplibregl from '/vendor/maplibre-gl.mjs';
import { ApiRequestError } from './api-client.js';
import { rampExpression } from './colour-ramp.js';
import { bboxParameter, featuresBounds, graticule, zoomParameter } from './map-view.js';

/**
 * The map of parcels coloured by their latest NDVI. Offline by design: no tiles, fonts, sprites
 * or anything else from outside — a plain background, a graticule, and the parcels as GeoJSON
 * from `GET /v1/map/latest`, fetched again for the view (bbox, zoom) after every move.
 */

/** The index the map colours by. */
export const MAP_INDEX = 'ndvi';
/** First load has no view yet: coarse geometry (~40 m at mid latitudes) is enough to fit it. */
const FIRST_LOAD_ZOOM = 10;
/** Pixels kept between the parcels and the map's edges when fitting them. */
const FIT_PADDING = 40;
/** Fitting a single small parcel would zoom in until it fills the screen; stop at field scale. */
const FIT_MAX_ZOOM = 16;
/** When too many parcels exist to load at once, the map opens on one of them at this zoom. */
const FIRST_PARCEL_ZOOM = 13;
const PAPER = '#f4f1ea';
const GRATICULE_COLOUR = '#d8d2c4';
const OUTLINE_COLOUR = '#4a4a4a';
const SELECTED_COLOUR = '#1d4ed8';

/**
 * @typedef {object} ParcelProperties a feature of `GET /v1/map/latest`
 * @property {number} parcelId
 * @property {string} source
 * @property {string} externalId
 * @property {string | null} crop
 * @property {boolean} watched
 * @property {number | null} value
 * @property {string | null} acquiredAt
 */

/**
 * @typedef {object} ParcelMapOptions
 * @property {import('./api-client.js').ApiClient} api
 * @property {(parcel: ParcelProperties) => void} onSelect a parcel was clicked
 * @property {(error: unknown) => void} onError a request failed (e.g. the key was refused)
 * @property {(notice: string | null) => void} onNotice something to tell, or null to clear it
 */

/** @typedef {import('geojson').FeatureCollection<import('geojson').Geometry, ParcelProperties>} ParcelCollection */

export class ParcelMap {
  /**
   * @param {HTMLElement} container
   * @param {ParcelMapOptions} options
   */
  constructor(container, options) {
    this.options = options;
    /** Requests under way or drawn but not yet painted; the end-to-end test waits for 0. */
    this.busy = 0;
    /** Map responses painted so far. */
    this.loads = 0;
    /** The style is ready for data (MapLibre's `load` event came). */
    this.ready = false;
    /** The view's parcels are loaded on every move once the first load has placed the map. */
    this.placed = false;
    /** @type {AbortController | null} */
    this.request = null;
    this.map = new maplibregl.Map({
      container,
      style: baseStyle(),
      center: [0, 20],
      zoom: 1,
      attributionControl: false,
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.map.addControl(new maplibregl.ScaleControl({}), 'bottom-right');
    this.map.once('load', () => {
      this.ready = true;
      this.map.on('moveend', () => {
        this.drawGraticule();
        if (this.placed) void this.refresh();
      });
      void this.load();
    });
    this.map.on('click', 'parcels-fill', (event) => {
      const feature = event.features?.[0];
      if (!feature) return;
      const parcel = /** @type {ParcelProperties} */ (feature.properties);
      this.select(parcel.parcelId);
      this.options.onSelect(parcel);
    });
    const canvas = this.map.getCanvas();
    this.map.on('mouseenter', 'parcels-fill', () => {
      canvas.style.cursor = 'pointer';
    });
    this.map.on('mouseleave', 'parcels-fill', () => {
      canvas.style.cursor = '';
    });
    this.map.on('error', (event) => this.options.onError(event.error));
  }

  /** Loads everything again (after a new key was given). */
  reload() {
    if (this.placed) void this.refresh();
    else if (this.ready) void this.load();
  }

  /**
   * Outlines one parcel (null: none).
   * @param {number | null} parcelId
   */
  select(parcelId) {
    this.map.setFilter('parcels-selected', ['==', ['id'], parcelId ?? -1]);
  }

  /**
   * First load: every parcel if one response can hold them all (then the map fits them), else
   * the map opens on the first parcel listed and loads its view.
   */
  async load() {
    this.drawGraticule();
    await this.track(async () => {
      const all = await this.latest({ zoom: FIRST_LOAD_ZOOM });
      if (all === 'too-many') return this.openOnFirstParcel();
      const bounds = featuresBounds(all.features);
      if (!bounds) {
        this.options.onNotice(
          'No parcels yet: import some with `parcelwatch parcels import <file>`.',
        );
        return;
      }
      await this.draw(all);
      this.placed = true;
      this.map.fitBounds(bounds, { padding: FIT_PADDING, maxZoom: FIT_MAX_ZOOM, animate: false });
    });
  }

  async openOnFirstParcel() {
    const page = /** @type {{ items: { bbox: [number, number, number, number] }[] }} */ (
      await this.options.api.get('/v1/parcels', { limit: 1 })
    );
    const box = page.items[0].bbox;
    this.placed = true;
    this.map.jumpTo({
      center: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2],
      zoom: FIRST_PARCEL_ZOOM,
    });
  }

  /** Loads the parcels of the current view; a newer move cancels an older request. */
  async refresh() {
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    await this.track(async () => {
      const b = this.map.getBounds();
      const view = /** @type {[number, number, number, number]} */ ([
        b.getWest(),
        b.getSouth(),
        b.getEast(),
        b.getNorth(),
      ]);
      const parcels = await this.latest(
        { bbox: bboxParameter(view), zoom: zoomParameter(this.map.getZoom()) },
        request.signal,
      );
      if (parcels === 'too-many') {
        this.options.onNotice('Too many parcels in this view to draw them all: zoom in.');
        return;
      }
      this.options.onNotice(null);
      await this.draw(parcels);
    });
  }

  /**
   * @param {Record<string, string | number>} params
   * @param {AbortSignal} [signal]
   * @returns {Promise<ParcelCollection | 'too-many'>}
   */
  async latest(params, signal) {
    try {
      return /** @type {ParcelCollection} */ (
        await this.options.api.get('/v1/map/latest', { index: MAP_INDEX, ...params }, signal)
      );
    } catch (error) {
      // The route refuses (400 on bbox) a selection larger than one response holds.
      const details = error instanceof ApiRequestError ? error.details : undefined;
      if (Array.isArray(details) && details.some((d) => d?.name === 'bbox')) return 'too-many';
      throw error;
    }
  }

  /**
   * Replaces the parcels and waits until the map has painted them.
   * @param {ParcelCollection} parcels
   */
  async draw(parcels) {
    const source = /** @type {maplibregl.GeoJSONSource} */ (this.map.getSource('parcels'));
    source.setData(parcels);
    this.map.triggerRepaint();
    await this.map.once('idle');
    this.loads += 1;
  }

  drawGraticule() {
    const b = this.map.getBounds();
    const { collection } = graticule([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]);
    const source = /** @type {maplibregl.GeoJSONSource} */ (this.map.getSource('graticule'));
    source.setData(collection);
  }

  /**
   * Runs a load, counted in `busy`; a cancelled one ends quietly, a failed one is reported.
   * @param {() => Promise<void>} work
   */
  async track(work) {
    this.busy += 1;
    try {
      await work();
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'AbortError')) {
        this.options.onError(error);
      }
    } finally {
      this.busy -= 1;
    }
  }
}

/** @returns {maplibregl.StyleSpecification} */
function baseStyle() {
  const empty = { type: /** @type {const} */ ('FeatureCollection'), features: [] };
  return {
    version: 8,
    sources: {
      graticule: { type: 'geojson', data: empty },
      parcels: { type: 'geojson', data: empty },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': PAPER } },
      {
        id: 'graticule',
        type: 'line',
        source: 'graticule',
        paint: { 'line-color': GRATICULE_COLOUR, 'line-width': 1 },
      },
      {
        id: 'parcels-fill',
        type: 'fill',
        source: 'parcels',
        paint: {
          'fill-color': /** @type {maplibregl.ExpressionSpecification} */ (rampExpression('value')),
          'fill-opacity': 1,
        },
      },
      {
        id: 'parcels-outline',
        type: 'line',
        source: 'parcels',
        paint: { 'line-color': OUTLINE_COLOUR, 'line-width': 0.5, 'line-opacity': 0.7 },
      },
      {
        id: 'parcels-selected',
        type: 'line',
        source: 'parcels',
        filter: ['==', ['id'], -1],
        paint: { 'line-color': SELECTED_COLOUR, 'line-width': 2.5 },
      },
    ],
  };
}
