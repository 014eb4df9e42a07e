// @ts-check
import { drawSeriesChart } from './chart.js';

/**
 * The panel of the parcel clicked on the map: what it is, its latest NDVI, and the chart of its
 * weekly NDVI and NDMI with the dates that gave no usable value (`GET /v1/parcels/{id}/weekly`
 * and `/observations`).
 */
export class ParcelPanel {
  /**
   * @param {HTMLElement} panel holding `.parcel-title`, `.parcel-facts`, `.chart` and `.close`
   * @param {import('./api-client.js').ApiClient} api
   * @param {{ onError: (error: unknown) => void, onClose: () => void }} handlers
   */
  constructor(panel, api, handlers) {
    this.panel = panel;
    this.api = api;
    this.handlers = handlers;
    this.heading = /** @type {HTMLElement} */ (panel.querySelector('.parcel-title'));
    this.facts = /** @type {HTMLElement} */ (panel.querySelector('.parcel-facts'));
    this.chart = /** @type {HTMLElement} */ (panel.querySelector('.chart'));
    /** @type {AbortController | null} */
    this.request = null;
    /** @type {HTMLElement} */ (panel.querySelector('.close')).addEventListener('click', () => {
      this.hide();
      handlers.onClose();
    });
  }

  /** @param {import('./map.js').ParcelProperties} parcel */
  async show(parcel) {
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    this.panel.hidden = false;
    this.panel.dataset.parcelId = String(parcel.parcelId);
    this.panel.dataset.state = 'loading';
    this.heading.textContent = `${parcel.externalId} (${parcel.source})`;
    const latest =
      typeof parcel.value === 'number'
        ? `latest NDVI ${parcel.value.toFixed(3)} on ${parcel.acquiredAt?.slice(0, 10)}`
        : 'no ok NDVI observation yet';
    this.facts.textContent = [
      `parcel ${parcel.parcelId}`,
      parcel.crop ?? 'crop unknown',
      parcel.watched ? 'watched' : 'not watched',
      latest,
    ].join(' · ');
    this.chart.replaceChildren();
    try {
      const [weekly, observations] = await Promise.all([
        this.api.get(`/v1/parcels/${parcel.parcelId}/weekly`, {}, request.signal),
        this.api.observations(parcel.parcelId, request.signal),
      ]);
      const items = /** @type {{ items: import('./series.js').WeeklyValue[] }} */ (weekly).items;
      drawSeriesChart(this.chart, items, observations);
      this.panel.dataset.state = 'ready';
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return;
      this.panel.dataset.state = 'failed';
      this.handlers.onError(error);
    }
  }

  hide() {
    this.request?.abort();
    this.panel.hidden = true;
    delete this.panel.dataset.parcelId;
  }
}
