import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { listAudit } from '../../src/store/db/audit-log';
import type { Database } from '../../src/store/db/database';
import { runCli } from '../helpers/cli';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { feature, scratchDir, square, writeCollection } from '../store/import/parcel-files';

const SCHEMA = 'cli_privacy';

describe('parcelwatch privacy export|erase, and parcels import --personal-fields', function () {
  this.timeout(120_000);
  let db: Database & { url: string };
  let env: Record<string, string>;
  const dir = scratchDir('pw-cli-privacy-');

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
    env = { DATABASE_URL: db.url, PARCELWATCH_DB_SCHEMA: SCHEMA, PARCELWATCH_ACTOR: 'dpo' };
    const file = writeCollection(dir, 'farms.geojson', {
      type: 'FeatureCollection',
      features: [
        feature('F1', square(4.9, 52.3), {
          crop: 'tulips',
          Grower: 'Els de Vries',
          GSM: '0612345678',
          plot_note: 'dog',
        }),
        feature('F2', square(4.91, 52.3), {
          crop: 'tulips',
          Grower: 'Els de Vries',
          GSM: '0612345678',
          plot_note: '',
        }),
        feature('F3', square(4.92, 52.3), {
          crop: 'onions',
          Grower: 'Ruud Ras',
          GSM: '0687654321',
          plot_note: '',
        }),
      ],
    });
    const imported = await runCli(
      ['parcels', 'import', file, '--source', 'farms', '--personal-fields', 'plot_note'],
      env,
    );
    assert.equal(imported.code, 0, imported.stderr);
    // The summary names the personal fields, never their values.
    assert.match(
      imported.stdout,
      /personal "Grower" \(recognised\), "GSM" \(recognised\), "plot_note" \(given\)/,
    );
    assert.match(imported.stdout, /personal data: 3 parcels/);
    assert.ok(!/Els|Ruud|06\d{8}|dog/.test(imported.stdout + imported.stderr), imported.stdout);
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.close();
  });

  it('keeps personal values out of `parcels list`', async () => {
    const listed = await runCli(['parcels', 'list', '--json', '--limit', '0'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const parcels = JSON.parse(listed.stdout) as Array<{ attributes: Record<string, unknown> }>;
    assert.equal(parcels.length, 3);
    assert.ok(!/Els|Ruud|0612345678|dog|Grower|GSM/.test(listed.stdout), listed.stdout);
  });

  it('exports what is held about a person to a file only its owner can read', async () => {
    const out = path.join(dir, 'els.json');
    const result = await runCli(
      ['privacy', 'export', '--owner', 'els de vries', '--out', out],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /2 parcels with personal data of the subject written to/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const held = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(held.environment, SCHEMA);
    assert.deepEqual(
      held.parcels.map((p: { externalId: string }) => p.externalId),
      ['F1', 'F2'],
    );
    assert.deepEqual(held.parcels[0].personalData.fields, {
      Grower: 'Els de Vries',
      GSM: '0612345678',
      plot_note: 'dog',
    });
    assert.equal(held.parcels[0].geometry.type, 'MultiPolygon');
    const byPhone = await runCli(['privacy', 'export', '--owner', '0687654321'], env);
    assert.deepEqual(
      JSON.parse(byPhone.stdout).parcels.map((p: { externalId: string }) => p.externalId),
      ['F3'],
    );
  });

  it('erases a person: a dry run says what, the erasure does it and records it as the actor', async () => {
    const dry = await runCli(['privacy', 'erase', '--owner', 'Els de Vries', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /would erase the personal data of 2 parcels \(fields: GSM, Grower, plot_note\)/,
    );
    assert.match(dry.stdout, /farms:F1\n {2}farms:F2/);

    const done = await runCli(['privacy', 'erase', '--owner', 'Els de Vries', '--json'], env);
    assert.equal(done.code, 0, done.stderr);
    const report = JSON.parse(done.stdout);
    assert.deepEqual(report.parcels, ['farms:F1', 'farms:F2']);
    const [audit] = await listAudit(db, { action: 'privacy.erase', limit: 1 });
    assert.equal(audit?.id, report.auditId);
    assert.equal(audit?.actor, 'cli:dpo');

    const after = await runCli(['privacy', 'export', '--owner', 'Els de Vries'], env);
    assert.deepEqual(JSON.parse(after.stdout).parcels, []);
    const nothing = await runCli(['privacy', 'erase', '--owner', 'Els de Vries'], env);
    assert.match(
      nothing.stdout,
      /no personal data held about "Els de Vries" \(recorded as data-subject:sha256:/,
    );
    const parcels = await db.pool.query(
      "SELECT count(*)::int AS n FROM parcels WHERE source = 'farms'",
    );
    assert.equal(parcels.rows[0].n, 3, 'the parcels stay');
  });

  it('refuses an empty --owner as bad input (exit 2)', async () => {
    const result = await runCli(['privacy', 'erase', '--owner', ' '], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--owner is empty/);
  });
});
