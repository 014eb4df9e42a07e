/**
 * A real S3-compatible server for tests: versitygw (found or built by the provisioning code) over a
 * temporary directory, on a free port of 127.0.0.1, with throwaway keys and one bucket. `stop()`
 * kills it and removes the directory; `kill()` and `restart()` simulate a crash and a recovery.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ensureBinary, VERSITYGW } from '../../scripts/provision/binaries';
import { freePort } from '../../scripts/provision/ports';
import { isAlive, runningPid, stopDaemon } from '../../scripts/provision/process';
import { type S3ServerOptions, startS3Server } from '../../scripts/provision/s3-server';
import { registerSecret } from './secrets';

const REGION = 'us-east-1';

export interface Versitygw {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** A client signed with the server's keys, path-style. */
  client: S3Client;
  /** Where the posix backend keeps the objects (bucket = first-level folder). */
  root: string;
  /** Kills the server with SIGKILL, as a crash would: no graceful end of requests in flight. */
  kill(): Promise<void>;
  /** Starts it again on the same port, directory and keys (after `kill`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startVersitygw(options: { bucket?: string } = {}): Promise<Versitygw> {
  const binary = await ensureBinary(VERSITYGW);
  const scratch = mkdtempSync(path.join(tmpdir(), 'parcelwatch-s3-'));
  const root = path.join(scratch, 'data');
  const pidFile = path.join(scratch, 'versitygw.pid');
  const accessKeyId = `test${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  registerSecret('versitygw secret access key', secretAccessKey);
  const serverOptions: S3ServerOptions = {
    binary: binary.path,
    port: await freePort(),
    dataDir: root,
    accessKey: accessKeyId,
    secretKey: secretAccessKey,
    logFile: path.join(scratch, 'versitygw.log'),
    pidFile,
  };
  const { endpoint } = await startS3Server(serverOptions);
  const client = new S3Client({
    region: REGION,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  const stop = async () => {
    client.destroy();
    await stopDaemon(pidFile, 5000);
    rmSync(scratch, { recursive: true, force: true });
  };
  const kill = async () => {
    const pid = runningPid(pidFile);
    if (pid === undefined) return;
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(20);
  };
  const restart = async () => {
    await startS3Server(serverOptions);
  };
  try {
    const bucket = options.bucket ?? 'parcelwatch-test';
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return {
      endpoint,
      region: REGION,
      accessKeyId,
      secretAccessKey,
      bucket,
      client,
      root,
      kill,
      restart,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
