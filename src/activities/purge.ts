import { heartbeat } from '@temporalio/activity';
import type { Config } from '../config';
import { BadInputError } from '../core/errors';
import { archiveUnit, readVerifiedUnit } from '../store/archive/observation-archiver';
import { archiveRowIdentity } from '../store/archive/observations-archive';
import { parseSceneRasterKey, type RasterArea, sceneGroupPrefix } from '../store/datalake/keys';
import {
  cutoffOf,
  datasetRetentionDays,
  expiredObservationUnits,
  forgetRasterKeys,
  type ObservationCutoffs,
  schemaVersion,
} from '../store/db/retention';
import {
  createArchivedKeyStage,
  deleteStagedObservations,
  stageArchivedKeys,
} from '../store/db/retention-delete';
import {
  countPersonalDataPastRetention,
  erasePersonalDataPastRetention,
} from '../store/db/retention-personal';
import { inTransaction } from '../store/db/transaction';
import { codeVersion } from '../version';
import type { ActivityDeps } from './deps';

/**
 * Retention: what is past it (planPurge), the archive of expired observations (archiveObservations),
 * their deletion once archived and verified (deleteArchivedObservations), and the deletion of old
 * rasters (purgeRasters). Each is idempotent: a retry or a re-run finds less to do, never duplicates.
 */

/** Days to keep; absent fields take the workers' configuration. */
export interface RetentionDaysInput {
  rawDays?: number;
  cleanDays?: number;
  observationsDays?: number;
}

export interface PlanPurgeInput extends RetentionDaysInput {
  /** The instant retention counts back from, ISO 8601. */
  now: string;
}

export interface PurgePolicy {
  rawDays: number;
  cleanDays: number;
  observationsDays: number;
  /** Indices whose dataset row sets a retention of its own (`datasets.retention_days`). */
  observationsDaysByIndex: Record<string, number>;
}

export interface PurgeCutoffs {
  /** Raw rasters of acquisition days ending at or before this instant go. */
  raw: string;
  clean: string;
  /** Observations acquired before these instants go. */
  observations: ObservationCutoffs;
}

export interface ExpiredObservations {
  month: string;
  index: string;
  rows: number;
}

export interface PurgePlan {
  now: string;
  policy: PurgePolicy;
  cutoffs: PurgeCutoffs;
  /** Expired observations per month and index, oldest first. */
  observations: ExpiredObservations[];
  codeVersion: string;
}

export interface ObservationMonthInput {
  month: string;
  cutoffs: ObservationCutoffs;
}

export interface ArchiveMonthResult {
  month: string;
  /** Archive objects holding the month's expired rows. */
  objects: string[];
  /** Objects (re)written; the others already held every expired row. */
  written: number;
  /** Expired rows now in a verified archive. */
  archived: number;
}

export interface DeleteMonthResult {
  month: string;
  deleted: number;
  /** Expired rows kept because no verified archive holds them (they go with the next purge). */
  notArchived: number;
  partitionDropped: string | null;
}

export interface PurgeRastersInput {
  area: RasterArea;
  cutoff: string;
  dryRun: boolean;
}

export interface RasterPurgeResult {
  area: RasterArea;
  cutoff: string;
  /** Expired objects found (and deleted, unless a dry run). */
  objects: number;
  bytes: number;
  deleted: number;
  /** Scene-group prefixes (`raw/<tile>/<day>/<scene>/g<n>/`) of the expired objects, the first ones. */
  sceneGroups: string[];
  sceneGroupCount: number;
  /** Objects under the area whose key does not follow the layout: never deleted. */
  unrecognised: number;
  /** Retention of personal data, applied with the raw rasters (see purgeRasters); raw only. */
  personalData?: PersonalDataPurge;
}

export interface PersonalDataPurge {
  /** PARCELWATCH_RETENTION_PERSONAL_DAYS. */
  days: number;
  /** Personal data last imported before this instant is past retention. */
  cutoff: string;
  /** Records past retention found (and erased, unless a dry run). */
  expired: number;
  erased: number;
}

/** Sane bounds on days of retention: one day to a century. */
const MIN_DAYS = 1;
const MAX_DAYS = 36_500;
const DAY_MS = 86_400_000;
/** Scene groups listed in a result (the rest are counted): keeps the workflow payload small. */
const MAX_LISTED_SCENE_GROUPS = 500;
/** Keys per datalake delete call (S3's DeleteObjects takes at most 1000). */
const DELETE_BATCH_KEYS = 1000;

/**
 * The shortest retention of observations a purge accepts: a weekly run computes again its week and
 * its look-back weeks, so a shorter one would delete what the next run recomputes (+1 week margin
 * for a run that is late).
 */
export function minimumObservationDays(lookbackWeeks: number): number {
  return 7 * (lookbackWeeks + 2);
}

/**
 * The days to keep: those given, else the configuration's (validated at start-up); observations of
 * an index whose dataset row sets a retention keep that one. Refuses days out of bounds and an
 * observation retention shorter than what the weekly run computes again.
 */
function resolvePolicy(
  input: RetentionDaysInput,
  config: Config,
  byIndex: Record<string, number>,
): PurgePolicy {
  const given = {
    rawDays: input.rawDays,
    cleanDays: input.cleanDays,
    observationsDays: input.observationsDays,
  };
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && (!Number.isInteger(value) || value < MIN_DAYS || value > MAX_DAYS)) {
      throw new BadInputError(
        `purge: ${name} ${value} is not a whole number of days between ${MIN_DAYS} and ${MAX_DAYS}`,
        { code: 'PURGE_BAD_RETENTION' },
      );
    }
  }
  const policy: PurgePolicy = {
    rawDays: input.rawDays ?? config.retention.rawDays,
    cleanDays: input.cleanDays ?? config.retention.cleanDays,
    observationsDays: input.observationsDays ?? config.retention.observationsDays,
    observationsDaysByIndex: byIndex,
  };
  const floor = minimumObservationDays(config.pipeline.lookbackWeeks);
  const short = [
    ['observationsDays', policy.observationsDays] as const,
    ...Object.entries(byIndex).map(
      ([name, d]) => [`datasets.retention_days of ${name}`, d] as const,
    ),
  ].filter(([, d]) => d < floor);
  if (short.length > 0) {
    throw new BadInputError(
      `purge: ${short.map(([what, d]) => `${what} ${d}`).join(', ')} is shorter than ${floor} days, the weeks a weekly run computes again (look-back ${config.pipeline.lookbackWeeks} weeks + 2): the next run would recompute what the purge deletes; keep observations at least ${floor} days`,
      { code: 'PURGE_RETENTION_TOO_SHORT' },
    );
  }
  return policy;
}

export function purgeActivities(deps: ActivityDeps) {
  const { db, config, datalake } = deps;

  /**
   * Personal data no import carried for PARCELWATCH_RETENTION_PERSONAL_DAYS: counted, and erased
   * unless a dry run. It rides on the raw-raster call because the purge workflow's shape is fixed
   * (recorded histories replay in CI), so its days count from this activity's clock rather than
   * the purge's `now`.
   */
  async function purgePersonalData(dryRun: boolean): Promise<PersonalDataPurge> {
    const days = config.retention.personalDays;
    const cutoff = new Date(Date.now() - days * DAY_MS).toISOString();
    const expired = await countPersonalDataPastRetention(db, cutoff);
    const erased = dryRun || expired === 0 ? 0 : await erasePersonalDataPastRetention(db, cutoff);
    return { days, cutoff, expired, erased };
  }

  return {
    /**
     * The retention policy (see resolvePolicy), the cut-offs it gives counting back from `now`, and
     * the expired observations per month and index. Reads only.
     */
    async planPurge(input: PlanPurgeInput): Promise<PurgePlan> {
      const nowMs = Date.parse(input.now);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(input.now) || Number.isNaN(nowMs)) {
        throw new BadInputError(
          `purge: now "${input.now}" is not an ISO 8601 instant, e.g. 2026-11-01T00:00:00Z`,
          { code: 'PURGE_BAD_INPUT' },
        );
      }
      const policy = resolvePolicy(input, config, await datasetRetentionDays(db));
      const before = (d: number) => new Date(nowMs - d * DAY_MS).toISOString();
      const cutoffs: PurgeCutoffs = {
        raw: before(policy.rawDays),
        clean: before(policy.cleanDays),
        observations: {
          default: before(policy.observationsDays),
          byIndex: Object.fromEntries(
            Object.entries(policy.observationsDaysByIndex).map(([name, d]) => [name, before(d)]),
          ),
        },
      };
      const units = await expiredObservationUnits(db, cutoffs.observations);
      const byMonth = new Map<string, ExpiredObservations>();
      for (const unit of units) {
        const key = `${unit.month}|${unit.index}`;
        const entry = byMonth.get(key) ?? { month: unit.month, index: unit.index, rows: 0 };
        entry.rows += unit.rows;
        byMonth.set(key, entry);
      }
      return {
        now: new Date(nowMs).toISOString(),
        policy,
        cutoffs,
        observations: [...byMonth.values()],
        codeVersion: codeVersion(),
      };
    },

    /**
     * Archives the month's expired observations into the datalake, object by object (see
     * archiveUnit): written, read back and verified. Deletes nothing.
     */
    async archiveObservations(input: ObservationMonthInput): Promise<ArchiveMonthResult> {
      const version = await schemaVersion(db);
      const units = await expiredObservationUnits(db, input.cutoffs, input.month);
      const result: ArchiveMonthResult = {
        month: input.month,
        objects: [],
        written: 0,
        archived: 0,
      };
      for (const unit of units) {
        heartbeat({ month: input.month, index: unit.index, block: unit.block });
        const done = await archiveUnit(
          db,
          datalake,
          unit,
          cutoffOf(input.cutoffs, unit.index),
          version,
        );
        result.objects.push(done.key);
        result.archived += done.archived;
        if (done.written) result.written++;
      }
      return result;
    },

    /**
     * Deletes the month's expired observations that a verified archive holds (read back from the
     * datalake and checked against its manifest), in one transaction; the month's partition is
     * dropped whole when nothing else is in it. Rows without a verified archive stay.
     */
    async deleteArchivedObservations(input: ObservationMonthInput): Promise<DeleteMonthResult> {
      const units = await expiredObservationUnits(db, input.cutoffs, input.month);
      const deletion = await inTransaction(db.pool, async (client) => {
        await createArchivedKeyStage(client);
        for (const unit of units) {
          heartbeat({ month: input.month, index: unit.index, block: unit.block });
          const rows = await readVerifiedUnit(client, db.schema, datalake, unit);
          if (rows) await stageArchivedKeys(client, rows.map(archiveRowIdentity));
        }
        return deleteStagedObservations(client, input.month, input.cutoffs);
      });
      return { month: input.month, ...deletion };
    },

    /**
     * Finds the area's rasters whose acquisition day ended at or before the cut-off (the day in the
     * key, not the file's time) and, unless a dry run, removes them from `scene_groups` and then
     * deletes them. Keys off the layout are never touched.
     */
    async purgeRasters(input: PurgeRastersInput): Promise<RasterPurgeResult> {
      const cutoffMs = Date.parse(input.cutoff);
      if (Number.isNaN(cutoffMs) || (input.area !== 'raw' && input.area !== 'clean')) {
        throw new BadInputError(
          `purgeRasters: area ${input.area} with cut-off ${input.cutoff}; give raw or clean and an ISO 8601 instant`,
          { code: 'PURGE_BAD_INPUT' },
        );
      }
      const expired: Array<{ key: string; sceneId: string }> = [];
      const groups = new Set<string>();
      let bytes = 0;
      let unrecognised = 0;
      let seen = 0;
      for await (const object of datalake.list(`${input.area}/`)) {
        if (++seen % 1000 === 0) heartbeat({ area: input.area, listed: seen });
        const ref = parseSceneRasterKey(object.key);
        if (!ref || ref.area !== input.area) {
          unrecognised++;
          continue;
        }
        if (Date.parse(`${ref.acquiredAt}T00:00:00Z`) + DAY_MS > cutoffMs) continue;
        expired.push({ key: object.key, sceneId: ref.sceneId });
        groups.add(sceneGroupPrefix(ref));
        bytes += object.size;
      }
      let deleted = 0;
      if (!input.dryRun) {
        for (let i = 0; i < expired.length; i += DELETE_BATCH_KEYS) {
          const batch = expired.slice(i, i + DELETE_BATCH_KEYS);
          heartbeat({ area: input.area, deleted });
          // Forget first: a crash in between leaves objects nobody points at, which the next purge
          // deletes; the other order would leave keys pointing at nothing, never cleaned.
          await forgetRasterKeys(
            db,
            input.area,
            batch.map((e) => e.sceneId),
            batch.map((e) => e.key),
          );
          deleted += await datalake.delete(batch.map((e) => e.key));
        }
      }
      const sorted = [...groups].sort();
      return {
        area: input.area,
        cutoff: input.cutoff,
        objects: expired.length,
        bytes,
        deleted,
        sceneGroups: sorted.slice(0, MAX_LISTED_SCENE_GROUPS),
        sceneGroupCount: sorted.length,
        unrecognised,
        ...(input.area === 'raw' && { personalData: await purgePersonalData(input.dryRun) }),
      };
    },
  };
}
