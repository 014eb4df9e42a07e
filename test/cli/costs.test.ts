import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CostReport } from '../../src/cli/commands/costs';
import { FileDatalake } from '../../src/store/datalake/file-datalake';
import type { Database } from '../../src/store/db/database';
import { tempDir } from '../core/raster/gdal';
import { runCli } from '../helpers/cli';
import { COST_PERIOD, COST_RUNS, expectedUsage, seedCostRuns } from '../store/db/cost-runs';
import { isolatedDatabase } from '../store/db/isolated-schema';

const SCHEMA = 'cli_costs';

describe('parcelwatch costs', function () {
  this.timeout(300_000);
  let db: Database & { url: string };
  let tmp: ReturnType<typeof tempDir>;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(['costs', ...args], env);

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    await seedCostRuns(db);
    tmp = tempDir('parcelwatch-costs-');
    const lake = new FileDatalake(join(tmp.dir, 'lake'));
    await lake.put(
      'raw/33TWL/2026-01-05/S2B_33TWL_20260105_0_L2A/g1/B04.tif',
      new Uint8Array(4096),
    );
    await lake.put('raw/33TWL/2026-01-05/S2B_33TWL_20260105_0_L2A/g1/B08.tif', new Uint8Array(904));
    await lake.put('archive/observations/2025-01/ndvi/parcels-1-10.csv.gz', new Uint8Array(77));
    env = {
      DATABASE_URL: db.url,
      PARCELWATCH_DB_SCHEMA: SCHEMA,
      DATALAKE_URL: join(tmp.dir, 'lake'),
    };
  });
  after(async () => {
    tmp?.remove();
    await db?.close();
  });

  it('prints the report as JSON: monthly sums as recorded, storage summing to its total, the datalake per prefix', async () => {
    const result = await cli(
      '--since',
      '2026-01-01',
      '--until',
      '2026-02-28',
      '--datalake',
      '--json',
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as CostReport;
    assert.deepEqual(Object.keys(report), [
      'environment',
      'period',
      'compute',
      'database',
      'datalake',
    ]);
    assert.deepEqual(report.period, { since: '2026-01-01', until: '2026-02-28' });
    const expected = expectedUsage(
      COST_RUNS,
      COST_PERIOD,
      (r) => `${r.start.slice(0, 7)} ${r.kind}`,
    );
    assert.deepEqual(
      Object.fromEntries(
        report.compute.months.map(({ month, kind, ...usage }) => [`${month} ${kind}`, usage]),
      ),
      Object.fromEntries(expected),
    );
    assert.equal(report.compute.total.runs, 9);
    assert.equal(typeof report.compute.total.bytesDownloaded, 'number');

    const d = report.database;
    assert.equal(d.schema, SCHEMA);
    assert.equal(d.refused, null);
    assert.ok(Number.isInteger(d.totalBytes) && (d.totalBytes ?? 0) > 0);
    assert.equal(
      d.groups.reduce((sum, g) => sum + g.bytes, 0),
      d.totalBytes,
    );
    assert.equal(
      d.tables.reduce((sum, t) => sum + t.bytes, 0),
      d.totalBytes,
    );
    assert.deepEqual(d.tables.find((t) => t.table === 'parcel_weekly')?.datasets, ['weekly']);

    assert.deepEqual(report.datalake?.prefixes, [
      { prefix: 'raw/', objects: 2, bytes: 5000, datasets: [] },
      { prefix: 'clean/', objects: 0, bytes: 0, datasets: [] },
      { prefix: 'archive/', objects: 1, bytes: 77, datasets: ['observations-archive'] },
    ]);
    assert.deepEqual([report.datalake?.objects, report.datalake?.bytes], [3, 5077]);
  });

  it('prints readable tables, leaving the datalake out unless asked', async () => {
    const result = await cli('--since', '2026-01-01', '--until', '2026-02-28');
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.match(
      out,
      /^parcelwatch costs \(environment dev\): runs started 2026-01-01 \.\. 2026-02-28 \(UTC\)/,
    );
    assert.match(
      out,
      /\nmonth +kind +runs +running +failed +wall time +mean wall +downloaded +parcels observed\n/,
    );
    // January's weekly runs: 3 runs, 1 failed, 10 510.75 s, 5 001 234 609 bytes, 430 parcels.
    assert.match(out, /\n2026-01 +weekly +3 +0 +1 +2 h 55 min +58 min 24 s +4\.7 GiB +430\n/);
    assert.match(out, /\n2026-02 +weekly +3 +1 +0 +2 h 20 min +1 h 10 min +6\.8 KiB +312\n/);
    assert.match(out, /\n2026-01 +check +1 +0 +0 +1\.8 s +1\.8 s +0 B +0\n/);
    assert.match(out, /\ntotal +all +9 +1 +1 /);
    assert.match(out, new RegExp(`\\nStorage in PostgreSQL, schema ${SCHEMA}: \\d`));
    assert.match(out, /\nndmi, ndvi +\d[\d.]* (B|KiB|MiB) +\d+ +parcel_observations\n/);
    assert.match(out, /\nparcel_observations +\d[\d.]* (KiB|MiB) +\d+ +\d+ +ndmi, ndvi\n/);
    assert.match(out, /\nStorage in the datalake: not counted; add --datalake/);

    const lake = await cli('--since', '2026-01-01', '--datalake');
    assert.equal(lake.code, 0, lake.stderr);
    assert.match(lake.stdout, /\nStorage in the datalake file:\/\/.*: 5\.0 KiB in 3 objects\n/);
    assert.match(lake.stdout, /\nprefix +objects +size +bytes +datasets\n/);
    assert.match(lake.stdout, /\narchive\/ +1 +77 B +77 +observations-archive\n/);
  });

  it('refuses a --since that is not a calendar day, and an --until before it, with exit code 2', async () => {
    const bad = await cli('--since', '2026-02-30');
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--since "2026-02-30" is not a calendar day written YYYY-MM-DD \(UTC\), e\.g\. 2026-01-01/,
    );
    assert.equal(bad.stdout, '');
    const loose = await cli('--since', '2026-1-5', '--json');
    assert.equal(loose.code, 2);
    assert.match(loose.stderr, /--since "2026-1-5" is not a calendar day/);
    const backwards = await cli('--since', '2026-03-01', '--until', '2026-02-01');
    assert.equal(backwards.code, 2);
    assert.match(
      backwards.stderr,
      /--until 2026-02-01 is before --since 2026-03-01; give an --until on or after the --since day/,
    );
    const early = await cli('--until', '2020-01-31');
    assert.equal(early.code, 2);
    assert.match(
      early.stderr,
      /--until 2020-01-31 is before the default --since \d{4}-\d{2}-01 \(6 months back\); give --since too/,
    );
  });

  it('defaults --since to the first of the month six months back', async () => {
    const monthsBack = (at: Date) =>
      new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 6, 1)).toISOString().slice(0, 10);
    const before = monthsBack(new Date());
    const result = await cli('--json');
    const after = monthsBack(new Date());
    assert.equal(result.code, 0, result.stderr);
    const { period } = JSON.parse(result.stdout) as CostReport;
    // A month may turn while the command runs.
    assert.ok([before, after].includes(period.since), `${period.since} is ${before}`);
    assert.equal(period.until, null);
  });
});
