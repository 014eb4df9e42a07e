import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadDataError, TransientError } from '../../../src/core/errors';
import { archiveManifestKey, archiveObjectKey } from '../../../src/store/archive/layout';
import { archiveUnit, readVerifiedUnit } from '../../../src/store/archive/observation-archiver';
import {
  archiveRowKey,
  decodeArchive,
  decodeManifest,
  encodeManifest,
} from '../../../src/store/archive/observations-archive';
import { FileDatalake } from '../../../src/store/datalake/file-datalake';
import type { Database } from '../../../src/store/db/database';
import { upsertObservations } from '../../../src/store/db/observations-repo';
import { upsertParcels } from '../../../src/store/db/parcels-repo';
import { inTransaction } from '../../../src/store/db/transaction';
import { isolatedDatabase } from '../db/isolated-schema';
import { randomParcels } from '../db/test-parcels';
import { FaultyDatalake } from './faulty-datalake';
import { microIso, observationRow } from './fixtures';

const UNIT = { month: '2024-03', index: 'ndvi', block: 0 };
const KEY = archiveObjectKey(UNIT);
const MANIFEST = archiveManifestKey(UNIT);
const TIMES = ['2024-03-05T10:00:00Z', '2024-03-15T10:00:00Z', '2024-03-25T10:00:00Z'];

describe('observation archiver (real PostgreSQL, datalake folder)', function () {
  this.timeout(120_000);
  let db: Database;
  let ids: number[];
  let dir: string;
  let lake: FileDatalake;

  /** Archive keys of the month's rows acquired before `cutoff`, as the archive prints them. */
  const expectedKeys = (cutoff: string) =>
    ids
      .flatMap((id) => TIMES.filter((t) => t < cutoff).map((t) => `${id}|ndvi|${microIso(t)}`))
      .sort();
  const storedKeys = async () =>
    (await decodeArchive(await lake.get(KEY), KEY)).rows.map(archiveRowKey).sort();

  before(async () => {
    db = await isolatedDatabase('pw_archiver');
    ({ ids } = await upsertParcels(
      db,
      randomParcels(3, 11, [540_000, 5_040_000, 545_000, 5_045_000], 'arc'),
    ));
    await upsertObservations(
      db,
      ids.flatMap((id) => TIMES.map((t) => observationRow(id, 'ndvi', t, 0.4))),
      { algorithmVersion: 'v1' },
    );
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pw-archiver-'));
    lake = new FileDatalake(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  after(async () => db?.close());

  it('writes the expired rows, a manifest that matches them, and reuses the object untouched next time', async () => {
    const first = await archiveUnit(db, lake, UNIT, '2024-03-20T00:00:00Z', 'v-test');
    assert.deepEqual(first, { key: KEY, rows: 6, archived: 6, written: true });
    assert.deepEqual(await storedKeys(), expectedKeys('2024-03-20'));
    const manifest = decodeManifest(await lake.get(MANIFEST), MANIFEST);
    const decoded = await decodeArchive(await lake.get(KEY), KEY);
    assert.equal(manifest.rows, 6);
    assert.equal(manifest.csvSha256, decoded.csvSha256);
    assert.equal(manifest.objectSha256, decoded.objectSha256);
    assert.equal(manifest.schemaVersion, 'v-test');
    const written = statSync(path.join(dir, KEY)).mtimeMs;

    const again = await archiveUnit(db, lake, UNIT, '2024-03-20T00:00:00Z', 'v-test');
    assert.deepEqual(again, { key: KEY, rows: 6, archived: 6, written: false });
    assert.equal(statSync(path.join(dir, KEY)).mtimeMs, written, 'not rewritten');
  });

  it('adds later expired rows of the month to its object, keeping those already deleted, never twice', async () => {
    await archiveUnit(db, lake, UNIT, '2024-03-10T00:00:00Z', 'v-test');
    // An earlier purge deleted what it archived.
    await db.pool.query(
      "DELETE FROM parcel_observations WHERE index_name = 'ndvi' AND acquired_at < '2024-03-10Z'",
    );
    const later = await archiveUnit(db, lake, UNIT, '2024-04-01T00:00:00Z', 'v-test');
    assert.deepEqual(later, { key: KEY, rows: 9, archived: 6, written: true });
    assert.deepEqual(await storedKeys(), expectedKeys('2024-04'));
    // Put the deleted rows back for the other tests.
    await upsertObservations(
      db,
      ids.map((id) => observationRow(id, 'ndvi', TIMES[0]!, 0.4)),
      { algorithmVersion: 'v1' },
    );
  });

  it('fails on a datalake write and leaves no object', async () => {
    const faulty = new FaultyDatalake(lake, {
      put: {
        match: /\.csv\.gz$/,
        error: () => new TransientError('disk busy', { code: 'FS_EBUSY' }),
      },
    });
    await assert.rejects(
      archiveUnit(db, faulty, UNIT, '2024-04-01T00:00:00Z', 'v'),
      TransientError,
    );
    assert.equal(await lake.exists(KEY), false);
    assert.equal(await lake.exists(MANIFEST), false);
  });

  it('fails when the object reads back different from what was written, writing no manifest', async () => {
    const faulty = new FaultyDatalake(lake, {
      get: { match: /\.csv\.gz$/, alter: (bytes) => bytes.slice(0, bytes.length - 1) },
    });
    await assert.rejects(
      archiveUnit(db, faulty, UNIT, '2024-04-01T00:00:00Z', 'v'),
      (e: unknown) => {
        assert.ok(e instanceof BadDataError);
        assert.equal(e.code, 'ARCHIVE_VERIFY_FAILED');
        assert.match(e.message, /nothing was deleted/);
        return true;
      },
    );
    assert.equal(await lake.exists(MANIFEST), false, 'an unverified object gets no manifest');
  });

  it('never overwrites an existing object it cannot read', async () => {
    const garbage = new TextEncoder().encode('not gzip');
    await lake.put(KEY, garbage);
    await assert.rejects(
      archiveUnit(db, lake, UNIT, '2024-04-01T00:00:00Z', 'v'),
      /not readable gzip/,
    );
    assert.deepEqual(await lake.get(KEY), garbage);
  });

  it('reads a unit back for deletion only with a manifest that matches its object', async () => {
    const read = () =>
      inTransaction(db.pool, (client) => readVerifiedUnit(client, db.schema, lake, UNIT));
    assert.equal(await read(), undefined, 'no archive yet');
    await archiveUnit(db, lake, UNIT, '2024-04-01T00:00:00Z', 'v');
    assert.deepEqual((await read())!.map(archiveRowKey).sort(), expectedKeys('2024-04'));
    const manifest = decodeManifest(await lake.get(MANIFEST), MANIFEST);
    await lake.put(MANIFEST, encodeManifest({ ...manifest, rows: manifest.rows + 1 }));
    await assert.rejects(read(), /does not match its manifest/);
    await lake.delete([MANIFEST]);
    assert.equal(await read(), undefined, 'an object without manifest was never verified');
  });
});
