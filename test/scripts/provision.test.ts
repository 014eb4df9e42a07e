import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  type BinarySpec,
  ensureBinary,
  TEMPORAL_CLI,
  VERSITYGW,
} from '../../scripts/provision/binaries';
import { freePort, isListening, isPortFree } from '../../scripts/provision/ports';
import { isAlive, runningPid, startDaemon, stopDaemon } from '../../scripts/provision/process';
import { startTemporalDevServer } from '../../scripts/provision/temporal-server';

const FAKE: BinarySpec = {
  name: 'parcelwatch-fake-tool',
  version: '9.9.9',
  pathVariable: 'PARCELWATCH_FAKE_TOOL_PATH',
  goPackage: 'example.invalid/fake/cmd/tool@v9.9.9',
  downloadUrl: () => 'http://127.0.0.1:9/fake-tool.tar.gz',
};

function withEnv<T>(changes: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(changes).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

describe('provisioning', function () {
  this.timeout(120_000);
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'pw-provision-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  describe('binaries', () => {
    it('reuses the Temporal CLI and versitygw installed by the first run instead of building again', async () => {
      for (const spec of [TEMPORAL_CLI, VERSITYGW]) {
        const found = await ensureBinary(spec);
        assert.ok(
          ['cache', 'path', 'env'].includes(found.source),
          `${spec.name} came from ${found.source}`,
        );
      }
    });

    it('takes a cached binary only when its version marker matches', async () => {
      const cache = path.join(scratch, 'cache');
      mkdirSync(path.join(cache, 'bin'), { recursive: true });
      const binary = path.join(cache, 'bin', FAKE.name);
      writeFileSync(binary, '#!/bin/sh\n');
      chmodSync(binary, 0o755);
      writeFileSync(`${binary}.version`, '9.9.9\n');
      await withEnv({ PARCELWATCH_CACHE_DIR: cache }, async () => {
        assert.deepEqual(await ensureBinary(FAKE), { path: binary, source: 'cache' });
      });
      writeFileSync(`${binary}.version`, '1.0.0\n');
      await withEnv({ PARCELWATCH_CACHE_DIR: cache, PATH: '/nonexistent' }, async () => {
        await assert.rejects(
          ensureBinary(FAKE),
          /Cannot provide parcelwatch-fake-tool v9\.9\.9: Go is not installed; download of http:\/\/127\.0\.0\.1:9\/fake-tool\.tar\.gz failed: .*Install it yourself and put it on PATH, or set PARCELWATCH_FAKE_TOOL_PATH to its path/,
        );
      });
    });

    it('uses the path given in the environment, and refuses one that does not exist', async () => {
      const binary = path.join(scratch, 'tool');
      writeFileSync(binary, '');
      await withEnv({ PARCELWATCH_FAKE_TOOL_PATH: binary }, async () => {
        assert.deepEqual(await ensureBinary(FAKE), { path: binary, source: 'env' });
      });
      await withEnv({ PARCELWATCH_FAKE_TOOL_PATH: path.join(scratch, 'missing') }, async () => {
        await assert.rejects(
          ensureBinary(FAKE),
          /PARCELWATCH_FAKE_TOOL_PATH=.*missing does not exist/,
        );
      });
    });
  });

  describe('daemons and ports', () => {
    it('starts a background process with a pid file and stops it', async () => {
      const pidFile = path.join(scratch, 'sleep.pid');
      const pid = startDaemon({
        name: 'sleep',
        command: 'sleep',
        args: ['60'],
        logFile: path.join(scratch, 'sleep.log'),
        pidFile,
      });
      assert.equal(runningPid(pidFile), pid);
      assert.equal(await stopDaemon(pidFile), pid);
      assert.equal(isAlive(pid), false);
      assert.equal(runningPid(pidFile), undefined);
    });

    it('tells a taken port from a free one', async () => {
      const server = net.createServer().listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const port = (server.address() as net.AddressInfo).port;
      try {
        assert.equal(await isPortFree(port), false);
        assert.equal(await isListening(port), true);
      } finally {
        server.close();
      }
      assert.equal(await isPortFree(await freePort()), true);
    });
  });

  describe('Temporal dev server', () => {
    it('starts once, is reused by a second call, and refuses a taken port naming the variable', async () => {
      const binary = (await ensureBinary(TEMPORAL_CLI)).path;
      const pidFile = path.join(scratch, 'temporal.pid');
      const port = await freePort();
      const options = { binary, port, logFile: path.join(scratch, 'temporal.log'), pidFile };
      const first = await startTemporalDevServer(options);
      try {
        assert.equal(first.started, true);
        const second = await startTemporalDevServer(options);
        assert.deepEqual(second, { ...first, started: false });

        await assert.rejects(
          startTemporalDevServer({ ...options, pidFile: path.join(scratch, 'other.pid') }),
          new RegExp(
            `Temporal dev server: port ${port} is already taken by another process; set PARCELWATCH_TEMPORAL_PORT to a free port`,
          ),
        );
      } finally {
        await stopDaemon(pidFile);
      }
      assert.equal(isAlive(first.pid), false);
    });
  });
});
