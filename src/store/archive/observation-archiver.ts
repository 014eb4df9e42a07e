/**
 * Archiving the expired observations of one unit (month × index × block of parcels) into the
 * datalake, and reading a unit's archive back before its rows are deleted. Both run inside a
 * database transaction holding the unit's lock, so two purges never interleave on one object.
 */
import type { PoolClient } from 'pg';
import { BadDataError } from '../../core/errors';
import type { Datalake } from '../datalake/datalake';
import type { Database } from '../db/database';
import { expiredUnitRows, lockArchiveObject } from '../db/retention';
import { inTransaction } from '../db/transaction';
import { type ArchiveUnit, archiveManifestKey, archiveObjectKey } from './layout';
import {
  type ArchiveManifest,
  type ArchiveRow,
  buildManifest,
  type DecodedArchive,
  decodeArchive,
  decodeManifest,
  encodeArchive,
  encodeManifest,
  mergeArchiveRows,
  verifyArchive,
} from './observations-archive';

export interface ArchivedUnit {
  key: string;
  /** Rows the object holds now. */
  rows: number;
  /** Expired rows of the database the object now holds (written or already there). */
  archived: number;
  /** False when the object already held every expired row and was left as it was. */
  written: boolean;
}

/**
 * Archives the unit's expired rows (acquired before `cutoff`): merges them into the unit's object
 * (a row already there is replaced by the database's version), writes it, reads it back and checks
 * it holds every one of them with identical values, then writes the manifest. An object already
 * holding them all is reused untouched; re-running after a crash rewrites the same bytes. An
 * unreadable existing object is never overwritten (it may hold rows already deleted).
 */
export async function archiveUnit(
  db: Database,
  datalake: Datalake,
  unit: ArchiveUnit,
  cutoff: string,
  schemaVersion: string,
): Promise<ArchivedUnit> {
  const key = archiveObjectKey(unit);
  return inTransaction(db.pool, async (client) => {
    await lockArchiveObject(client, db.schema, key);
    const fresh = await expiredUnitRows(client, unit, cutoff);
    const existing = (await datalake.exists(key)) ? await readObject(datalake, key) : undefined;
    if (fresh.length === 0 && !existing) return { key, rows: 0, archived: 0, written: false };
    const merged = mergeArchiveRows(existing?.rows ?? [], fresh);
    let stored = await encodeArchive(merged);
    const written = stored.csvSha256 !== existing?.csvSha256;
    if (written) await datalake.put(key, stored.bytes);
    // Reused: the object holds these very rows (its gzip bytes may come from another zlib build).
    else stored = { ...stored, bytes: existing!.bytes, objectSha256: existing!.objectSha256 };
    await verifyArchive(await datalake.get(key), stored, fresh, key);
    await writeManifest(datalake, unit, buildManifest(unit, stored, schemaVersion));
    return { key, rows: merged.length, archived: fresh.length, written };
  });
}

async function readObject(
  datalake: Datalake,
  key: string,
): Promise<DecodedArchive & { bytes: Uint8Array }> {
  const bytes = await datalake.get(key);
  return { ...(await decodeArchive(bytes, key)), bytes };
}

/** Writes the manifest unless the same one is there, and checks it reads back. */
async function writeManifest(
  datalake: Datalake,
  unit: ArchiveUnit,
  manifest: ArchiveManifest,
): Promise<void> {
  const key = archiveManifestKey(unit);
  const bytes = encodeManifest(manifest);
  const same = (stored: Uint8Array) => Buffer.from(stored).equals(Buffer.from(bytes));
  if ((await datalake.exists(key)) && same(await datalake.get(key))) return;
  await datalake.put(key, bytes);
  if (!same(await datalake.get(key))) {
    throw new BadDataError(
      `archive manifest ${key} read back from the datalake differs from what was written; nothing was deleted — check the datalake and run the purge again`,
      { code: 'ARCHIVE_VERIFY_FAILED' },
    );
  }
}

/**
 * The rows of a unit's archive as stored, checked against its manifest (row count and checksums),
 * on `client` — the deleting transaction, which takes the unit's lock first. Undefined when the unit
 * has no archive or no manifest yet (its rows were never verified: they are not deleted); a
 * BadDataError when object and manifest disagree.
 */
export async function readVerifiedUnit(
  client: PoolClient,
  schema: string,
  datalake: Datalake,
  unit: ArchiveUnit,
): Promise<ArchiveRow[] | undefined> {
  const key = archiveObjectKey(unit);
  const manifestKey = archiveManifestKey(unit);
  await lockArchiveObject(client, schema, key);
  if (!(await datalake.exists(key)) || !(await datalake.exists(manifestKey))) return undefined;
  const manifest = decodeManifest(await datalake.get(manifestKey), manifestKey);
  const decoded = await readObject(datalake, key);
  if (
    manifest.object !== key ||
    manifest.rows !== decoded.rows.length ||
    manifest.csvSha256 !== decoded.csvSha256 ||
    manifest.objectSha256 !== decoded.objectSha256
  ) {
    throw new BadDataError(
      `archive ${key} does not match its manifest (${decoded.rows.length} rows, manifest says ${manifest.rows}, or the checksums differ); nothing of its month was deleted — run the purge again to rewrite it, or restore it from a backup`,
      { code: 'ARCHIVE_VERIFY_FAILED' },
    );
  }
  return decoded.rows;
}
