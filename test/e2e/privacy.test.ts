import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startTestApi, type TestApi } from '../api/harness';
import { runCli } from '../helpers/cli';
import { type PipelineFixture, pipelineFixture, spawnWorker } from '../helpers/pipeline';
import { RUN_DIR } from '../helpers/services';
import { readParquet } from '../store/exports/readers';

const WEEK = '2024-W19';

/** The personal data each synthetic parcel gets: distinctive values, so any leak shows by grep. */
function personOf(id: string): Record<string, string> {
  return {
    farmer_name: `Quirinus Xylander-${id}`,
    farmer_email: `q.xylander.${id.toLowerCase()}@farm-example.org`,
    phone: `+31 6 7391 ${id.replace(/\D/g, '').padStart(4, '0')}`,
  };
}

/**
 * Personal data attached to parcels never reaches logs, traces, exports or the API: a weekly run
 * over parcels imported with a holder's name, e-mail and phone, with debug logs and tracing on,
 * then every output the product has is searched for those values.
 */
describe('privacy: personal data stays out of logs, traces, exports and the API (real services)', function () {
  this.timeout(600_000);
  let fixture: PipelineFixture;
  let collector: { server: Server; url: string; bodies: Array<{ path: string; body: Buffer }> };
  let api: TestApi;
  let personalValues: string[];
  /** Everything the product said or wrote, by where it came from. */
  const outputs: Array<{ where: string; text: string }> = [];

  before(async () => {
    collector = await otlpCollector();
    fixture = await pipelineFixture(
      'privacy',
      { seed: 81, parcels: 24, tinyParcels: 0, bands: ['B04', 'B08', 'B11', 'SCL'] },
      {
        PARCELWATCH_GROUP_MAX_PARCELS: '12',
        PARCELWATCH_LOOKBACK_WEEKS: '0',
        PARCELWATCH_LOG_LEVEL: 'DEBUG',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
      {
        mutate: (dir) => {
          const file = path.join(dir, 'parcels.geojson');
          const collection = JSON.parse(readFileSync(file, 'utf8')) as {
            features: Array<{ properties: Record<string, unknown> & { id: string } }>;
          };
          for (const f of collection.features)
            Object.assign(f.properties, personOf(f.properties.id));
          writeFileSync(file, JSON.stringify(collection));
        },
      },
    );
    const ids = (
      await fixture.db.pool.query<{ external_id: string }>('SELECT external_id FROM parcels')
    ).rows.map((r) => r.external_id);
    personalValues = ids.flatMap((id) => Object.values(personOf(id)));
    // The importer takes the same parcels again, now with their holders (as an operator would).
    const imported = await runCli(
      ['parcels', 'import', fixture.dataset.parcelsPath, '--source', 'synthetic', '--json'],
      fixture.env,
    );
    assert.equal(imported.code, 0, imported.stderr);
    outputs.push({ where: 'parcels import', text: imported.stdout + imported.stderr });
    api = await startTestApi(fixture.db);
  });
  after(async () => {
    await api?.app.close();
    await fixture?.close();
    collector?.server.close();
  });

  it('holds the personal data apart, for every parcel', async () => {
    const held = await fixture.db.pool.query<{ n: number; leaked: number }>(
      `SELECT (SELECT count(*)::int FROM parcel_personal_data WHERE holder_name LIKE 'Quirinus Xylander-%') AS n,
              (SELECT count(*)::int FROM parcels WHERE attributes::text LIKE '%Xylander%') AS leaked`,
    );
    const parcels = await fixture.db.pool.query('SELECT 1 FROM parcels');
    assert.deepEqual(held.rows[0], { n: parcels.rowCount, leaked: 0 });
  });

  it('runs a week with debug logs and traces on, and neither carries personal data', async () => {
    const worker = spawnWorker(fixture);
    const exited = new Promise<never>((_, reject) =>
      worker.once('exit', (code) =>
        reject(new Error(`the worker exited (${code}) during the run:\n${worker.output()}`)),
      ),
    );
    exited.catch(() => undefined);
    try {
      const run = await Promise.race([
        runCli(['run', '--week', WEEK, '--wait', '--json'], fixture.env),
        exited,
      ]);
      assert.equal(run.code, 0, `${run.stderr}\n${worker.output()}`);
      assert.ok(JSON.parse(run.stdout).result.observations > 0, run.stdout);
      outputs.push({ where: 'run --wait', text: run.stdout + run.stderr });
    } finally {
      worker.kill('SIGTERM');
      await exited.catch(() => undefined);
    }
    const logs = worker.output();
    outputs.push({ where: 'worker logs', text: logs });
    const traces = collector.bodies.filter((b) => b.path === '/v1/traces');
    const spans = Buffer.concat(traces.map((t) => t.body)).toString('utf8');
    outputs.push({ where: 'OTLP traces', text: spans });
    // The net caught something: debug lines and the spans of the run's activities.
    assert.ok(logs.split('\n').filter(Boolean).length > 10, logs);
    assert.match(spans, /RunActivity:computeIndices/);
    assertNoPersonalData();
  });

  it('leaves personal data out of CSV, Parquet and GeoJSON exports, parcel listings and the API', async () => {
    const dir = path.join(RUN_DIR, 'privacy-exports');
    mkdirSync(dir, { recursive: true });
    for (const format of ['csv', 'parquet', 'geojson']) {
      const out = path.join(dir, `export.${format}`);
      const result = await runCli(['export', '--format', format, '--out', out, '--json'], {
        ...fixture.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      });
      assert.equal(result.code, 0, result.stderr);
      outputs.push({ where: `export ${format} (command)`, text: result.stdout + result.stderr });
      const bytes = readFileSync(out);
      if (format === 'parquet') {
        // Values are compressed inside pages: read them back and search what they say.
        const parquet = await readParquet(new Uint8Array(bytes));
        assert.ok(parquet.rows.length > 0);
        outputs.push({
          where: 'export parquet',
          text: JSON.stringify(parquet, (_key, v) => (typeof v === 'bigint' ? String(v) : v)),
        });
      } else {
        assert.ok(bytes.length > 100);
        outputs.push({ where: `export ${format}`, text: bytes.toString('utf8') });
      }
    }
    for (const args of [['--json'], ['--geojson']]) {
      const listed = await runCli(['parcels', 'list', '--limit', '0', ...args], fixture.env);
      assert.equal(listed.code, 0, listed.stderr);
      outputs.push({ where: `parcels list ${args[0]}`, text: listed.stdout + listed.stderr });
    }
    const first = await fixture.db.pool.query<{ id: string }>('SELECT min(id) AS id FROM parcels');
    const id = first.rows[0]!.id;
    for (const url of [
      '/v1/parcels?limit=1000',
      `/v1/parcels/${id}`,
      `/v1/parcels/${id}/observations`,
      '/v1/map/latest?index=ndvi',
      '/v1/exports/series.csv',
      '/v1/exports/latest.geojson?index=ndvi',
    ]) {
      const response = await api.get(url);
      assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
      outputs.push({ where: `GET ${url}`, text: response.body });
    }
    assertNoPersonalData();
  });

  it('gives the personal data only to a data-subject request', async () => {
    const [someone] = personalValues;
    const held = await runCli(['privacy', 'export', '--owner', someone!], fixture.env);
    assert.equal(held.code, 0, held.stderr);
    assert.equal(JSON.parse(held.stdout).parcels.length, 1);
    assert.ok(held.stdout.includes(someone!));
  });

  function assertNoPersonalData(): void {
    assert.ok(personalValues.length >= 3 * 24);
    for (const { where, text } of outputs) {
      assert.ok(text.length > 0, `${where} is empty`);
      const leaked = personalValues.filter((value) => text.includes(value));
      assert.deepEqual(leaked, [], `${where} carries personal data`);
      assert.ok(!text.includes('Xylander') && !text.includes('farm-example.org'), where);
    }
  }
});

/** A stand-in OTLP/HTTP collector keeping every export it receives. */
async function otlpCollector(): Promise<{
  server: Server;
  url: string;
  bodies: Array<{ path: string; body: Buffer }>;
}> {
  const bodies: Array<{ path: string; body: Buffer }> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push({ path: request.url ?? '', body: Buffer.concat(chunks) });
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}
