import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, isListening } from '../../scripts/provision/ports';
import { runNode } from '../helpers/cli';
import { REPO_ROOT } from '../helpers/services';

describe('demo command on embedded defaults (smoke test)', function () {
  this.timeout(300_000);

  it('runs the main job on embedded defaults: PGlite + PostGIS, Temporal with its UI, local STAC API, worker, a backfill, a weekly NDVI table', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pw-demo-'));
    const ports = {
      PARCELWATCH_PG_PORT: String(await freePort()),
      PARCELWATCH_TEMPORAL_PORT: String(await freePort()),
      PARCELWATCH_TEMPORAL_UI_PORT: String(await freePort()),
      PARCELWATCH_STAC_PORT: String(await freePort()),
    };
    try {
      // No DATABASE_URL, no TEMPORAL_ADDRESS: the demo must provide both itself.
      const result = await runNode([path.join(REPO_ROOT, 'scripts/demo.ts'), '--down'], {
        PARCELWATCH_HOME: home,
        ...ports,
      });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.match(
        result.stdout,
        new RegExp(
          `embedded PostgreSQL \\(PGlite \\+ PostGIS\\): postgres://postgres@127\\.0\\.0\\.1:${ports.PARCELWATCH_PG_PORT}/postgres — started`,
        ),
      );
      assert.match(
        result.stdout,
        new RegExp(`Web UI http://127\\.0\\.0\\.1:${ports.PARCELWATCH_TEMPORAL_UI_PORT} — started`),
      );
      // A backfill of the synthetic weeks ran through Temporal and filled the weekly table.
      for (const week of ['2024-W19', '2024-W20', '2024-W21', '2024-W22']) {
        assert.match(result.stdout, new RegExp(`${week}: completed, [1-9]\\d* observations`));
      }
      assert.match(result.stdout, /Weekly NDVI \(first 12 parcels/);
      // The third week is fully clouded: its values are interpolated.
      assert.match(result.stdout, /P0001 .* 0\.\d\d +~0\.\d\d +0\.\d\d/);
      assert.match(result.stdout, /parcelwatch demo is up/);
      // --down stopped everything it started.
      assert.equal(await isListening(Number(ports.PARCELWATCH_PG_PORT)), false);
      assert.equal(await isListening(Number(ports.PARCELWATCH_TEMPORAL_PORT)), false);
    } finally {
      await runNode([path.join(REPO_ROOT, 'scripts/provision.ts'), 'down', '--for', 'demo'], {
        PARCELWATCH_HOME: home,
      });
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('fails fast naming the variable when a demo port is taken', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pw-demo-'));
    const net = await import('node:net');
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const taken = (blocker.address() as import('node:net').AddressInfo).port;
    try {
      const result = await runNode([path.join(REPO_ROOT, 'scripts/demo.ts')], {
        PARCELWATCH_HOME: home,
        PARCELWATCH_PG_PORT: String(taken),
      });
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(
          `Embedded PostgreSQL: port ${taken} is already taken by another process; set PARCELWATCH_PG_PORT to a free port`,
        ),
      );
    } finally {
      blocker.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
