// @ts-check

/**
 * Where the page's API key comes from: the address fragment `#key=pw_…` (a fragment is never
 * sent to any server), taken out of the address bar at once so it does not stay in the history
 * or get shared with a copied link, and kept for the tab's session only. The browser objects are
 * passed in, so this runs (and is tested) without a DOM.
 */

/** The sessionStorage entry of the key: the tab's session only, never localStorage. */
export const KEY_STORAGE_ITEM = 'parcelwatch.apiKey';

/**
 * @typedef {object} SessionStorage the parts of the DOM's `Storage` used here
 * @property {(name: string) => string | null} getItem
 * @property {(name: string, value: string) => void} setItem
 * @property {(name: string) => void} removeItem
 */

/**
 * @typedef {object} AddressBar the parts of `window` used here
 * @property {{ pathname: string, search: string, hash: string }} location
 * @property {{ state: unknown, replaceState(state: unknown, unused: string, url: string): void }} history
 * @property {SessionStorage} sessionStorage
 */

/**
 * The key of a fragment and the fragment without it (other parameters kept).
 * @param {string} hash `#key=pw_…&…`, or empty
 * @returns {{ key: string | null, rest: string }}
 */
export function parseKeyFragment(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const key = params.get('key');
  params.delete('key');
  const rest = params.toString();
  return { key: key?.trim() || null, rest: rest ? `#${rest}` : '' };
}

/**
 * The key to use: the fragment's (then stored, and removed from the address bar), else the one
 * stored for this session, else null (the page asks for one).
 * @param {AddressBar} window
 * @returns {string | null}
 */
export function takeApiKey(window) {
  const { key, rest } = parseKeyFragment(window.location.hash);
  if (key) {
    window.sessionStorage.setItem(KEY_STORAGE_ITEM, key);
    const { pathname, search } = window.location;
    window.history.replaceState(window.history.state, '', `${pathname}${search}${rest}`);
    return key;
  }
  return window.sessionStorage.getItem(KEY_STORAGE_ITEM);
}

/**
 * @param {AddressBar} window
 * @param {string} key
 */
export function storeApiKey(window, key) {
  window.sessionStorage.setItem(KEY_STORAGE_ITEM, key);
}

/** @param {AddressBar} window */
export function forgetApiKey(window) {
  window.sessionStorage.removeItem(KEY_STORAGE_ITEM);
}
