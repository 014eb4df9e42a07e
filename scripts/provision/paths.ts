import os from 'node:os';
import path from 'node:path';

/** Heavy binaries live outside the repo so every clone reuses them. */
export function binCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PARCELWATCH_CACHE_DIR) return path.resolve(env.PARCELWATCH_CACHE_DIR, 'bin');
  const base = env.XDG_CACHE_HOME
    ? path.resolve(env.XDG_CACHE_HOME)
    : path.join(os.homedir(), '.cache');
  return path.join(base, 'parcelwatch', 'bin');
}

/** Pid files and logs of the daemons one profile (demo, test) started. */
export function runDir(home: string, profile: string): string {
  return path.join(home, 'run', profile);
}
