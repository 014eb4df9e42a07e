import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binCacheDir } from './paths';

/** A tool we need as a binary, and every way to get it. */
export interface BinarySpec {
  name: string;
  version: string;
  /** Environment variable that points at a binary to use as is. */
  pathVariable: string;
  /** `go install` target; the route on machines with Go and the Go module proxy. */
  goPackage: string;
  /** Official release archive (tar.gz holding the binary), for machines with internet but no Go. */
  downloadUrl: (platform: string, arch: string) => string;
}

export const TEMPORAL_CLI: BinarySpec = {
  name: 'temporal',
  // Newer tags carry `replace` directives and cannot be built with `go install pkg@version`.
  version: '1.5.1',
  pathVariable: 'TEMPORAL_CLI_PATH',
  goPackage: 'github.com/temporalio/cli/cmd/temporal@v1.5.1',
  downloadUrl: (platform, arch) =>
    `https://temporal.download/cli/archive/v1.5.1?platform=${platform}&arch=${arch}`,
};

export const VERSITYGW: BinarySpec = {
  name: 'versitygw',
  version: '1.7.0',
  pathVariable: 'VERSITYGW_PATH',
  goPackage: 'github.com/versity/versitygw/cmd/versitygw@v1.7.0',
  downloadUrl: (platform, arch) =>
    `https://github.com/versity/versitygw/releases/download/v1.7.0/versitygw_v1.7.0_${platform === 'darwin' ? 'Darwin' : 'Linux'}_${arch === 'arm64' ? 'arm64' : 'x86_64'}.tar.gz`,
};

export interface ResolvedBinary {
  path: string;
  /** How it was found: env, PATH, cache, built with Go, downloaded. */
  source: 'env' | 'path' | 'cache' | 'go' | 'download';
}

/**
 * Finds or installs a binary: the env variable, then PATH, then the cache
 * (~/.cache/parcelwatch/bin), then `go install` into the cache, then the official download.
 * Installing happens once per machine; every later call is a file check.
 */
export async function ensureBinary(
  spec: BinarySpec,
  log: (message: string) => void = () => undefined,
): Promise<ResolvedBinary> {
  const fromEnv = process.env[spec.pathVariable];
  if (fromEnv) {
    if (!existsSync(fromEnv))
      throw new Error(
        `${spec.pathVariable}=${fromEnv} does not exist; unset it or point it at the ${spec.name} binary`,
      );
    return { path: fromEnv, source: 'env' };
  }
  const onPath = which(spec.name);
  if (onPath) return { path: onPath, source: 'path' };

  const cacheDir = binCacheDir();
  const cached = path.join(cacheDir, spec.name);
  const marker = `${cached}.version`;
  if (
    existsSync(cached) &&
    existsSync(marker) &&
    readFileSync(marker, 'utf8').trim() === spec.version
  ) {
    return { path: cached, source: 'cache' };
  }
  mkdirSync(cacheDir, { recursive: true });

  const failures: string[] = [];
  if (which('go')) {
    log(
      `${spec.name}: building v${spec.version} with Go into ${cacheDir} (once per machine; a few minutes)…`,
    );
    const built = spawnSync('go', ['install', spec.goPackage], {
      env: { ...process.env, GOBIN: cacheDir, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (built.status === 0 && existsSync(cached)) {
      writeFileSync(marker, `${spec.version}\n`);
      return { path: cached, source: 'go' };
    }
    failures.push(`go install ${spec.goPackage} exited with ${built.status ?? built.signal}`);
  } else {
    failures.push('Go is not installed');
  }

  const url = spec.downloadUrl(process.platform, os.arch() === 'x64' ? 'amd64' : os.arch());
  log(`${spec.name}: downloading ${url}…`);
  try {
    await download(url, spec.name, cached);
    writeFileSync(marker, `${spec.version}\n`);
    return { path: cached, source: 'download' };
  } catch (error) {
    failures.push(`download of ${url} failed: ${(error as Error).message}`);
  }
  throw new Error(
    `Cannot provide ${spec.name} v${spec.version}: ${failures.join('; ')}. Install it yourself and put it on PATH, or set ${spec.pathVariable} to its path.`,
  );
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function download(url: string, binaryName: string, destination: string): Promise<void> {
  const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(300_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const work = mkdtempSync(path.join(os.tmpdir(), `parcelwatch-${binaryName}-`));
  try {
    const archive = path.join(work, 'archive.tar.gz');
    writeFileSync(archive, Buffer.from(await response.arrayBuffer()));
    execFileSync('tar', ['-xzf', archive, '-C', work]);
    const found = execFileSync('find', [work, '-type', 'f', '-name', binaryName], {
      encoding: 'utf8',
    }).split('\n')[0];
    if (!found) throw new Error(`the archive holds no ${binaryName}`);
    const staged = `${destination}.partial`;
    copyFileSync(found, staged);
    chmodSync(staged, 0o755);
    renameSync(staged, destination);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
