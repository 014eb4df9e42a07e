import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileDatalake } from '../../../src/store/datalake/file-datalake';
import { tallyDatalake } from '../../../src/store/datalake/tally';
import { tempDir } from '../../core/raster/gdal';

/** Objects written by the test: key → size in bytes. */
const OBJECTS: Record<string, number> = {
  'raw/33TWL/2026-01-05/S2B_33TWL_20260105_0_L2A/g1/B04.tif': 10_000,
  'raw/33TWL/2026-01-05/S2B_33TWL_20260105_0_L2A/g1/B08.tif': 12_345,
  'raw/33TWL/2026-01-10/S2A_33TWL_20260110_0_L2A/g2/SCL.tif': 1,
  'clean/33TWL/2026-01-05/S2B_33TWL_20260105_0_L2A/g1/B04.tif': 7_777,
  'exports/2026-01/series.csv': 300,
  'notes.txt': 42,
};

describe('datalake tally (file datalake)', () => {
  let tmp: ReturnType<typeof tempDir>;

  beforeEach(() => {
    tmp = tempDir('parcelwatch-tally-');
  });
  afterEach(() => tmp.remove());

  it('counts objects and bytes per top-level prefix, the layout prefixes first even when empty', async () => {
    const lake = new FileDatalake(join(tmp.dir, 'lake'));
    for (const [key, size] of Object.entries(OBJECTS)) await lake.put(key, new Uint8Array(size));
    const expected = new Map<string, { objects: number; bytes: number }>();
    for (const [key, size] of Object.entries(OBJECTS)) {
      const prefix = key.includes('/') ? `${key.split('/')[0]}/` : '';
      const t = expected.get(prefix) ?? { objects: 0, bytes: 0 };
      expected.set(prefix, { objects: t.objects + 1, bytes: t.bytes + size });
    }

    const tally = await tallyDatalake(lake);
    assert.equal(tally.url, lake.url);
    assert.deepEqual(tally.prefixes, [
      { prefix: 'raw/', ...expected.get('raw/') },
      { prefix: 'clean/', ...expected.get('clean/') },
      { prefix: 'archive/', objects: 0, bytes: 0 },
      { prefix: '', ...expected.get('') },
      { prefix: 'exports/', ...expected.get('exports/') },
    ]);
    assert.deepEqual(tally.prefixes[0], { prefix: 'raw/', objects: 3, bytes: 22_346 });
    assert.equal(tally.objects, Object.keys(OBJECTS).length);
    assert.equal(
      tally.bytes,
      Object.values(OBJECTS).reduce((a, b) => a + b, 0),
    );
  });

  it('leaves out files being written, as the datalake does', async () => {
    const root = join(tmp.dir, 'lake');
    const lake = new FileDatalake(root);
    await lake.put('archive/observations/2025-01/ndvi/parcels-1-10.csv.gz', new Uint8Array(64));
    writeFileSync(join(root, 'archive', `.parcels-2.csv.gz.${process.pid}.abc.partial`), 'xxxx');
    const tally = await tallyDatalake(lake);
    assert.deepEqual(tally.prefixes[2], { prefix: 'archive/', objects: 1, bytes: 64 });
    assert.deepEqual([tally.objects, tally.bytes], [1, 64]);
  });

  it('reports an empty datalake (no folder yet) as zero everywhere', async () => {
    const tally = await tallyDatalake(new FileDatalake(join(tmp.dir, 'none')));
    assert.deepEqual(tally.prefixes, [
      { prefix: 'raw/', objects: 0, bytes: 0 },
      { prefix: 'clean/', objects: 0, bytes: 0 },
      { prefix: 'archive/', objects: 0, bytes: 0 },
    ]);
    assert.deepEqual([tally.objects, tally.bytes], [0, 0]);
  });
});
