/**
 * Serves geotiff.js's many small header reads (8 bytes here, 1 KiB there) from a few large ranged
 * requests, so parsing a COG header costs one request, or two when its IFDs run long.
 */
import type { GeoTIFF } from 'geotiff';
import { BadDataError } from '../errors';
import type { ByteSource } from './source';

/** geotiff.js's byte-source shape, taken from its own signature rather than a private path. */
export type GeoTiffSource = Parameters<typeof GeoTIFF.fromSource>[0];

/**
 * First read of a header. GDAL's COG layout puts every IFD and tile array in the first few KB
 * (about 16 KB for a Sentinel-2 10 m band with overviews); 64 KiB costs the same round trip.
 */
export const DEFAULT_HEADER_BYTES = 64 * 1024;

/**
 * Largest single header read. A 100 000² image of 256 px tiles has 2.4 MB of tile arrays; a
 * field claiming more is a corrupt count, and reading it would only exhaust memory.
 */
export const MAX_HEADER_READ_BYTES = 32 * 1024 * 1024;

interface Chunk {
  offset: number;
  bytes: Uint8Array;
}

export class HeaderCache implements GeoTiffSource {
  private readonly chunks: Chunk[] = [];
  /** File size, once a read came back short or the source told us. */
  private fileEnd = Number.POSITIVE_INFINITY;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: ByteSource,
    private readonly readBytes: number = DEFAULT_HEADER_BYTES,
    private readonly signal?: AbortSignal,
  ) {}

  /** Size of the file when known: from the source, or because a read ended early. */
  knownSize(): number | undefined {
    return Number.isFinite(this.fileEnd) ? this.fileEnd : undefined;
  }

  setSize(size: number | undefined): void {
    if (size !== undefined) this.fileEnd = Math.min(this.fileEnd, size);
  }

  /** Bytes [offset, offset + length), fewer at the end of the file; reads the source on a miss. */
  read(offset: number, length: number): Promise<Uint8Array> {
    // One read at a time: a second miss often falls inside the chunk the first one brings.
    const result = this.queue.then(() => this.readNow(offset, length));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async readNow(offset: number, length: number): Promise<Uint8Array> {
    if (length > MAX_HEADER_READ_BYTES) {
      throw new BadDataError(
        `COG ${this.source.url}: a header field of ${length} bytes at offset ${offset} exceeds ${MAX_HEADER_READ_BYTES}; the header is corrupt — re-download the file`,
        { code: 'COG_CORRUPT_HEADER' },
      );
    }
    const end = Math.min(offset + length, this.fileEnd);
    if (offset >= end) return new Uint8Array(0);
    let chunk = this.chunks.find((c) => c.offset <= offset && c.offset + c.bytes.byteLength >= end);
    if (!chunk) {
      const wanted = Math.max(length, this.readBytes);
      const bytes = await this.source.fetch(offset, wanted, { signal: this.signal });
      if (bytes.byteLength < wanted)
        this.fileEnd = Math.min(this.fileEnd, offset + bytes.byteLength);
      chunk = { offset, bytes };
      this.chunks.push(chunk);
    }
    const start = offset - chunk.offset;
    return chunk.bytes.subarray(start, Math.min(start + length, chunk.bytes.byteLength));
  }

  // geotiff.js wraps each returned buffer in a DataView starting at the slice offset, so every
  // slice must be its own ArrayBuffer: copy (header slices are small).
  async fetch(slices: Array<{ offset: number; length: number }>): Promise<ArrayBuffer[]> {
    return Promise.all(
      slices.map(async ({ offset, length }) => (await this.read(offset, length)).slice().buffer),
    );
  }

  async fetchSlice(slice: { offset: number; length: number }) {
    const [data] = await this.fetch([slice]);
    return { ...slice, data };
  }

  get fileSize(): number | null {
    return this.knownSize() ?? null;
  }

  async close(): Promise<void> {
    // The ByteSource belongs to the caller, who closes it.
  }
}
