import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, isListening } from '../../scripts/provision/ports';
import { runCli, runNode } from '../helpers/cli';
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
      PARCELWATCH_API_PORT: String(await freePort()),
    };
    const down = () =>
      runNode([path.join(REPO_ROOT, 'scripts/provision.ts'), 'down', '--for', 'demo'], {
        PARCELWATCH_HOME: home,
      });
    try {
      // No DATABASE_URL, no TEMPORAL_ADDRESS: the demo must provide both itself.
      const result = await runNode([path.join(REPO_ROOT, 'scripts/demo.ts')], {
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

      // The API serves the demo's parcels with the key the demo saved (owner-only), none without.
      const api = `http://127.0.0.1:${ports.PARCELWATCH_API_PORT}`;
      const keyFile = path.join(home, 'api-key');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      const key = readFileSync(keyFile, 'utf8').trim();
      assert.match(result.stdout, new RegExp(`Web map +${api}/#key=${key}`));
      assert.equal((await fetch(`${api}/v1/parcels?limit=1`)).status, 401);
      const page = await fetch(`${api}/v1/parcels?limit=5&source=demo`, {
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(page.status, 200);
      const body = (await page.json()) as { items: Array<{ source: string; watched: boolean }> };
      assert.equal(body.items.length, 5);
      assert.ok(body.items.every((p) => p.source === 'demo' && p.watched));

      // What the demo did is in the audit log, as the CLI would have recorded it.
      const audit = await runCli(['audit', 'list', '--actor', 'demo', '--json'], {
        DATABASE_URL: `postgres://postgres@127.0.0.1:${ports.PARCELWATCH_PG_PORT}/postgres`,
        PARCELWATCH_HOME: home,
      });
      assert.equal(audit.code, 0, audit.stderr);
      const entries = JSON.parse(audit.stdout) as Array<{ action: string; target: string }>;
      assert.deepEqual(entries.map((e) => e.action).sort(), [
        'api-key.create',
        'backfill.start',
        'parcels.import',
        'parcels.watch',
        'team.add',
      ]);

      // stack:down stops everything the demo started, the API included.
      const stopped = await down();
      assert.equal(stopped.code, 0, stopped.stderr);
      for (const port of Object.values(ports))
        assert.equal(await isListening(Number(port)), false, port);
    } finally {
      await down();
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
