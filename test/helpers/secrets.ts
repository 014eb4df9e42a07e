/**
 * The secrets of a test run and the logs it captured, for the check that no secret value appears
 * in any log line (issue 7: "checked by grepping the captured logs for the configured secrets").
 *
 * - Secrets: sentinel values the run sets where setting them changes nothing else (the test
 *   database password, AWS_SECRET_ACCESS_KEY), the secrets the environment configured, and those
 *   tests make on the way (S3 server keys, API keys) — each registered here by name.
 * - Logs: everything the mocha process writes (its own output and in-process JSON logs), the
 *   output of every child process run through `runNode` or `spawnWorker`, and the `*.log` files
 *   of the run's folder (Temporal dev server, daemons) — under test-output/logs/.
 *
 * test/setup/secret-leak-check.ts sets it up when mocha starts and scans it when mocha ends.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './services';

/** Where the logs of all runs are captured, one folder per mocha process. */
export const LOGS_ROOT = path.join(REPO_ROOT, 'test-output', 'logs');
/** This run's folder (two runs at once never mix their logs). */
export const LOG_DIR = path.join(LOGS_ROOT, `run-${process.pid}`);
const CHILDREN_DIR = path.join(LOG_DIR, 'children');

/** Values planted by the run; each must never be seen in a log. */
export const SENTINELS = {
  databasePassword: 'sentinel-db-password-6f1c2a9e',
  awsSecretAccessKey: 'sentinel-aws-secret-9d4e7b21',
  temporalApiKey: 'sentinel-temporal-api-key-3b8f0c57',
  webhookToken: 'sentinel-webhook-token-a7c2e5d4',
} as const;

/** Shorter values would match ordinary text. */
const MIN_SECRET_LENGTH = 8;
const secrets = new Map<string, string>();

/** Adds a secret value (its name says where it came from; only the name is ever reported). */
export function registerSecret(name: string, value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) secrets.set(value, name);
}

export function forgetSecret(value: string): void {
  secrets.delete(value);
}

/** The registered secrets, each with the forms it may take in text (URL-encoded). */
export function registeredSecrets(): Array<{ name: string; forms: string[] }> {
  return [...secrets].map(([value, name]) => ({
    name,
    forms: [...new Set([value, encodeURIComponent(value)])],
  }));
}

let sequence = 0;

/** Keeps a child process's output with the run's logs (`label` says which command it was). */
export function keepOutput(label: string, output: string): void {
  sequence += 1;
  const slug = label.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
  try {
    mkdirSync(CHILDREN_DIR, { recursive: true });
    writeFileSync(
      path.join(CHILDREN_DIR, `${String(sequence).padStart(4, '0')}-${slug}.log`),
      output,
    );
  } catch {
    // The capture must never fail a test; a lost file only narrows the check.
  }
}

export interface Leak {
  secret: string;
  file: string;
  line: number;
}

/**
 * Every line of the files under `dirs` holding a registered secret: all files of the log folder,
 * only `*.log` files elsewhere (run folders also hold rasters and databases).
 */
export function findLeaks(dirs: string[]): Leak[] {
  const known = registeredSecrets();
  const leaks: Leak[] = [];
  for (const file of dirs.flatMap((dir) => filesUnder(dir, dir === LOG_DIR))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const { name, forms } of known) {
        if (forms.some((form) => line.includes(form))) {
          leaks.push({ secret: name, file: path.relative(REPO_ROOT, file), line: i + 1 });
        }
      }
    });
  }
  return leaks;
}

function filesUnder(dir: string, every: boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const file = path.join(dir, name);
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return [];
    if (stat.isDirectory()) return filesUnder(file, every);
    return every || name.endsWith('.log') ? [file] : [];
  });
}
