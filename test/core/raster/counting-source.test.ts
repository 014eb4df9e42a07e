import assert from 'node:assert/strict';
import { CountingSource } from '../../../src/core/raster/counting-source';
import type { ByteSource } from '../../../src/core/raster/source';

/** An in-memory source of 1000 bytes that records the calls it receives. */
function memorySource(): ByteSource & { calls: Array<[number, number]>; closed: boolean } {
  const bytes = new Uint8Array(1000).map((_, i) => i % 256);
  const source = {
    url: 'memory://test',
    calls: [] as Array<[number, number]>,
    closed: false,
    async fetch(offset: number, length: number) {
      source.calls.push([offset, length]);
      return bytes.subarray(offset, offset + length);
    },
    async size() {
      return bytes.byteLength;
    },
    async close() {
      source.closed = true;
    },
  };
  return source;
}

describe('CountingSource', () => {
  it('counts requests and the bytes they returned, not the bytes asked', async () => {
    const inner = memorySource();
    const counting = new CountingSource(inner);
    await counting.fetch(0, 100);
    await counting.fetch(950, 100);
    assert.equal(counting.requests, 2);
    assert.equal(counting.bytes, 150);
    assert.deepEqual(inner.calls, [
      [0, 100],
      [950, 100],
    ]);
  });

  it('passes url, size and close through, and starts afresh on reset', async () => {
    const inner = memorySource();
    const counting = new CountingSource(inner);
    assert.equal(counting.url, 'memory://test');
    assert.equal(await counting.size(), 1000);
    await counting.fetch(0, 10);
    counting.reset();
    assert.deepEqual([counting.requests, counting.bytes], [0, 0]);
    await counting.close();
    assert.equal(inner.closed, true);
  });
});
