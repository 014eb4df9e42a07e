/**
 * The main job on embedded defaults (`npm run demo`): synthetic Sentinel-2 over two overlapping
 * tiles with a few hundred parcels and several weeks of scenes, served by the local STAC API; the
 * embedded PostgreSQL with PostGIS and the Temporal dev server with its Web UI; a worker; a backfill
 * of the weeks through Temporal; a table of weekly NDVI per parcel; the HTTP API with the web map;
 * then where to look next.
 * Everything stays up for exploring; `npm run stack:down` stops it.
 * Options: --down (stop the stack at the end, for CI smoke tests), --parcels N, --weeks N.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { addIsoWeeks, formatIsoWeek, isoWeekOf } from '../src/core/time/iso-week';
import { recordAudit } from '../src/store/db/audit-log';
import { redactUrl } from '../src/store/db/connection';
import { openDatabase } from '../src/store/db/database';
import { watchParcels } from '../src/store/db/parcels-repo';
import { importParcels } from '../src/store/import/import-parcels';
import { connectClient } from '../src/temporal/connection';
import { followProgress } from '../src/temporal/runs';
import type { BackfillWeek } from '../src/workflows/backfill';
import { DEMO_ACTOR, type DemoApi, demoApiKey, startDemoApi } from './demo-api';
import { runDir } from './provision/paths';
import { assertPortFree, isListening } from './provision/ports';
import { isAlive, startDaemon, stopDaemon, waitUntil } from './provision/process';
import { provisionDemo, stopProfile } from './provision/stack';
import { weeklyDates } from './synthetic/acquisitions';
import { generateSynthetic } from './synthetic/generate';

const log = (message: string) => console.log(`[demo] ${message}`);
const REPO = path.resolve(__dirname, '..');
/** The synthetic season starts on this Monday; the demo covers the weeks from there. */
const DEMO_START = '2024-05-06';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      down: { type: 'boolean', default: false },
      parcels: { type: 'string', default: '300' },
      weeks: { type: 'string', default: '4' },
    },
  });
  const weeks = Number(values.weeks);
  const config = loadConfig();
  const dir = runDir(config.home, 'demo');
  const from = formatIsoWeek(isoWeekOf(DEMO_START));
  const to = formatIsoWeek(addIsoWeeks(from, weeks - 1));

  log(
    `synthetic Sentinel-2: tiles 33TWL + 33TWM, ${values.parcels} parcels, ${weeks} weeks (cached after the first run)…`,
  );
  const dates = weeklyDates(DEMO_START, weeks, 2);
  // The third week is entirely under cloud: its weekly values are interpolated between its neighbours.
  const clouded = weeks >= 4 ? dates.slice(4, 6) : [];
  const dataset = await generateSynthetic({
    out: path.join(config.home, 'demo-data'),
    parcels: Number(values.parcels),
    dates,
    scenes: Object.fromEntries(clouded.map((date) => [date, { fullyClouded: true }])),
    bands: ['B04', 'B08', 'B11', 'SCL'],
  });
  const stack = await provisionDemo(config, process.env, log);

  const stacUrl = `http://127.0.0.1:${config.devStack.stacPort}`;
  // Restarted on every run, like the worker, so it serves the dataset just generated.
  const stacPid = path.join(dir, 'stac.pid');
  await stopDaemon(stacPid);
  await assertPortFree(config.devStack.stacPort, 'PARCELWATCH_STAC_PORT', 'Local STAC API');
  const stacLog = path.join(dir, 'stac.log');
  const stacProcess = startDaemon({
    name: 'stac',
    command: process.execPath,
    args: [
      '--require',
      'tsx/cjs',
      path.join(REPO, 'scripts/stac-server/main.ts'),
      '--data',
      dataset.dir,
      '--port',
      String(config.devStack.stacPort),
    ],
    cwd: REPO,
    logFile: stacLog,
    pidFile: stacPid,
  });
  await waitUntil('local STAC API', () => isListening(config.devStack.stacPort), {
    timeoutMs: 30_000,
    alive: () => isAlive(stacProcess),
    logFile: stacLog,
  });
  log(`local STAC API: ${stacUrl} (pid ${stacProcess})`);

  const env = {
    ...process.env,
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    STAC_API_URL: stacUrl,
    PARCELWATCH_MAX_CLOUD_COVER: '100',
  };
  const db = await openDatabase(loadConfig(env).database, 'parcelwatch-demo');
  let api: DemoApi;
  try {
    // Through the importer users run (`parcelwatch parcels import`): checked by PostGIS, idempotent.
    // Recorded in the audit log as the CLI records them, with the demo as the actor.
    const imported = await importParcels(db, dataset.parcelsPath, {
      source: 'demo',
      groupMaxParcels: config.pipeline.groupMaxParcels,
      actor: DEMO_ACTOR,
    });
    await watchParcels(db, { source: 'demo' }, true, {
      audit: {
        actor: DEMO_ACTOR,
        action: 'parcels.watch',
        target: 'source:demo',
        details: { selector: { source: 'demo' } },
      },
    });
    log(
      `parcels: ${imported.inserted} imported, ${imported.updated} updated, ${imported.unchanged} unchanged; all watched`,
    );

    // Restart the worker on every demo run so it always runs the code of this checkout.
    await stopDaemon(path.join(dir, 'worker.pid'));
    const workerLog = path.join(dir, 'worker.log');
    const workerPid = startDaemon({
      name: 'worker',
      command: process.execPath,
      args: ['--require', 'tsx/cjs', path.join(REPO, 'src/cli/main.ts'), 'worker'],
      cwd: REPO,
      env,
      logFile: workerLog,
      pidFile: path.join(dir, 'worker.pid'),
    });
    log(`worker started (pid ${workerPid}), log ${workerLog}`);

    const client = await connectClient({ ...config.temporal, address: stack.temporalAddress });
    let result: { weeks: BackfillWeek[] };
    const workflowId = `backfill-${from}-${to}`;
    try {
      const handle = await client.workflow.start('backfill', {
        taskQueue: config.temporal.taskQueues.io,
        workflowId,
        args: [{ from, to, triggeredBy: DEMO_ACTOR }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      await recordAudit(db, {
        actor: DEMO_ACTOR,
        action: 'backfill.start',
        target: `workflow:${workflowId}`,
        details: { runId: handle.firstExecutionRunId, from, to },
      });
      log(`backfill ${from}..${to} running as ${workflowId}…`);
      await followProgress<{ done: number; remaining: number; current: string | null }>(
        handle,
        (p) =>
          log(
            `  ${p.done} weeks done, ${p.remaining} to go${p.current ? `, now ${p.current}` : ''}`,
          ),
      );
      result = (await handle.result()) as { weeks: BackfillWeek[] };
    } finally {
      await client.connection.close();
    }
    if (!isAlive(workerPid)) throw new Error(`the worker stopped; see ${workerLog}`);
    for (const week of result.weeks)
      log(
        `  ${week.week}: ${week.status}, ${week.observations} observations${week.reason ? ` (${week.reason})` : ''}`,
      );
    await printWeeklyTable(db, from, to);
    api = await startDemoApi(config, env, dir, await demoApiKey(db, config.home));
    log(`API and web page: ${api.url} (pid ${api.pid})`);
  } finally {
    await db.close();
  }

  console.log(`
parcelwatch demo is up.
  Temporal Web UI   ${stack.temporalUiUrl ?? '(external server)'}   (workflows backfill-…, weekly-…, group-…)
  Temporal address  ${stack.temporalAddress}
  Database          ${redactUrl(stack.databaseUrl)}   (schema ${config.database.schema})
  STAC API          ${stacUrl}   (synthetic scenes in ${dataset.dir})
  Web map           ${api.url}/#key=${api.key}
  HTTP API          ${api.url}/openapi.json   (key in ${api.keyFile})
  Logs              ${dir}
Next:
  npx parcelwatch db status
  npx parcelwatch run --week ${to} --reprocess --wait    # recompute a week through Temporal
  npx parcelwatch schedule create && npx parcelwatch schedule describe
  curl -H "Authorization: Bearer $(cat ${api.keyFile})" "${api.url}/v1/parcels?limit=3"
  npx parcelwatch export --format csv --out weekly.csv --kind weekly --index ndvi
  psql "${redactUrl(stack.databaseUrl)}" -c "SELECT * FROM parcelwatch.parcel_weekly LIMIT 10"
  npm run stack:down      # stop the demo services
`);
  if (values.down) await stopProfile(config.home, 'demo', log);
}

/** A compact table: weekly NDVI of a dozen parcels (~ interpolated, · no data). */
async function printWeeklyTable(
  db: Awaited<ReturnType<typeof openDatabase>>,
  from: string,
  to: string,
): Promise<void> {
  const rows = await db.pool.query<{
    external_id: string;
    crop: string | null;
    week: string;
    value: number | null;
    status: string;
  }>(
    `SELECT p.external_id, p.crop, to_char(w.week_start, 'IYYY-"W"IW') AS week, w.value, w.status
       FROM parcel_weekly w JOIN parcels p ON p.id = w.parcel_id
      WHERE w.index_name = 'ndvi' AND p.id IN (SELECT id FROM parcels WHERE watched ORDER BY external_id LIMIT 12)
      ORDER BY p.external_id, w.week_start`,
  );
  const weeks: string[] = [];
  for (let w = from; w <= to; w = formatIsoWeek(addIsoWeeks(w, 1))) weeks.push(w);
  const byParcel = new Map<string, { crop: string; cells: Map<string, string> }>();
  for (const r of rows.rows) {
    const entry = byParcel.get(r.external_id) ?? { crop: r.crop ?? '', cells: new Map() };
    entry.cells.set(
      r.week,
      r.value === null ? '·' : `${r.status === 'interpolated' ? '~' : ' '}${r.value.toFixed(2)}`,
    );
    byParcel.set(r.external_id, entry);
  }
  console.log(`\nWeekly NDVI (first ${byParcel.size} parcels; ~ interpolated, · no usable data)`);
  console.log(
    `${'parcel'.padEnd(10)}${'crop'.padEnd(12)}${weeks.map((w) => w.padStart(10)).join('')}`,
  );
  for (const [id, { crop, cells }] of byParcel) {
    console.log(
      `${id.padEnd(10)}${crop.padEnd(12)}${weeks.map((w) => (cells.get(w) ?? '·').padStart(10)).join('')}`,
    );
  }
}

main().catch((error) => {
  console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
