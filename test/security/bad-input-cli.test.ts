import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { mapLimit } from '../../src/core/concurrency';
import { type CliResult, runCli } from '../helpers/cli';
import { scratchDir } from '../store/import/parcel-files';
import { type SecurityStore, securityStore } from './security-store';
import {
  assertSameStore,
  leavesStoreUnchanged,
  type StoreSnapshot,
  snapshotStore,
} from './snapshot';

/**
 * Bad-input corpus, command line: bad dates, weeks, tiles, indices, limits, boxes, ids and
 * injection strings given to `parcelwatch`, each refused with exit code 2 (bad usage) and a
 * message naming the option and the value, before any service is asked (Temporal points at a
 * closed port: reaching it would say "does not answer"), and nothing written.
 */

const importer = (name: string) => path.join(__dirname, 'corpus', 'importer', name);

interface BadCommand {
  name: string;
  args: (out: string) => string[];
  message: RegExp;
}

const BAD_COMMANDS: BadCommand[] = [
  {
    name: 'a week that does not exist',
    args: () => ['run', '--week', '2026-W99'],
    message: /--week "2026-W99" does not exist: ISO year 2026 has weeks 01 to 53/,
  },
  {
    name: 'a date given as a week',
    args: () => ['run', '--week', '2026-11-30'],
    message: /--week "2026-11-30" is not an ISO week; write it as YYYY-Www/,
  },
  {
    name: 'a tile id that is no MGRS tile',
    args: () => ['run', '--tiles', '33TWL,99ZZZ'],
    message: /--tiles: "99ZZZ" is not a Sentinel-2 \/ MGRS tile id/,
  },
  {
    name: 'an unknown index',
    args: () => ['run', '--index', 'ndvi,nvdi'],
    message: /--index: Unknown index nvdi; choose among ndvi, ndmi/,
  },
  {
    name: 'a backfill whose weeks run backwards',
    args: () => ['backfill', '--from', '2026-W10', '--to', '2026-W01'],
    message: /--from 2026-W10 is after --to 2026-W01; give the earlier week first/,
  },
  {
    name: 'a negative number of weeks per backfill run',
    args: () => ['backfill', '--from', '2026-W01', '--to', '2026-W02', '--weeks-per-run', '-3'],
    message: /--weeks-per-run "-3" is not a whole number ≥ 1/,
  },
  {
    name: 'a negative list limit',
    args: () => ['parcels', 'list', '--limit', '-5'],
    message: /--limit "-5" is not a whole number ≥ 0/,
  },
  {
    name: 'a fractional runs limit',
    args: () => ['runs', 'list', '--limit', '2.5'],
    message: /--limit "2\.5" is not a whole number ≥ 1/,
  },
  {
    name: 'a bounding box with its minimum above its maximum',
    args: () => ['parcels', 'list', '--bbox', '200,0,10,10'],
    message: /--bbox \[200,0,10,10\] has a minimum above its maximum/,
  },
  {
    name: 'a bounding box of three numbers',
    args: () => ['parcels', 'list', '--bbox', '1,2,3'],
    message: /--bbox \[1,2,3\] is not four numbers/,
  },
  {
    name: 'a negative parcel id',
    args: () => ['parcels', 'watch', '--ids', '-3'],
    message: /--ids: "-3" is not a positive integer id/,
  },
  {
    name: 'a filter that is no condition',
    args: () => ['parcels', 'watch', '--where', "crop'; DROP TABLE parcels; --"],
    message: /--where "crop'; DROP TABLE parcels; --" is not field=value/,
  },
  {
    name: 'SQL as external ids',
    args: () => [
      'parcels',
      'watch',
      '--source',
      'src-a',
      '--external-ids',
      "src-a-p1') OR 1=1; --",
    ],
    message:
      /1 of the 1 external ids is not parcels of source src-a: "src-a-p1'\) OR 1=1; --"; nothing was changed/,
  },
  {
    name: 'a calendar date that does not exist',
    args: (out) => [
      'export',
      '--format',
      'csv',
      '--out',
      out,
      '--source',
      'src-a',
      '--from',
      '2026-13-45',
    ],
    message: /--from "2026-13-45" is not a calendar date/,
  },
  {
    name: 'an unknown export format',
    args: (out) => ['export', '--format', 'xml', '--out', out, '--source', 'src-a'],
    message: /--format xml is not one of csv, parquet, geojson/,
  },
  {
    name: 'an instant that is no ISO 8601',
    args: () => ['schedule', 'backfill', '--from', "now'; --", '--to', '2026-01-01'],
    message: /--from "now'; --" is not an ISO 8601 date or instant/,
  },
  {
    name: 'a negative retention',
    args: () => ['purge', '--raw-days', '-1'],
    message: /--raw-days "-1" is not a whole number of days \(1 or more\)/,
  },
  {
    name: 'an import of a file that is not UTF-8',
    args: () => ['parcels', 'import', importer('not-utf8.geojson'), '--no-progress'],
    message: /not-utf8\.geojson is not UTF-8 text: the bytes 0xE9 .* at offset \d+/,
  },
  {
    name: 'an import of a self-intersecting parcel',
    args: () => ['parcels', 'import', importer('bow-tie.geojson'), '--no-progress'],
    message:
      /1 of 2 parcels rejected, nothing was imported:\n {2}row 2 \(id "bow"\): geometry is invalid: Self-intersection/,
  },
  {
    name: 'an import under an empty source name',
    args: () => ['parcels', 'import', importer('bow-tie.geojson'), '--source', ' '],
    message: /--source must not be empty/,
  },
];

/** Commands at once: the CLI's start-up dominates, and two cores run four of them well. */
const CONCURRENCY = 4;

describe('bad-input corpus: command line', function () {
  this.timeout(180_000);
  let store: SecurityStore;
  let initial: StoreSnapshot;
  const results = new Map<string, CliResult>();
  const scratch = scratchDir('pw-corpus-cli-');

  // Every command runs once, concurrently, between two snapshots of the store; none may write.
  before(async () => {
    store = await securityStore();
    initial = await snapshotStore(store);
    await mapLimit(BAD_COMMANDS, CONCURRENCY, async (bad) => {
      const out = path.join(scratch, `${bad.name.replace(/\W+/g, '-')}.out`);
      results.set(bad.name, await runCli(bad.args(out), store.env));
    });
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const bad of BAD_COMMANDS) {
    it(`refuses ${bad.name} with exit code 2 and a message naming it`, () => {
      const result = results.get(bad.name)!;
      assert.equal(result.code, 2, `exit code of ${bad.name}: ${result.stderr}`);
      assert.match(result.stderr, bad.message);
      assert.doesNotMatch(result.stderr, /does not answer|\n\s+at /, 'no service asked, no stack');
    });
  }

  it('changed nothing in the database or the datalake with any of those commands', async () => {
    assertSameStore(initial, await snapshotStore(store), 'the refused commands');
  });

  it('prints an import refusal as JSON with --json (error code, rows) and writes nothing', async () => {
    const result = await leavesStoreUnchanged(store, 'an import with --json', () =>
      runCli(['parcels', 'import', importer('duplicate-ids.geojson'), '--json'], store.env),
    );
    assert.equal(result.code, 2);
    const printed = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(printed.error, 'IMPORT_REJECTED');
    assert.deepEqual(printed.problems, [
      {
        row: 3,
        externalId: 'A-1',
        reason: 'uses the same external id as row 1; ids must be unique within a file',
      },
    ]);
  });

  it('compares an injection string in a filter as a value: nothing selected, nothing run', async () => {
    const result = await leavesStoreUnchanged(store, 'an injection in --where', () =>
      runCli(
        ['parcels', 'list', '--where', "crop=x' OR '1'='1'; DROP TABLE parcels; --", '--json'],
        store.env,
      ),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), []);
  });
});
