/**
 * The datalake in a local folder: key `a/b/c.tif` is the file `<root>/a/b/c.tif`. Writes go to a
 * temporary `.c.tif.<pid>.<random>.partial` beside the target, are flushed, then renamed over it:
 * a reader never sees half an object, a crash leaves at most a `.partial` file that `list` skips
 * and a later `put` of the key removes. Keys are checked before any path is built, and symbolic
 * links are never followed when listing, so nothing outside the root can be reached.
 */

import type { Dirent } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFileAtomically } from '../../core/atomic-file';
import { BadDataError, TransientError } from '../../core/errors';
import { FileSource } from '../sources/file-source';
import type { Datalake, DatalakeObject, DatalakeSource } from './datalake';
import { checkKey, checkPrefix } from './keys';

/**
 * A `.partial` file older than this belongs to a writer that died: no put of one object takes
 * anywhere near as long, so a younger one may be a concurrent writer's, and is left alone.
 */
export const STALE_PARTIAL_MS = 15 * 60 * 1000;
/** Suffix of temporary files; their names start with '.', which no key segment may. */
const PARTIAL_SUFFIX = '.partial';
/** Operating-system errors a later attempt may not meet. */
const TRANSIENT_FS_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO', 'ENOSPC']);
/** A concurrent delete may remove the folder between our mkdir and open; try again this often. */
const MAX_PUT_ATTEMPTS = 3;

export class FileDatalake implements Datalake {
  readonly root: string;
  readonly url: string;
  /** The root with a trailing separator: every object path starts with it. */
  private readonly inside: string;

  /** @param root the folder holding the objects (created on first write) */
  constructor(root: string) {
    this.root = resolve(root);
    this.url = pathToFileURL(this.root).href;
    this.inside = this.root.endsWith(sep) ? this.root : this.root + sep;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    const dir = dirname(path);
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dir, { recursive: true });
        await removeStalePartials(dir, basename(path));
        await writeFileAtomically(path, [bytes], {
          durable: true,
          temporarySuffix: PARTIAL_SUFFIX,
        });
        break;
      } catch (error) {
        // ENOENT here means a concurrent delete removed the folder we had just created.
        if ((error as NodeJS.ErrnoException)?.code === 'ENOENT' && attempt < MAX_PUT_ATTEMPTS)
          continue;
        throw this.fsError('write', key, error);
      }
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const path = this.pathOf(key);
    try {
      const buffer = await readFile(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      throw this.fsError('read', key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== undefined;
  }

  async size(key: string): Promise<number | undefined> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      return info.isFile() ? info.size : undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw this.fsError('inspect', key, error);
    }
  }

  source(key: string): DatalakeSource {
    return new FileSource(this.pathOf(key));
  }

  async *list(prefix: string): AsyncIterable<DatalakeObject> {
    checkPrefix(prefix);
    // Walk only the folder the prefix fully names; its last, partial segment filters names.
    const slash = prefix.lastIndexOf('/');
    const folderKey = slash < 0 ? '' : prefix.slice(0, slash);
    yield* this.walk(folderKey, prefix);
  }

  async delete(keys: readonly string[]): Promise<number> {
    // Every key is checked before anything is deleted.
    const paths = keys.map((key) => this.pathOf(key));
    let deleted = 0;
    for (const [i, path] of paths.entries()) {
      try {
        const info = await lstat(path);
        if (!info.isFile()) continue;
        await rm(path);
        deleted++;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException)?.code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        throw this.fsError('delete', keys[i]!, error);
      }
      await this.removeEmptyFolders(dirname(path));
    }
    return deleted;
  }

  /** Objects under the folder of `folderKey` whose keys start with `prefix`, in key order. */
  private async *walk(folderKey: string, prefix: string): AsyncGenerator<DatalakeObject> {
    const folder = folderKey === '' ? this.root : join(this.root, ...folderKey.split('/'));
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw this.fsError('list', folderKey || '(root)', error);
    }
    // S3 lists in key order: sort a folder as the string its keys continue with ("name/").
    const sorted = entries
      .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isDirectory()))
      .map((e) => ({ entry: e, sortKey: e.isDirectory() ? `${e.name}/` : e.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { entry } of sorted) {
      const key = folderKey === '' ? entry.name : `${folderKey}/${entry.name}`;
      if (entry.isDirectory()) {
        // Descend only where keys may still start with the prefix.
        const asPrefix = `${key}/`;
        if (asPrefix.startsWith(prefix) || prefix.startsWith(asPrefix)) {
          yield* this.walk(key, prefix);
        }
        continue;
      }
      if (!key.startsWith(prefix)) continue;
      try {
        const info = await stat(join(folder, entry.name));
        yield { key, size: info.size, modified: info.mtime };
      } catch (error) {
        // Deleted between readdir and stat: it is no longer there to list.
        if ((error as NodeJS.ErrnoException)?.code !== 'ENOENT') {
          throw this.fsError('list', key, error);
        }
      }
    }
  }

  /** Removes folders left empty by a delete, up to the root; a non-empty one stops it. */
  private async removeEmptyFolders(folder: string): Promise<void> {
    while (folder.startsWith(this.inside)) {
      try {
        await rmdir(folder);
      } catch {
        return; // not empty, already gone, or in use: all fine
      }
      folder = dirname(folder);
    }
  }

  private pathOf(key: string): string {
    checkKey(key);
    const path = join(this.root, ...key.split('/'));
    // Belt and braces: checkKey already rules out every way out of the root.
    if (!path.startsWith(this.inside)) {
      throw new BadDataError(`datalake ${this.url}: key ${key} resolves outside the root`, {
        code: 'DATALAKE_BAD_KEY',
      });
    }
    return path;
  }

  private fsError(action: string, key: string, error: unknown): Error {
    const code = (error as NodeJS.ErrnoException)?.code ?? 'unknown';
    const where = `datalake ${this.url}: cannot ${action} ${key}`;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
      return new BadDataError(
        `${where}: no such object; re-run the step that writes it (downloadScene for raw/, maskScene for clean/)`,
        { code: 'DATALAKE_MISSING', cause: error },
      );
    }
    const message = `${where} (${code}: ${(error as Error)?.message ?? error})`;
    return TRANSIENT_FS_CODES.has(code)
      ? new TransientError(message, { code: `FS_${code}`, cause: error })
      : new BadDataError(`${message}; check the folder and its permissions`, {
          code: `FS_${code}`,
          cause: error,
        });
  }
}

/** Removes temporary files of `name` that a crashed writer left behind (see STALE_PARTIAL_MS). */
async function removeStalePartials(dir: string, name: string): Promise<void> {
  const start = `.${name}.`;
  const now = Date.now();
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith(start) || !entry.endsWith(PARTIAL_SUFFIX)) continue;
    const path = join(dir, entry);
    try {
      if (now - (await lstat(path)).mtimeMs > STALE_PARTIAL_MS) await rm(path, { force: true });
    } catch {
      // Renamed or removed meanwhile by its own writer: nothing to clean.
    }
  }
}
