import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BadDataError } from '../../../src/core/errors';
import {
  type ArchiveRow,
  buildManifest,
  decodeArchive,
  decodeManifest,
  encodeArchive,
  encodeManifest,
  mergeArchiveRows,
  OBSERVATION_ARCHIVE_COLUMNS,
  verifyArchive,
} from '../../../src/store/archive/observations-archive';

/** A row in the archive's column order; `mean` and `computed_at` vary for the tests. */
function row(
  parcelId: number,
  acquiredAt: string,
  mean: string | null,
  computedAt = '2024-07-01T00:00:00.000000Z',
): ArchiveRow {
  return [
    String(parcelId),
    'synthetic',
    `P${parcelId}`,
    'ndvi',
    acquiredAt,
    'S2A_33TWL_20240301_0_L2A',
    mean,
    mean,
    '0.05',
    null,
    null,
    null,
    null,
    '75',
    '100',
    '0.75',
    mean === null ? 'cloudy' : 'ok',
    '{}',
    'v1',
    null,
    computedAt,
  ];
}

const ROWS = [
  row(12, '2024-03-15T10:00:00.000000Z', '0.30000000000000004'),
  row(3, '2024-03-20T10:00:00.000000Z', null),
  row(3, '2024-03-05T10:00:00.000000Z', '0.5'),
];

describe('observation archive format', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pw-archive-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes gzipped CSV with a header that gunzip and a stock CSV reader read back row for row', async () => {
    const encoded = await encodeArchive(mergeArchiveRows([], ROWS));
    const file = path.join(dir, 'a.csv.gz');
    writeFileSync(file, encoded.bytes);
    const python = execFileSync(
      'python3',
      [
        '-c',
        'import csv,gzip,hashlib,json,sys\n' +
          'raw=gzip.open(sys.argv[1]).read()\n' +
          'rows=list(csv.reader(raw.decode().splitlines()))\n' +
          'print(json.dumps({"header":rows[0],"rows":rows[1:],"sha":hashlib.sha256(raw).hexdigest()}))',
        file,
      ],
      { encoding: 'utf8' },
    );
    const read = JSON.parse(python) as { header: string[]; rows: string[][]; sha: string };
    assert.deepEqual(read.header, [...OBSERVATION_ARCHIVE_COLUMNS]);
    assert.equal(read.sha, encoded.csvSha256);
    // Sorted by parcel then acquisition; NULL is an empty field.
    assert.deepEqual(
      read.rows.map((r) => [r[0], r[4], r[6]]),
      [
        ['3', '2024-03-05T10:00:00.000000Z', '0.5'],
        ['3', '2024-03-20T10:00:00.000000Z', ''],
        ['12', '2024-03-15T10:00:00.000000Z', '0.30000000000000004'],
      ],
    );
    assert.equal(encoded.rows, 3);
    assert.deepEqual(encoded.acquired, {
      first: '2024-03-05T10:00:00.000000Z',
      last: '2024-03-20T10:00:00.000000Z',
    });
  });

  it('gives the same bytes for the same rows in any order, and decodes them to the rows given', async () => {
    const a = await encodeArchive(mergeArchiveRows([], ROWS));
    const b = await encodeArchive(mergeArchiveRows(ROWS.slice(1), ROWS.slice(0, 1)));
    assert.deepEqual(Buffer.from(a.bytes), Buffer.from(b.bytes));
    const decoded = await decodeArchive(a.bytes, 'k');
    assert.deepEqual(
      new Set(decoded.rows.map((r) => JSON.stringify(r))),
      new Set(ROWS.map((r) => JSON.stringify(r))),
    );
    assert.equal(decoded.objectSha256, a.objectSha256);
  });

  it('merges by key: each observation once, the database version replacing the archived one', () => {
    const newer = row(3, '2024-03-05T10:00:00.000000Z', '0.6', '2024-07-08T00:00:00.000000Z');
    const merged = mergeArchiveRows(ROWS, [newer, row(7, '2024-03-01T00:00:00.000000Z', '0.1')]);
    assert.equal(merged.length, 4);
    assert.deepEqual(merged[0], newer);
    assert.deepEqual(
      merged.map((r) => r[0]),
      ['3', '3', '7', '12'],
    );
  });

  it('verification catches changed bytes, a missing row and a changed value', async () => {
    const encoded = await encodeArchive(mergeArchiveRows([], ROWS));
    const corrupt = Uint8Array.from(encoded.bytes);
    corrupt[corrupt.length - 10]! ^= 0xff;
    await assert.rejects(
      verifyArchive(corrupt, encoded, ROWS, 'k'),
      /does not match what was written \(the bytes differ\)/,
    );
    const fewer = await encodeArchive(mergeArchiveRows([], ROWS.slice(1)));
    await assert.rejects(
      verifyArchive(fewer.bytes, { ...encoded, objectSha256: fewer.objectSha256 }, ROWS, 'k'),
      (e: unknown) => e instanceof BadDataError && /2 rows instead of 3/.test(e.message),
    );
    const changed = [row(12, '2024-03-15T10:00:00.000000Z', '0.31'), ...ROWS.slice(1)];
    await assert.rejects(
      verifyArchive(encoded.bytes, encoded, changed, 'k'),
      /the row 12\|ndvi\|2024-03-15T10:00:00.000000Z is missing or differs/,
    );
    await verifyArchive(encoded.bytes, encoded, ROWS, 'k');
  });

  it('refuses an object that is not gzip, or gzip of another format, saying not to overwrite it', async () => {
    await assert.rejects(
      decodeArchive(new Uint8Array([1, 2, 3]), 'archive/x.csv.gz'),
      (e: unknown) => {
        assert.ok(e instanceof BadDataError);
        assert.equal(e.code, 'ARCHIVE_UNREADABLE');
        assert.match(e.message, /archive\/x.csv.gz is not readable gzip.*never overwrites it/);
        return true;
      },
    );
    await assert.rejects(decodeArchive(gzipSync('a,b\n1,2\n'), 'k'), /has the columns "a,b"/);
    await assert.rejects(
      decodeArchive(gzipSync(`${OBSERVATION_ARCHIVE_COLUMNS.join(',')}\n1,2\n`), 'k'),
      /row 1 has 2 fields/,
    );
  });

  it('writes a manifest that reads back, and refuses one of another format', async () => {
    const encoded = await encodeArchive(mergeArchiveRows([], ROWS));
    const manifest = buildManifest(
      { month: '2024-03', index: 'ndvi', block: 0 },
      encoded,
      '0003_x',
    );
    const back = decodeManifest(encodeManifest(manifest), 'm');
    assert.deepEqual(back, manifest);
    assert.equal(back.rows, 3);
    assert.equal(back.object, 'archive/observations/2024-03/ndvi/parcels-0-9999.csv.gz');
    assert.deepEqual(back.parcelIds, { first: 0, last: 9_999 });
    assert.equal(back.objectBytes, encoded.bytes.byteLength);
    assert.throws(
      () => decodeManifest(new TextEncoder().encode('{"format":"x"}'), 'm'),
      /not a parcelwatch/,
    );
    assert.throws(() => decodeManifest(new TextEncoder().encode('{'), 'm'), /not JSON/);
  });
});
