import { mkdirSync } from 'node:fs';
import { isListening } from './ports';
import { isAlive, startDaemon, waitUntil } from './process';

export interface S3ServerOptions {
  binary: string;
  port: number;
  dataDir: string;
  accessKey: string;
  secretKey: string;
  logFile: string;
  pidFile: string;
}

/** Starts versitygw with a posix backend on loopback and waits until it accepts connections. */
export async function startS3Server(
  options: S3ServerOptions,
): Promise<{ endpoint: string; pid: number }> {
  mkdirSync(options.dataDir, { recursive: true });
  const pid = startDaemon({
    name: 'versitygw',
    command: options.binary,
    args: [
      '--access',
      options.accessKey,
      '--secret',
      options.secretKey,
      '--port',
      `127.0.0.1:${options.port}`,
      '--quiet',
      'posix',
      options.dataDir,
    ],
    logFile: options.logFile,
    pidFile: options.pidFile,
  });
  await waitUntil('S3 server (versitygw)', () => isListening(options.port), {
    timeoutMs: 30_000,
    alive: () => isAlive(pid),
    logFile: options.logFile,
  });
  return { endpoint: `http://127.0.0.1:${options.port}`, pid };
}
