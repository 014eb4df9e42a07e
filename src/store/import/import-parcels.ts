import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BadInputError } from '../../core/errors';
import { recordAudit } from '../db/audit-log';
import type { Database } from '../db/database';
import {
  type AssignGroupsResult,
  assignGroups,
  lockParcelGroups,
  refreshGroups,
} from '../db/groups';
import type { SqlParams } from '../db/parcel-selector';
import { setWatchedWhere } from '../db/parcels-repo';
import type { CrsOrigin, ParcelFileFormat, ReaderOptions, ReadProgress } from './feature-reader';
import {
  chooseFieldMapping,
  describeFieldMapping,
  type FieldMappingOptions,
} from './field-mapping';
import { openParcelFile } from './open-reader';
import { prepareFeature, type StagedParcel } from './prepare-feature';
import { ImportRejectedError, ProblemList } from './problems';
import {
  analyzeStaging,
  createStaging,
  duplicateProblems,
  geometryProblems,
  repairInvalid,
  stageBatch,
  stagedExtent,
} from './staging';
import { upsertStagedPersonalData } from './upsert-personal-data';
import { upsertStagedRange } from './upsert-staged';

/**
 * `parcelwatch parcels import`: a parcel file into `parcels`, all or nothing. Features stream
 * from the reader through mapping, reprojection and the checks that need no database into a
 * staging table, in batches, inside ONE transaction; PostGIS then judges the staged rows
 * set-based; any rejected row rolls everything back and is named. Otherwise the rows are
 * upserted by (source, external id) and the transaction commits; parcel groups are then brought
 * up to date (incrementally, in transactions of their own: grouping is derived state that the
 * next import or weekly run would also complete). With `unwatchMissing`, watched parcels of the
 * source that the file no longer holds are unwatched in the same transaction (never deleted).
 */

/** Rows per staging INSERT: ~1–2 MB of parameters, so a round trip carries enough work. */
const STAGE_BATCH_ROWS = 5_000;
/** File rows per upsert statement: progress moves, and one statement's working set stays modest. */
const UPSERT_RANGE_ROWS = 25_000;
/** Features between two progress reports while reading. */
const PROGRESS_EVERY_FEATURES = 2_000;

const ROW_NUMBER_IDS_WARNING =
  'external ids are the row numbers (no id attribute found); pass --id-field so re-imports of an edited or reordered file match the same parcels';

export type ImportPhase = 'reading' | 'checking' | 'writing' | 'grouping';

export interface ImportProgress {
  phase: ImportPhase;
  /** Features read so far. */
  read: number;
  /** Reading: the reader's position; writing: rows upserted of rows staged. */
  position: ReadProgress;
}

export interface ImportOptions extends ReaderOptions, FieldMappingOptions {
  /** Name of the source the parcels belong to; @default the file name without extension */
  source?: string;
  /** Repair invalid geometries with ST_MakeValid instead of rejecting them. */
  repair?: boolean;
  /** Do everything, report the counts, then roll back. */
  dryRun?: boolean;
  /**
   * Unwatch the source's watched parcels whose external id the file does not hold (a register's
   * new year without them): they stop being computed and keep their history. @default false
   */
  unwatchMissing?: boolean;
  /** Who imports: a real import is recorded in the audit log, in the import's transaction. */
  actor?: string;
  /** Bring parcel groups up to date after the import. @default true */
  assignGroups?: boolean;
  /** Most parcels per group (PARCELWATCH_GROUP_MAX_PARCELS). */
  groupMaxParcels?: number;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportSummary {
  file: string;
  format: ParcelFileFormat;
  layer: string | undefined;
  crs: string;
  crsOrigin: CrsOrigin;
  source: string;
  /** How each parcel field was found in the file. */
  mapping: Record<string, string>;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  repaired: number;
  rejected: number;
  /** Parcels whose geometry changed and were given a group again. */
  regrouped: number;
  /** Watched parcels of the source missing from the file, now unwatched (`unwatchMissing`; else 0). */
  unwatched: number;
  groups: AssignGroupsResult | undefined;
  /** Personal data kept apart (`parcel_personal_data`); absent when the file has no personal field. */
  personalData?: { fields: string[]; stored: number; cleared: number };
  dryRun: boolean;
  seconds: number;
  warnings: string[];
}

export async function importParcels(
  db: Database,
  file: string,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const source = options.source ?? defaultSourceName(file);
  if (source.trim() === '') {
    throw new BadInputError('--source must not be empty', { code: 'OPTION_INVALID' });
  }
  const reader = await openParcelFile(file, options);
  try {
    const mapping = chooseFieldMapping(reader, options);
    const summary: ImportSummary = {
      file: reader.describe,
      format: reader.format,
      layer: reader.layer,
      crs: reader.crs.id,
      crsOrigin: reader.crsOrigin,
      source,
      mapping: describeFieldMapping(mapping),
      read: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      repaired: 0,
      rejected: 0,
      regrouped: 0,
      unwatched: 0,
      groups: undefined,
      dryRun: options.dryRun === true,
      seconds: 0,
      warnings: mapping.id.kind === 'row-number' ? [ROW_NUMBER_IDS_WARNING] : [],
    };
    if (mapping.personal.length > 0) {
      summary.personalData = {
        fields: mapping.personal.map((p) => p.field),
        stored: 0,
        cleared: 0,
      };
    }
    const report = (phase: ImportPhase, position: ReadProgress) =>
      options.onProgress?.({ phase, read: summary.read, position });

    const client = await db.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await createStaging(client);
      const problems = new ProblemList();

      // One batch is written while the next is read and prepared; a failure surfaces at the next await.
      let writing: Promise<void> = Promise.resolve();
      let writeFailure: unknown;
      const flush = async (batch: StagedParcel[]) => {
        await writing;
        if (writeFailure) throw writeFailure;
        writing = stageBatch(client, batch).catch((error) => {
          writeFailure = error;
        });
      };
      let batch: StagedParcel[] = [];
      for await (const feature of reader.features()) {
        summary.read++;
        const prepared = prepareFeature(feature, mapping, reader.crs);
        if ('problem' in prepared) problems.add(prepared.problem);
        else batch.push(prepared.parcel);
        if (batch.length >= STAGE_BATCH_ROWS) {
          await flush(batch);
          batch = [];
        }
        if (summary.read % PROGRESS_EVERY_FEATURES === 0) report('reading', reader.progress());
      }
      await flush(batch);
      await writing;
      if (writeFailure) throw writeFailure;
      report('reading', reader.progress());
      if (summary.read === 0) {
        throw new BadInputError(`${reader.describe} holds no feature; nothing to import`, {
          code: 'PARCELS_EMPTY',
        });
      }

      report('checking', { done: 0, total: 0, unit: 'features' });
      await analyzeStaging(client);
      if (options.repair) summary.repaired = await repairInvalid(client);
      const duplicates = await duplicateProblems(client);
      problems.addCounted(duplicates.problems, duplicates.total);
      const invalid = await geometryProblems(client, options.repair === true);
      problems.addCounted(invalid.problems, invalid.total);
      if (problems.total > 0) {
        summary.rejected = problems.total;
        throw new ImportRejectedError(
          reader.describe,
          summary.read,
          problems.total,
          problems.first(),
        );
      }

      await lockParcelGroups(client);
      const staged = await stagedExtent(client);
      const leftGroups: number[] = [];
      let written = 0;
      for (let from = 1; from <= staged.maxRow; from += UPSERT_RANGE_ROWS) {
        const counts = await upsertStagedRange(client, source, from, from + UPSERT_RANGE_ROWS - 1);
        summary.inserted += counts.inserted;
        summary.updated += counts.updated;
        summary.unchanged += counts.unchanged;
        summary.regrouped += counts.regroup;
        leftGroups.push(...counts.leftGroups);
        if (summary.personalData) {
          const personal = await upsertStagedPersonalData(
            client,
            source,
            from,
            from + UPSERT_RANGE_ROWS - 1,
          );
          summary.personalData.stored += personal.stored;
          summary.personalData.cleared += personal.cleared;
        }
        written += counts.inserted + counts.updated + counts.unchanged;
        report('writing', { done: written, total: staged.rows, unit: 'features' });
      }
      await refreshGroups(client, leftGroups);
      if (options.unwatchMissing) {
        summary.unwatched = await setWatchedWhere(client, false, (params) =>
          missingFromFile(params, source),
        );
      }
      if (options.actor && !options.dryRun) {
        await recordAudit(client, {
          actor: options.actor,
          action: 'parcels.import',
          target: `source:${source}`,
          details: {
            file: reader.describe,
            read: summary.read,
            inserted: summary.inserted,
            updated: summary.updated,
            unchanged: summary.unchanged,
            repaired: summary.repaired,
            unwatched: summary.unwatched,
          },
        });
      }
      await client.query(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.release(broken);
    }

    if (!options.dryRun && options.assignGroups !== false) {
      report('grouping', { done: 0, total: 0, unit: 'features' });
      summary.groups = await assignGroups(db, { maxParcels: options.groupMaxParcels });
    }
    summary.seconds = Math.round((performance.now() - started) / 10) / 100;
    return summary;
  } finally {
    await reader.close();
  }
}

/** Parcels (`parcels p`) of `source` whose external id no staged row has: an anti-join. */
function missingFromFile(params: SqlParams, source: string): string {
  return `p.source = ${params.add(source)}
    AND NOT EXISTS (SELECT 1 FROM parcel_import_staging s WHERE s.external_id = p.external_id)`;
}

/** `fields/nl-brp-2023.shp.zip` → `nl-brp-2023`. */
export function defaultSourceName(file: string): string {
  return path.basename(file).replace(/(\.(geojson|json|gpkg|shp|zip))+$/i, '');
}
