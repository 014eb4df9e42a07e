import { spawnSync } from 'node:child_process';

/** A Debian package the tests need, and the command that proves it is there. */
export interface SystemTool {
  command: string;
  debianPackage: string;
  why: string;
}

export const GDAL: SystemTool = {
  command: 'gdalinfo',
  debianPackage: 'gdal-bin',
  why: 'tests compare our COG reads and writes with GDAL',
};

export const CHROMIUM: SystemTool = {
  command: 'chromium',
  debianPackage: 'chromium',
  why: 'the web page is tested end to end in headless Chromium',
};

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Installs the tool's package with apt-get when missing and we are root; else says what to do. */
export function ensureSystemTool(
  tool: SystemTool,
  log: (message: string) => void,
): 'present' | 'installed' {
  if (onPath(tool.command)) return 'present';
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new Error(
      `${tool.command} is missing (${tool.why}); install the ${tool.debianPackage} package (or its equivalent) and re-run`,
    );
  }
  log(`${tool.debianPackage}: installing with apt-get (${tool.why})…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = spawnSync('apt-get', ['install', '-y', '-q', tool.debianPackage], {
    stdio: 'inherit',
    env,
  });
  if (result.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
    result = spawnSync('apt-get', ['install', '-y', '-q', tool.debianPackage], {
      stdio: 'inherit',
      env,
    });
  }
  if (result.status !== 0 || !onPath(tool.command)) {
    throw new Error(`apt-get install ${tool.debianPackage} failed; install it yourself and re-run`);
  }
  return 'installed';
}
