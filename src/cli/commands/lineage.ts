import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { algorithmVersion } from '../../core/algorithm';
import { BadInputError } from '../../core/errors';
import type { LineageParcel, ObservationLineage, OutdatedReport } from '../../store/db/lineage';
import { withDatabase } from '../database';
import { printJson, printTable } from '../output';

const lineage = () => require('../../store/db/lineage') as typeof import('../../store/db/lineage');

/** What `parcelwatch lineage PARCEL DATE` reports. */
export interface LineageReport {
  parcel: LineageParcel;
  date: string;
  /** The algorithm version the configured science settings give: others are recomputed by runs. */
  currentAlgorithmVersion: string;
  observations: ObservationLineage[];
}

export function registerLineage(program: Command): void {
  const command = program
    .command('lineage')
    .description(
      "Where a parcel's observations of one day come from: scene (STAC item, baseline, harmonisation), algorithm version, run and code version",
    )
    .argument('<parcel>', 'parcel id, or SOURCE:EXTERNAL_ID')
    .argument('<date>', 'acquisition day, YYYY-MM-DD (UTC)')
    .option('--json', 'print the chain as JSON')
    .addHelpText(
      'after',
      `
Each observation is printed as parcel → observation → scene → run. A link the database lacks is
reported as MISSING (and listed under "missing" with --json).

Examples:
  $ parcelwatch lineage 42 2024-05-07
  $ parcelwatch lineage brp-2023:FR-123 2024-05-07 --json
  $ parcelwatch lineage outdated`,
    )
    .action(async (parcelText: string, dateText: string, options: { json?: boolean }) => {
      const ref = lineage().parseParcelRef(parcelText);
      const day = lineage().parseDay(dateText);
      const config = loadConfig();
      await withDatabase(async (db) => {
        const parcel = await lineage().findParcel(db, ref);
        if (!parcel) {
          throw new BadInputError(
            `no parcel ${parcelText}: no parcel has ${'id' in ref ? `id ${ref.id}` : `source "${ref.source}" and external id "${ref.externalId}"`}; see \`parcelwatch parcels list\``,
            { code: 'PARCEL_UNKNOWN' },
          );
        }
        const observations = await lineage().observationLineage(db, parcel.id, day);
        if (observations.length === 0) {
          const nearest = await lineage().nearestObservationDays(db, parcel.id, day.day);
          throw new BadInputError(
            `parcel ${describeParcel(parcel)} has no observation acquired on ${day.day}; ${nearest.length ? `the nearest days with observations are ${nearest.join(', ')}` : 'it has no observation at all yet (is it watched? has a run covered it?)'}`,
            { code: 'OBSERVATION_UNKNOWN' },
          );
        }
        const report: LineageReport = {
          parcel,
          date: day.day,
          currentAlgorithmVersion: algorithmVersion(config.science),
          observations,
        };
        if (options.json) return printJson(report);
        printLineage(report);
      });
    });

  command
    .command('outdated')
    .description(
      'Observations per algorithm version against the current one: what the next runs or a backfill recompute',
    )
    .option('--json', 'print the counts as JSON')
    .addHelpText(
      'after',
      `
The current version comes from the science settings of this environment (PARCELWATCH_BUFFER_M,
PARCELWATCH_VALID_SCL, PARCELWATCH_OK_THRESHOLD and the engine version). Runs recompute the
observations of watched parcels whose version differs; a backfill over the weeks printed
recomputes all of them.

Examples:
  $ parcelwatch lineage outdated
  $ parcelwatch lineage outdated --json | jq .outdated`,
    )
    .action(async (_options: unknown, self: Command) => {
      const { json } = self.optsWithGlobals<{ json?: boolean }>();
      const config = loadConfig();
      await withDatabase(async (db) => {
        const report = await lineage().outdatedObservations(db, {
          algorithmVersion: algorithmVersion(config.science),
          indices: config.science.indices,
        });
        if (json) return printJson(report);
        printOutdated(report);
      });
    });
}

function describeParcel(p: LineageParcel): string {
  return `${p.id} (${p.source}:${p.externalId})`;
}

const fixed = (v: number | null, digits = 4) => (v === null ? '—' : v.toFixed(digits));

function printLineage(r: LineageReport): void {
  const p = r.parcel;
  console.log(
    `parcel       ${describeParcel(p)}${p.name ? ` "${p.name}"` : ''}, owner ${p.ownerTeam}${p.watched ? '' : ', not watched'}`,
  );
  console.log(`date         ${r.date}: ${r.observations.length} observation(s)`);
  for (const l of r.observations) {
    const o = l.observation;
    console.log('');
    console.log(`${l.index} acquired ${l.acquiredAt}`);
    console.log(
      `  observation  ${o.status}, mean ${fixed(o.mean)} (median ${fixed(o.median)}, std ${fixed(o.std)}, min ${fixed(o.min)}, max ${fixed(o.max)}, p10 ${fixed(o.p10)}, p90 ${fixed(o.p90)})`,
    );
    console.log(
      `               ${o.validPixels}/${o.totalPixels} valid pixels (${fixed(o.validFraction, 3)})${o.flags.length ? `, flags ${o.flags.join(', ')}` : ''}`,
    );
    console.log(
      `               algorithm ${o.algorithmVersion}${o.algorithmVersion === r.currentAlgorithmVersion ? ' (current)' : ` (OUTDATED: current is ${r.currentAlgorithmVersion}; the next run or backfill covering this day recomputes it)`}`,
    );
    console.log(`               computed ${o.computedAt}`);
    const s = l.scene;
    if (s) {
      const h = s.harmonisation;
      console.log(
        `  scene        ${s.id} (${s.collection}, tile ${s.tile}, ${s.status}), cloud cover ${s.cloudCover === null ? '—' : `${s.cloudCover} %`}`,
      );
      console.log(
        `               processing baseline ${s.processingBaseline ?? '—'}; harmonisation ${h.rule}: reflectance = DN × ${h.scale} ${h.offset < 0 ? '−' : '+'} ${Math.abs(h.offset)}${s.offsetSuspect ? ' (offset suspect)' : ''}`,
      );
      console.log(
        `               item said: boa_offset_applied ${h.evidence.boaOffsetApplied ?? '—'}, declared offset ${h.evidence.declaredOffset ?? '—'}, scale ${h.evidence.declaredScale ?? '—'}`,
      );
    } else {
      console.log(`  scene        ${l.sceneId} MISSING from the scenes table`);
    }
    const run = l.run;
    if (run) {
      console.log(
        `  run          ${run.workflowId} (run ${run.runId}), ${run.kind}, ${run.status}; trigger ${run.trigger}${run.triggeredBy ? ` by ${run.triggeredBy}` : ''}`,
      );
      console.log(
        `               code ${run.codeVersion ?? 'MISSING'}; started ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}`,
      );
    } else {
      console.log(
        `  run          ${l.runId ? `${l.runId} MISSING from pipeline_runs` : 'MISSING (the observation names no run)'}`,
      );
    }
  }
}

function printOutdated(r: OutdatedReport): void {
  console.log(`current algorithm version  ${r.currentAlgorithmVersion}`);
  printTable(
    r.versions.map((v) => ({
      version: v.algorithmVersion,
      current: v.current ? 'yes' : '',
      observations: v.observations,
      parcels: v.parcels,
      indices: Object.entries(v.byIndex)
        .map(([i, n]) => `${i} ${n}`)
        .join(', '),
      acquired: `${v.first.slice(0, 10)} .. ${v.last.slice(0, 10)}`,
    })),
  );
  const o = r.outdated;
  if (o.observations === 0) {
    console.log(`every one of the ${r.observations} observations is current`);
    return;
  }
  console.log(
    `${o.observations} of ${r.observations} observations are outdated: ${o.toReprocess} will be recomputed by the next run or backfill covering them${o.kept ? `, ${o.kept} are kept as they are (unwatched parcels or indices no longer computed)` : ''}`,
  );
  if (o.weeks) {
    console.log(
      `recompute them now:  parcelwatch backfill --from ${o.weeks.from} --to ${o.weeks.to}`,
    );
  }
}
