import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { currentActor } from '../../core/actor';
import type { Dataset, DatasetDetail } from '../../store/db/datasets';
import { withDatabase } from '../database';
import { printJson, printTable } from '../output';

const catalog = () =>
  require('../../store/db/datasets') as typeof import('../../store/db/datasets');
const audit = () =>
  require('../../store/db/audit-log') as typeof import('../../store/db/audit-log');
const teams = () =>
  require('../../store/db/team-access') as typeof import('../../store/db/team-access');
const transaction = () =>
  require('../../store/db/transaction') as typeof import('../../store/db/transaction');

export function registerDatasets(program: Command): void {
  const datasets = program
    .command('datasets')
    .description(
      'The dataset catalog: each published dataset with its owner team, quality KPIs and retention',
    );

  datasets
    .command('list')
    .description('Every published dataset: kind, owner team, retention, KPIs')
    .option('--json', 'print the catalog as JSON')
    .addHelpText(
      'after',
      "\nExamples:\n  $ parcelwatch datasets list\n  $ parcelwatch datasets list --json | jq '.[] | {name, ownerTeam}'",
    )
    .action(async (options: { json?: boolean }) => {
      const policy = catalog().catalogPolicy(loadConfig());
      await withDatabase(async (db) => {
        const list = await catalog().listDatasets(db, policy);
        if (options.json) return printJson(list);
        printTable(
          list.map((d) => ({
            name: d.name,
            kind: d.kind,
            owner: d.ownerTeam,
            retention: retentionCell(d),
            kpis: d.kpis.map((k) => `${k.name} ${k.threshold}`).join(', '),
            description: shorten(d.description, DESCRIPTION_CELL),
          })),
        );
      });
    });

  datasets
    .command('show <name>')
    .description(
      'One dataset in full: owner, location, retention, row counts, and its KPIs against their thresholds in the latest run',
    )
    .option('--json', 'print the dataset as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ parcelwatch datasets show ndvi\n  $ parcelwatch datasets show weekly --json',
    )
    .action(async (name: string, options: { json?: boolean }) => {
      const policy = catalog().catalogPolicy(loadConfig());
      await withDatabase(async (db) => {
        const detail = await catalog().describeDataset(db, name, policy);
        if (!detail) throw await catalog().unknownDataset(db, name);
        if (options.json) return printJson(detail);
        printDetail(detail);
      });
    });

  datasets
    .command('set-owner <name> <team>')
    .description('Give a dataset to another team (recorded in the audit log)')
    .option('--json', 'print the change as JSON')
    .addHelpText(
      'after',
      `
The change and its audit row (actor: PARCELWATCH_ACTOR, else the user) are written together, or
neither is. Setting the owner a dataset already has changes nothing and records nothing.

Examples:
  $ parcelwatch datasets set-owner ndmi team-b
  $ PARCELWATCH_ACTOR=alice parcelwatch datasets set-owner weekly team-a --json`,
    )
    .action(async (name: string, team: string, options: { json?: boolean }) => {
      const actor = currentActor();
      await withDatabase(async (db) => {
        const change = await transaction().inTransaction(db.pool, async (client) => {
          const changed = await catalog().changeDatasetOwner(client, name, team);
          if (changed?.changed) {
            await audit().recordAudit(client, {
              actor,
              action: 'dataset.set-owner',
              target: `dataset:${name}`,
              details: { from: changed.previous, to: changed.owner },
            });
          }
          return changed;
        });
        if (!change) throw await catalog().unknownDataset(db, name);
        if (change.changed && !(await teams().teamRole(db, change.owner))) {
          console.error(
            `warning: team ${change.owner} is not registered (it has no database role); register it with \`parcelwatch teams add ${change.owner}\``,
          );
        }
        if (options.json) return printJson(change);
        console.log(
          change.changed
            ? `dataset ${change.dataset}: owner ${change.previous} → ${change.owner} (recorded in the audit log as ${actor})`
            : `dataset ${change.dataset}: already owned by ${change.owner}, nothing changed`,
        );
      });
    });
}

/** Characters of a description the table shows; `show` prints it whole. */
const DESCRIPTION_CELL = 60;

const shorten = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

function retentionCell(d: Dataset): string {
  const r = d.retention;
  if (r.days === null) return 'kept';
  return `${r.days} d${r.source === 'dataset' ? '' : ' (default)'}${r.enforced ? '' : ' (not enforced)'}`;
}

const share = (v: number | null) => (v === null ? '—' : String(Math.round(v * 10_000) / 10_000));

function printDetail(d: DatasetDetail): void {
  console.log(`dataset    ${d.name} (${d.kind}), owner ${d.ownerTeam}`);
  console.log(`about      ${d.description}`);
  console.log(`location   ${d.location}`);
  const r = d.retention;
  console.log(
    `retention  ${r.days === null ? 'kept' : `${r.days} days${r.source ? ` (${r.source === 'dataset' ? 'set on the dataset' : r.source})` : ''}`}: ${r.note}`,
  );
  const rows = d.rows;
  const statuses = Object.entries(rows.byStatus)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const span = rows.first ? `, ${rows.first.slice(0, 10)} .. ${rows.last?.slice(0, 10)}` : '';
  console.log(
    d.kind === 'archive'
      ? `rows       ${rows.total} archived and deleted from the database by purges${rows.first ? ` (${rows.first.slice(0, 10)} .. ${rows.last?.slice(0, 10)})` : ''}`
      : `rows       ${rows.total}${statuses ? ` (${statuses})` : ''}, ${rows.parcels} parcels${span}`,
  );
  const source = d.quality.source;
  if (d.kpis.length === 0) console.log('quality    no KPI measures this dataset');
  else if (!source) console.log('quality    no finished run yet: KPIs have no value');
  else
    console.log(
      source.kind === 'run'
        ? `quality    latest weekly run ${source.id} (${source.status}${source.at ? `, finished ${source.at}` : ''})`
        : `quality    latest week ${source.id}`,
    );
  for (const kpi of d.kpis) {
    const reading = d.quality.kpis.find((k) => k.name === kpi.name);
    const verdict =
      reading?.met === null || reading === undefined ? '' : reading.met ? '  met' : '  MISSED';
    console.log(
      `kpi        ${kpi.name}: ${share(reading?.value ?? null)} ${kpi.bound === 'min' ? '≥' : '≤'} ${kpi.threshold} (${kpi.source === 'dataset' ? `the dataset's target; configured ${kpi.configured}` : kpi.source})${verdict} — ${kpi.measures}`,
    );
  }
  console.log(`updated    ${d.updatedAt}`);
}
