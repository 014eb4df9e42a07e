import assert from 'node:assert/strict';
import {
  forgetApiKey,
  KEY_STORAGE_ITEM,
  parseKeyFragment,
  takeApiKey,
} from '../../../src/api/web/api-key.js';

/** A stand-in for the browser window: an address bar, its history and sessionStorage. */
function fakeWindow(hash: string) {
  const stored = new Map<string, string>();
  const replaced: string[] = [];
  return {
    stored,
    replaced,
    location: { pathname: '/', search: '?lang=en', hash },
    history: {
      state: { from: 'test' },
      replaceState(state: unknown, _unused: string, url: string) {
        assert.deepEqual(state, { from: 'test' }, 'the history state is kept');
        replaced.push(url);
      },
    },
    sessionStorage: {
      getItem: (name: string) => stored.get(name) ?? null,
      setItem: (name: string, value: string) => void stored.set(name, value),
      removeItem: (name: string) => void stored.delete(name),
    },
  };
}

const KEY = 'pw_0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ-_';

describe('web page API key', () => {
  it('reads the key of the address fragment and keeps the rest of the fragment', () => {
    assert.deepEqual(parseKeyFragment(`#key=${KEY}`), { key: KEY, rest: '' });
    assert.deepEqual(parseKeyFragment(`#parcel=12&key=${KEY}`), { key: KEY, rest: '#parcel=12' });
    assert.deepEqual(parseKeyFragment(''), { key: null, rest: '' });
    assert.deepEqual(parseKeyFragment('#key='), { key: null, rest: '' });
  });

  it('stores a key from the fragment for the session and removes it from the address bar', () => {
    const window = fakeWindow(`#key=${KEY}&parcel=12`);
    assert.equal(takeApiKey(window), KEY);
    assert.equal(window.stored.get(KEY_STORAGE_ITEM), KEY);
    assert.deepEqual(window.replaced, ['/?lang=en#parcel=12']);
  });

  it("uses the session's key when the address has none, and none once forgotten", () => {
    const window = fakeWindow('');
    assert.equal(takeApiKey(window), null);
    window.stored.set(KEY_STORAGE_ITEM, KEY);
    assert.equal(takeApiKey(window), KEY);
    assert.deepEqual(window.replaced, [], 'an address without a key is left alone');
    forgetApiKey(window);
    assert.equal(takeApiKey(window), null);
  });
});
