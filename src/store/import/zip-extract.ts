import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Unzip, UnzipInflate } from 'fflate';
import { BadInputError } from '../../core/errors';

/**
 * Streams the entries of a zip archive whose extension is wanted into a folder, one chunk at a
 * time (fflate's streaming Unzip), so a zipped Shapefile of any size needs little memory.
 * Entries are written under a flat, sanitised name: nothing lands outside the folder.
 */

/** Refuses archives that inflate past this: no parcel Shapefile is that large (zip bomb guard). */
export const MAX_EXTRACTED_BYTES = 8 * 1024 ** 3;

/** An extracted entry: its path inside the archive and on disk. */
export interface ExtractedEntry {
  name: string;
  file: string;
}

export async function extractZipEntries(
  zipFile: string,
  dir: string,
  wantedExtensions: ReadonlySet<string>,
): Promise<ExtractedEntry[]> {
  const label = path.basename(zipFile);
  const entries: ExtractedEntry[] = [];
  const open = new Set<number>();
  let written = 0;
  let failure: Error | undefined;
  const unzip = new Unzip((entry) => {
    const base = path.posix.basename(entry.name);
    if (entry.name.startsWith('__MACOSX/') || base.startsWith('._')) return;
    if (!wantedExtensions.has(path.extname(base).toLowerCase())) return;
    const file = path.join(dir, `${entries.length}-${base.replace(/[^\w.-]/g, '_')}`);
    const fd = openSync(file, 'w');
    open.add(fd);
    entries.push({ name: entry.name, file });
    entry.ondata = (error, chunk, final) => {
      if (failure) return;
      if (error) {
        failure = error;
        return;
      }
      written += chunk.byteLength;
      if (written > MAX_EXTRACTED_BYTES) {
        failure = new Error(`it inflates past ${MAX_EXTRACTED_BYTES / 1024 ** 3} GiB`);
        return;
      }
      try {
        writeAll(fd, chunk);
      } catch (error) {
        failure = diskError(label, dir, error as NodeJS.ErrnoException);
        return;
      }
      if (final) {
        closeSync(fd);
        open.delete(fd);
      }
    };
    entry.start();
  });
  unzip.register(UnzipInflate);
  try {
    for await (const chunk of createReadStream(zipFile)) {
      unzip.push(chunk as Buffer);
      if (failure) break;
    }
    if (!failure) unzip.push(new Uint8Array(0), true);
  } catch (error) {
    failure ??= error as Error;
  } finally {
    for (const fd of open) closeSync(fd);
  }
  if (failure instanceof BadInputError) throw failure;
  if (failure || open.size > 0) {
    throw new BadInputError(
      `${label} cannot be unzipped (${failure?.message ?? 'an entry is cut short'}); check the archive (e.g. \`unzip -t ${label}\`) or unzip it and import the .shp`,
      { code: 'ZIP_INVALID', cause: failure },
    );
  }
  return entries;
}

/** Writes all of `chunk`: a write may take only part of it (a file system filling up does that). */
function writeAll(fd: number, chunk: Uint8Array): void {
  for (let offset = 0; offset < chunk.byteLength; ) {
    offset += writeSync(fd, chunk, offset, chunk.byteLength - offset);
  }
}

/** A write of an extracted entry failed: the folder's file system, not the archive, is at fault. */
function diskError(label: string, dir: string, error: NodeJS.ErrnoException): Error {
  if (error.code !== 'ENOSPC' && error.code !== 'EDQUOT') return error;
  return new BadInputError(
    `${label} does not fit in ${path.dirname(dir)}: its file system filled up while unzipping; set TMPDIR to a folder with more room, or unzip it elsewhere and import the .shp`,
    { code: 'ZIP_NO_SPACE', cause: error },
  );
}
