// @ts-check

/**
 * The page's calls to the parcelwatch API (same origin), with the key as a Bearer token. A 401
 * becomes a KeyRefusedError (the page asks for a valid key); other errors carry the API's own
 * message, which says what is wrong and what to do.
 */

/** Observations asked per page: the route's maximum, so a parcel's seasons come in one or two. */
const OBSERVATIONS_PAGE = 10_000;
/** Pages followed at most: a guard against a cursor that never ends, far above any real series. */
const MAX_PAGES = 100;

/** The API refused the key (401): missing, unknown or revoked. */
export class KeyRefusedError extends Error {
  /** @param {string} message the API's explanation */
  constructor(message) {
    super(message);
    this.name = 'KeyRefusedError';
  }
}

/** Any other error answer of the API. */
export class ApiRequestError extends Error {
  /**
   * @param {number} status
   * @param {string} code the API's stable error code, e.g. `invalid_request`
   * @param {string} message
   * @param {unknown} [details]
   */
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export class ApiClient {
  /** @param {string} key */
  constructor(key) {
    this.key = key;
  }

  /**
   * GET a JSON (or GeoJSON) document.
   * @param {string} path e.g. `/v1/runs`
   * @param {Record<string, string | number | undefined>} [params]
   * @param {AbortSignal} [signal]
   * @returns {Promise<unknown>}
   */
  async get(path, params = {}, signal) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) query.set(name, String(value));
    }
    const search = query.toString();
    const url = search ? `${path}?${search}` : path;
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${this.key}`, accept: 'application/json' },
      signal,
    });
    const body = await response.json().catch(() => null);
    if (response.ok) return body;
    const error = /** @type {{ error?: string, message?: string, details?: unknown } | null} */ (
      body
    );
    const message = error?.message ?? `${response.status} ${response.statusText}`;
    if (response.status === 401) throw new KeyRefusedError(message);
    throw new ApiRequestError(response.status, error?.error ?? 'error', message, error?.details);
  }

  /**
   * Every observation of a parcel (all indices, every status), following the pages.
   * @param {number} parcelId
   * @param {AbortSignal} [signal]
   * @returns {Promise<import('./series.js').Observation[]>}
   */
  async observations(parcelId, signal) {
    /** @type {import('./series.js').Observation[]} */
    const items = [];
    /** @type {string | undefined} */
    let cursor;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body =
        /** @type {{ items: import('./series.js').Observation[], nextCursor: string | null }} */ (
          await this.get(
            `/v1/parcels/${parcelId}/observations`,
            { limit: OBSERVATIONS_PAGE, cursor },
            signal,
          )
        );
      items.push(...body.items);
      if (!body.nextCursor) return items;
      cursor = body.nextCursor;
    }
    throw new Error(
      `parcel ${parcelId} has more than ${MAX_PAGES * OBSERVATIONS_PAGE} observations, more than the page can chart; read them with \`parcelwatch export\` instead`,
    );
  }
}
