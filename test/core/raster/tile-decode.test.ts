import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { deflateSync } from 'node:zlib';
import { BadDataError } from '../../../src/core/errors';
import type { TileLayout } from '../../../src/core/raster/cog-types';
import { decodeTile } from '../../../src/core/raster/tile-decode';
import { randomSequence } from './gdal';

const URL = 'https://example.test/B04.tif';

function layout(overrides: Partial<TileLayout>): TileLayout {
  return {
    url: URL,
    tile: 7,
    width: 16,
    height: 8,
    samples: 1,
    dataType: 'uint16',
    compression: 'deflate',
    predictor: 1,
    littleEndian: true,
    ...overrides,
  };
}

/** The encoder side of predictor 2, written from the TIFF spec: differences along each row. */
function differenceRows<T extends Uint8Array | Uint16Array | Uint32Array>(
  values: T,
  width: number,
  samples: number,
): T {
  const out = values.slice() as T;
  const rowLength = width * samples;
  for (let row = 0; row < values.length / rowLength; row++) {
    for (let i = rowLength - 1; i >= samples; i--) {
      const at = row * rowLength + i;
      out[at] = values[at] - values[at - samples];
    }
  }
  return out;
}

/** Bytes of `values` in big-endian order, as a big-endian TIFF stores them. */
function bigEndianBytes(values: Uint16Array | Uint32Array): Uint8Array {
  const size = values.BYTES_PER_ELEMENT;
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    if (size === 2) view.setUint16(i * 2, values[i]);
    else view.setUint32(i * 4, values[i]);
  }
  return bytes;
}

function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function randomValues(length: number, max: number, seed = 1): number[] {
  const random = randomSequence(seed);
  return Array.from({ length }, () => Math.floor(random() * max));
}

describe('decodeTile', () => {
  it('inflates a DEFLATE tile and undoes predictor 2 on uint16 samples', () => {
    const values = Uint16Array.from(randomValues(16 * 8, 65536));
    const compressed = deflateSync(bytesOf(differenceRows(values, 16, 1)));
    const decoded = decodeTile(compressed, layout({ predictor: 2 }));
    assert.ok(decoded instanceof Uint16Array);
    assert.deepEqual(Array.from(decoded), Array.from(values));
  });

  it('undoes predictor 2 per sample for pixel-interleaved uint8 tiles', () => {
    const values = Uint8Array.from(randomValues(16 * 8 * 3, 256, 2));
    const compressed = deflateSync(differenceRows(values, 16, 3));
    const decoded = decodeTile(compressed, layout({ predictor: 2, samples: 3, dataType: 'uint8' }));
    assert.deepEqual(Array.from(decoded), Array.from(values));
  });

  it('undoes predictor 2 on int16 and int32 samples across negative values and wrap-around', () => {
    const int16 = Int16Array.from(randomValues(16 * 8, 65536, 3).map((v) => v - 32768));
    const int16Stored = differenceRows(new Uint16Array(int16.buffer), 16, 1);
    const decoded16 = decodeTile(
      deflateSync(bytesOf(int16Stored)),
      layout({ predictor: 2, dataType: 'int16' }),
    );
    assert.ok(decoded16 instanceof Int16Array);
    assert.deepEqual(Array.from(decoded16), Array.from(int16));

    const int32 = Int32Array.from(randomValues(16 * 8, 2 ** 32, 4).map((v) => v - 2 ** 31));
    int32[1] = 2 ** 31 - 1;
    int32[2] = -(2 ** 31);
    const int32Stored = differenceRows(new Uint32Array(int32.buffer), 16, 1);
    const decoded32 = decodeTile(
      deflateSync(bytesOf(int32Stored)),
      layout({ predictor: 2, dataType: 'int32' }),
    );
    assert.ok(decoded32 instanceof Int32Array);
    assert.deepEqual(Array.from(decoded32), Array.from(int32));
  });

  it('swaps bytes of big-endian tiles before undoing the predictor', () => {
    const values = Uint16Array.from(randomValues(16 * 8, 65536, 5));
    const stored = bigEndianBytes(differenceRows(values, 16, 1));
    const decoded = decodeTile(deflateSync(stored), layout({ predictor: 2, littleEndian: false }));
    assert.deepEqual(Array.from(decoded), Array.from(values));

    const values32 = Uint32Array.from(randomValues(16 * 8, 2 ** 32, 6));
    const decoded32 = decodeTile(
      deflateSync(bigEndianBytes(values32)),
      layout({ dataType: 'uint32', littleEndian: false }),
    );
    assert.deepEqual(Array.from(decoded32), Array.from(values32));
  });

  it('undoes the floating-point predictor 3 on float32 samples', () => {
    const random = randomSequence(7);
    const values = Float32Array.from({ length: 16 * 8 }, () => (random() - 0.5) * 1e4);
    // Encoder per the TIFF floating-point predictor note: per row, the big-endian bytes split
    // into planes (most significant first), then byte differences along the row.
    const rowValues = 16;
    const stored = new Uint8Array(values.length * 4);
    const be = bigEndianBytes(new Uint32Array(values.buffer));
    for (let row = 0; row < 8; row++) {
      const base = row * rowValues * 4;
      for (let v = 0; v < rowValues; v++) {
        for (let plane = 0; plane < 4; plane++) {
          stored[base + plane * rowValues + v] = be[base + v * 4 + plane];
        }
      }
      for (let i = base + rowValues * 4 - 1; i > base; i--) {
        stored[i] = (stored[i] - stored[i - 1]) & 0xff;
      }
    }
    const decoded = decodeTile(deflateSync(stored), layout({ predictor: 3, dataType: 'float32' }));
    assert.ok(decoded instanceof Float32Array);
    assert.deepEqual(Array.from(decoded), Array.from(values));
  });

  it('copies uncompressed tiles instead of altering the caller’s buffer', () => {
    const values = Uint16Array.from(randomValues(16 * 8, 65536, 8));
    const stored = bytesOf(differenceRows(values, 16, 1));
    // An odd offset inside a larger buffer, as a coalesced read hands out.
    const shared = new Uint8Array(stored.byteLength + 1);
    shared.set(stored, 1);
    const before = shared.slice();
    const decoded = decodeTile(shared.subarray(1), layout({ predictor: 2, compression: 'none' }));
    assert.deepEqual(Array.from(decoded), Array.from(values));
    assert.deepEqual(shared, before);
  });

  it('reports a cut DEFLATE stream as a truncated tile naming the file and tile', () => {
    const compressed = deflateSync(Buffer.alloc(16 * 8 * 2, 1));
    assert.throws(
      () => decodeTile(compressed.subarray(0, compressed.byteLength - 6), layout({})),
      (error: unknown) =>
        error instanceof BadDataError &&
        error.code === 'COG_TILE_TRUNCATED' &&
        error.message.includes(URL) &&
        error.message.includes('tile 7'),
    );
  });

  it('reports a stream that decodes to too few bytes as a truncated tile', () => {
    const compressed = deflateSync(Buffer.alloc(100, 1));
    assert.throws(
      () => decodeTile(compressed, layout({})),
      (error: unknown) =>
        error instanceof BadDataError &&
        error.code === 'COG_TILE_TRUNCATED' &&
        error.message.includes(`100 of ${16 * 8 * 2}`),
    );
  });

  it('reports damaged DEFLATE bytes as a corrupt tile naming the file and tile', () => {
    const values = Uint16Array.from(randomValues(16 * 8, 65536, 9));
    const compressed = Buffer.from(deflateSync(bytesOf(values)));
    for (let i = 10; i < 20; i++) compressed[i] ^= 0xff;
    assert.throws(
      () => decodeTile(compressed, layout({})),
      (error: unknown) =>
        error instanceof BadDataError &&
        error.code === 'COG_TILE_CORRUPT' &&
        error.message.includes(URL) &&
        error.message.includes('tile 7'),
    );
  });

  it('refuses a tile that inflates past its size (decompression bomb)', () => {
    const compressed = deflateSync(Buffer.alloc(4 * 1024 * 1024));
    assert.throws(
      () => decodeTile(compressed, layout({})),
      (error: unknown) => error instanceof BadDataError && error.code === 'COG_TILE_CORRUPT',
    );
  });

  it('decodes inside a worker thread from plain transferable data', async () => {
    const values = Uint16Array.from(randomValues(16 * 8, 65536, 10));
    const compressed = deflateSync(bytesOf(differenceRows(values, 16, 1)));
    const worker = new Worker(join(__dirname, 'decode-worker.ts'), {
      execArgv: ['--require', 'tsx/cjs'],
      workerData: { compressed, layout: layout({ predictor: 2 }) },
    });
    const decoded = await new Promise<Uint16Array>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.deepEqual(Array.from(decoded), Array.from(values));
  });
});
