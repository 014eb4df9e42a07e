import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Database } from '../../src/store/db/database';
import { runCli } from '../helpers/cli';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { feature, scratchDir, square, writeCollection } from '../store/import/parcel-files';

const SCHEMA = 'cli_parcels_missing';

describe('parcelwatch parcels import --unwatch-missing', function () {
  this.timeout(300_000);
  let db: Database & { url: string };
  let env: Record<string, string>;
  const dir = scratchDir();
  const cli = (...args: string[]) => runCli(['parcels', ...args], env);
  const collection = (name: string, ids: string[], lon: number) =>
    writeCollection(dir, name, {
      type: 'FeatureCollection',
      features: ids.map((id, i) => feature(id, square(lon + i * 0.01, 51), { crop: 'wheat' })),
    });
  const watched = async () =>
    (
      await db.pool.query<{ parcel: string }>(
        `SELECT source || '/' || external_id AS parcel FROM parcels WHERE watched
          ORDER BY source, external_id`,
      )
    ).rows.map((r) => r.parcel);
  const parcelCount = async () =>
    (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM parcels')).rows[0].n;

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    env = { DATABASE_URL: db.url, PARCELWATCH_DB_SCHEMA: SCHEMA };
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.close();
  });

  it('unwatches the parcels gone from the file, says how many, and a dry run only counts', async () => {
    for (const [file, source] of [
      [collection('brp-2024.geojson', ['A', 'B', 'C'], 6), 'brp'],
      [collection('other.geojson', ['X', 'Y'], 6.5), 'other'],
    ]) {
      const imported = await cli('import', file, '--source', source, '--no-progress');
      assert.equal(imported.code, 0, imported.stderr);
      assert.doesNotMatch(
        imported.stdout,
        /unwatched/,
        'without the flag the line says nothing of it',
      );
      const watching = await cli('watch', '--source', source);
      assert.equal(watching.code, 0, watching.stderr);
    }
    const all = ['brp/A', 'brp/B', 'brp/C', 'other/X', 'other/Y'];
    assert.deepEqual(await watched(), all);
    const v2 = collection('brp-2025.geojson', ['A', 'B'], 6);

    const dry = await cli(
      'import',
      v2,
      '--source',
      'brp',
      '--unwatch-missing',
      '--dry-run',
      '--no-progress',
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /dry run \(rolled back\): would have read 2, inserted 0, updated 0, unchanged 2, repaired 0, unwatched 1 missing from the file in/,
    );
    assert.deepEqual(await watched(), all);

    const real = await cli('import', v2, '--source', 'brp', '--unwatch-missing', '--json');
    assert.equal(real.code, 0, real.stderr);
    const summary = JSON.parse(real.stdout);
    assert.deepEqual([summary.unchanged, summary.unwatched, summary.dryRun], [2, 1, false]);
    assert.deepEqual(await watched(), ['brp/A', 'brp/B', 'other/X', 'other/Y']);
    assert.equal(await parcelCount(), 5, 'nothing is deleted');

    const again = await cli('import', v2, '--source', 'brp', '--unwatch-missing', '--no-progress');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /unchanged 2, repaired 0, unwatched 0 missing from the file/);
  });

  it('documents --unwatch-missing in the help, with an example', async () => {
    const help = await cli('import', '--help');
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--unwatch-missing +unwatch the source's watched parcels/);
    assert.match(help.stdout, /\$ parcelwatch parcels import .* --unwatch-missing/);
  });
});
