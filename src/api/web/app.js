// @ts-check
import { ApiClient, KeyRefusedError } from './api-client.js';
import { forgetApiKey, storeApiKey, takeApiKey } from './api-key.js';
import { legendGradient, NDVI_STOPS, NO_VALUE_COLOUR } from './colour-ramp.js';
import { KeyForm } from './key-form.js';
import { ParcelMap } from './map.js';
import { ParcelPanel } from './parcel-panel.js';
import { RunsPanel } from './runs.js';

/**
 * The page: the key first (from `#key=…`, this tab's session, or the form), then the map, the
 * parcel panel and the runs panel. A refused key (401) brings the form back with the API's reason.
 * `window.parcelwatch` exposes the map and its load counters for debugging and for the
 * end-to-end test.
 */

const api = new ApiClient('');
const notice = byId('notice');
const keyForm = new KeyForm(byId('key-dialog'), (key) => {
  storeApiKey(window, key);
  useKey(key);
});
/** @type {{ map: ParcelMap, runs: RunsPanel } | null} */
let dashboard = null;

drawLegend(byId('legend'));
byId('forget-key').addEventListener('click', () => {
  forgetApiKey(window);
  keyForm.show(null);
});
const key = takeApiKey(window);
if (key) useKey(key);
else keyForm.show(null);

/** @param {string} key */
function useKey(key) {
  api.key = key;
  showNotice(null);
  byId('forget-key').hidden = false;
  if (dashboard) {
    dashboard.map.reload();
    void dashboard.runs.load();
    return;
  }
  const parcel = new ParcelPanel(byId('parcel'), api, {
    onError: report,
    onClose: () => map.select(null),
  });
  const map = new ParcelMap(byId('map'), {
    api,
    onSelect: (p) => void parcel.show(p),
    onError: report,
    onNotice: (text) => {
      const mapNotice = byId('map-notice');
      mapNotice.textContent = text ?? '';
      mapNotice.hidden = text === null;
    },
  });
  const runs = new RunsPanel(byId('runs-list'), api, report);
  byId('runs-refresh').addEventListener('click', () => void runs.load());
  void runs.load();
  dashboard = { map, runs };
  Object.assign(window, {
    parcelwatch: {
      map: map.map,
      /** Map loads under way; 0 once the view's parcels are painted. */
      get mapBusy() {
        return map.busy;
      },
      /** Map responses painted so far. */
      get mapLoads() {
        return map.loads;
      },
    },
  });
}

/** @param {unknown} error */
function report(error) {
  if (error instanceof KeyRefusedError) {
    forgetApiKey(window);
    keyForm.show(`The API refused the key: ${error.message}. Enter a valid key.`);
    return;
  }
  showNotice(error instanceof Error ? error.message : String(error));
}

/** @param {string | null} text */
function showNotice(text) {
  notice.textContent = text ?? '';
  notice.hidden = text === null;
}

/**
 * The NDVI legend: the ramp's gradient with its stop values, and the no-value grey.
 * @param {HTMLElement} legend
 */
function drawLegend(legend) {
  const bar = document.createElement('div');
  bar.className = 'ramp';
  bar.style.background = legendGradient();
  const labels = document.createElement('div');
  labels.className = 'ramp-labels';
  const first = NDVI_STOPS[0].value;
  const span = NDVI_STOPS[NDVI_STOPS.length - 1].value - first;
  for (const [i, stop] of NDVI_STOPS.entries()) {
    const edge = i === 0 ? '≤ ' : i === NDVI_STOPS.length - 1 ? '≥ ' : '';
    const label = document.createElement('span');
    label.textContent = `${edge}${stop.value.toFixed(1)}`;
    label.style.left = `${(100 * (stop.value - first)) / span}%`;
    labels.append(label);
  }
  const none = document.createElement('div');
  none.className = 'no-value';
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  swatch.style.background = NO_VALUE_COLOUR;
  none.append(swatch, 'no ok observation yet');
  const heading = document.createElement('div');
  heading.className = 'legend-title';
  heading.textContent = 'Latest NDVI';
  legend.replaceChildren(heading, bar, labels, none);
}

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no element #${id}`);
  return element;
}
