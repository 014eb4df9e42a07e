import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Streams chunks into a file that appears whole or not at all: they go to a temporary sibling
 * (same folder, so the rename is atomic), renamed over the target once complete; any failure
 * removes the temporary file and leaves an existing target untouched. Returns the bytes written.
 */
export async function writeChunksAtomically(
  file: string,
  chunks: AsyncIterable<Buffer>,
): Promise<number> {
  const target = path.resolve(file);
  const temporary = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.partial`,
  );
  try {
    await pipeline(Readable.from(chunks), createWriteStream(temporary));
    const { size } = await stat(temporary);
    await rename(temporary, target);
    return size;
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
