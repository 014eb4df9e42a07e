import { spawn } from 'node:child_process';
import path from 'node:path';
import { keepOutput } from './secrets';
import { REPO_ROOT } from './services';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Variables a test's child processes must not inherit from the developer's shell. */
const ISOLATED = [
  'DATABASE_URL',
  'TEMPORAL_ADDRESS',
  'PARCELWATCH_DB_SCHEMA',
  'DATALAKE_URL',
  'STAC_API_URL',
  'TEMPORAL_NAMESPACE',
  'PARCELWATCH_ENV',
];

/** Runs a command of this repo (the `parcelwatch` CLI or a script) in a child process. */
export function runNode(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 180_000,
): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ISOLATED) delete childEnv[name];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', ...args], {
      cwd: REPO_ROOT,
      env: childEnv,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      // Kept for the run's secret check (test/helpers/secrets.ts).
      keepOutput(args.map((a) => path.basename(a)).join(' '), `${stdout}\n${stderr}`);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `parcelwatch ARGS` from the sources. */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return runNode([path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], env);
}
