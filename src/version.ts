import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from './package-root';

let cached: string | undefined;

/**
 * The code version recorded with runs: the package version plus the git commit when known
 * (PARCELWATCH_GIT_COMMIT in images built without .git, else `git rev-parse` of the checkout).
 */
export function codeVersion(): string {
  if (cached) return cached;
  const root = packageRoot();
  const { version } = require(path.join(root, 'package.json')) as { version: string };
  let commit = process.env.PARCELWATCH_GIT_COMMIT;
  if (!commit) {
    try {
      commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      commit = undefined;
    }
  }
  cached = commit ? `${version}+${commit}` : version;
  return cached;
}
