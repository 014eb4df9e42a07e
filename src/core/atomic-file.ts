import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export interface AtomicWriteOptions {
  /** Permissions of a new file, e.g. 0o600 for personal data (readable by its owner only). */
  mode?: number;
  /**
   * Flush the file and its folder to disk before returning, so the write survives a power cut
   * (the datalake, COGs). Off: the file is whole or absent, but may sit in the page cache.
   */
  durable?: boolean;
  /** Ends the temporary file's name (`.<name>.<pid>.<random><suffix>`). @default '.partial' */
  temporarySuffix?: string;
}

/**
 * Writes `chunks` to a file that appears whole or not at all: into a temporary sibling (same
 * folder, so the rename is atomic; a random part keeps concurrent writers apart), renamed over
 * the target once complete. Any failure removes the temporary file and leaves an existing target
 * untouched. The folder must exist. Returns the bytes written.
 */
export async function writeFileAtomically(
  file: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<number> {
  const target = resolve(file);
  const temporary = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}${options.temporarySuffix ?? '.partial'}`,
  );
  let bytes = 0;
  try {
    const handle = await open(temporary, 'wx', options.mode);
    try {
      for await (const chunk of chunks) {
        // write() may stop short of the whole chunk; continue until it is all written.
        let written = 0;
        while (written < chunk.byteLength) {
          written += (await handle.write(chunk, written, chunk.byteLength - written)).bytesWritten;
        }
        bytes += written;
      }
      if (options.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  if (options.durable) await syncDirectory(dirname(target));
  return bytes;
}

/** Makes a rename durable; some platforms cannot open folders, which is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the file's bytes are already on disk.
  }
}
