/** Byte ranges of a local file through one reused FileHandle. */
import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BadDataError, TransientError } from '../../core/errors';
import type { ByteSource } from '../../core/raster/source';

/** Errors of the operating system that a later attempt may not meet (too many open files, I/O). */
const TRANSIENT_FS_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO']);

export class FileSource implements ByteSource {
  readonly url: string;
  readonly path: string;
  private handle: Promise<FileHandle> | undefined;

  /** @param location a path (relative to the working directory) or a `file://` URL */
  constructor(location: string) {
    this.path = location.startsWith('file:') ? fileURLToPath(location) : resolve(location);
    this.url = pathToFileURL(this.path).href;
  }

  async fetch(
    offset: number,
    length: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    options.signal?.throwIfAborted();
    const handle = await this.open();
    // Not zero-filled: every byte returned is overwritten by the read.
    const buffer = Buffer.allocUnsafeSlow(length);
    let filled = 0;
    try {
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      throw this.fsError('read', error);
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
  }

  async size(): Promise<number> {
    const handle = await this.open();
    return (await handle.stat()).size;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }

  private open(): Promise<FileHandle> {
    if (!this.handle) {
      this.handle = open(this.path, 'r').catch((error) => {
        this.handle = undefined;
        throw this.fsError('open', error);
      });
    }
    return this.handle;
  }

  private fsError(action: string, error: unknown): Error {
    const code = (error as NodeJS.ErrnoException)?.code ?? 'unknown';
    if (code === 'ENOENT') {
      return new BadDataError(
        `${this.url}: file does not exist; check the path or re-run the step that writes it`,
        {
          code: 'SOURCE_MISSING',
          cause: error,
        },
      );
    }
    const message = `${this.url}: cannot ${action} (${code}: ${(error as Error)?.message ?? error})`;
    return TRANSIENT_FS_CODES.has(code)
      ? new TransientError(message, { code: `FS_${code}`, cause: error })
      : new BadDataError(`${message}; check the file and its permissions`, {
          code: `FS_${code}`,
          cause: error,
        });
  }
}
