import { existsSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/**
 * The folder of parcelwatch's package.json, where `db/migrations` and the package metadata live:
 * `src/..` when run from a checkout, `dist/src/../..` from a build (the Docker image).
 */
export function packageRoot(): string {
  if (cached) return cached;
  for (let dir = path.resolve(__dirname, '..'); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && (require(file) as { name?: string }).name === 'parcelwatch') {
      cached = dir;
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`parcelwatch: no package.json above ${__dirname}; reinstall the package`);
    }
  }
}
