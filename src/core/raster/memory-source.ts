import type { ByteSource } from './source';

/** A ByteSource over bytes already in memory (a file read whole, bytes handed to a thread). */
export class MemorySource implements ByteSource {
  constructor(
    readonly url: string,
    private readonly bytes: Uint8Array,
  ) {}

  async fetch(offset: number, length: number): Promise<Uint8Array> {
    return this.bytes.subarray(offset, Math.min(offset + length, this.bytes.byteLength));
  }

  async size(): Promise<number> {
    return this.bytes.byteLength;
  }
}

/** The bytes in a buffer of their own (a copy when the view shares its buffer), safe to transfer to a thread. */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice();
}
