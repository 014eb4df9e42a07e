import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { listAudit } from '../../../src/store/db/audit-log';
import type { Database } from '../../../src/store/db/database';
import { MIGRATIONS_DIR, migrate } from '../../../src/store/db/migrate';
import {
  eraseDataSubject,
  exportDataSubject,
  subjectReference,
} from '../../../src/store/db/personal-data';
import { roleNames } from '../../../src/store/db/roles';
import { importParcels } from '../../../src/store/import/import-parcels';
import { feature, scratchDir, square, writeCollection } from '../import/parcel-files';
import { isolatedDatabase } from './isolated-schema';

const SCHEMA = 'pw_personal';
const JAN = {
  farmer_name: 'Jan Jansen',
  farmer_email: 'jan@example.org',
  phone: '+31 6 1234 5678',
};
const PIA = {
  farmer_name: 'Pia Peters',
  farmer_email: 'pia@example.org',
  phone: '+31 6 8765 4321',
};

/** Three parcels near Wageningen: two of Jan, one of Pia, with a crop, a year and a remark. */
function parcelsFile(dir: string, name: string, people = [JAN, JAN, PIA], extra = {}): string {
  return writeCollection(dir, name, {
    type: 'FeatureCollection',
    features: people.map((person, i) =>
      feature(`P${i + 1}`, square(5.66 + i * 0.01, 51.97), {
        crop: 'wheat',
        year: 2024,
        remarks: `gate code ${1000 + i}`,
        ...person,
        ...extra,
      }),
    ),
  });
}

interface Held {
  external_id: string;
  holder_name: string | null;
  fields: Record<string, string>;
  erased_at: Date | null;
  erasure: string | null;
  attributes: Record<string, unknown>;
}

async function held(db: Database): Promise<Map<string, Held>> {
  const rows = await db.pool.query<Held>(
    `SELECT p.external_id, d.holder_name, d.fields, d.erased_at, d.erasure, p.attributes
       FROM parcels p LEFT JOIN parcel_personal_data d ON d.parcel_id = p.id
      WHERE p.source = 'farm' ORDER BY p.external_id`,
  );
  return new Map(rows.rows.map((r) => [r.external_id, r]));
}

describe('personal data of parcels (real PostgreSQL + PostGIS)', function () {
  this.timeout(120_000);
  let db: Database & { url: string };
  const dir = scratchDir('pw-personal-');

  before(async () => {
    db = await isolatedDatabase(SCHEMA);
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.close();
  });

  it('keeps personal fields out of attributes and in parcel_personal_data, recognised or named', async () => {
    const summary = await importParcels(db, parcelsFile(dir, 'farm.geojson'), {
      source: 'farm',
      personalFields: ['remarks'],
    });
    assert.deepEqual(summary.personalData, {
      fields: ['remarks', 'farmer_name', 'farmer_email', 'phone'],
      stored: 3,
      cleared: 0,
    });
    assert.match(summary.mapping.personal, /"remarks" \(given\), "farmer_name" \(recognised\)/);
    const rows = await held(db);
    for (const row of rows.values()) {
      assert.deepEqual(row.attributes, { year: 2024 }, `${row.external_id} attributes`);
    }
    assert.equal(rows.get('P1')?.holder_name, 'Jan Jansen');
    assert.deepEqual(rows.get('P3')?.fields, {
      remarks: 'gate code 1002',
      farmer_name: 'Pia Peters',
      farmer_email: 'pia@example.org',
      phone: '+31 6 8765 4321',
    });
  });

  it('refuses the reader role (analysts, every team) any access to personal data', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`SET ROLE ${roleNames(SCHEMA).reader}`);
      await client.query(`SET search_path TO ${SCHEMA}, public`);
      await assert.rejects(
        client.query('SELECT holder_name FROM parcel_personal_data'),
        /permission denied for table parcel_personal_data/,
      );
    } finally {
      await client.end();
    }
  });

  it('updates on re-import, drops a record the file no longer fills, and leaves records alone when the file has no personal field', async () => {
    const moved = { ...JAN, farmer_email: 'jan@jansen.example' };
    const empty = { farmer_name: '', farmer_email: '', phone: '', remarks: ' ' };
    let summary = await importParcels(db, parcelsFile(dir, 'farm.geojson', [moved, empty, PIA]), {
      source: 'farm',
      personalFields: ['remarks'],
    });
    assert.deepEqual([summary.personalData?.stored, summary.personalData?.cleared], [2, 1]);
    let rows = await held(db);
    assert.equal(rows.get('P1')?.fields.farmer_email, 'jan@jansen.example');
    assert.equal(rows.get('P2')?.fields, null, 'no personal value left for P2: no record');

    const anonymous = writeCollection(dir, 'anonymous.geojson', {
      type: 'FeatureCollection',
      features: [1, 2, 3].map((i) =>
        feature(`P${i}`, square(5.66 + (i - 1) * 0.01, 51.97), { crop: 'wheat', year: 2024 }),
      ),
    });
    summary = await importParcels(db, anonymous, { source: 'farm' });
    assert.equal(summary.personalData, undefined);
    rows = await held(db);
    assert.equal(
      rows.get('P1')?.holder_name,
      'Jan Jansen',
      'kept: this file says nothing about people',
    );
    // Back to the original file for the requests below.
    await importParcels(db, parcelsFile(dir, 'farm.geojson'), {
      source: 'farm',
      personalFields: ['remarks'],
    });
  });

  it('exports everything held about a data subject, found by name or contact value, and audits it without the name', async () => {
    const byName = await exportDataSubject(db, '  jan   JANSEN ', { actor: 'cli:dpo' });
    assert.deepEqual(
      byName.parcels.map((p) => p.externalId),
      ['P1', 'P2'],
    );
    const first = byName.parcels[0]!;
    assert.equal(first.geometry.type, 'MultiPolygon');
    assert.deepEqual(first.attributes, { year: 2024 });
    assert.equal(first.personalData.holderName, 'Jan Jansen');
    assert.equal(first.personalData.fields.phone, '+31 6 1234 5678');
    const byEmail = await exportDataSubject(db, 'PIA@example.org', { actor: 'cli:dpo' });
    assert.deepEqual(
      byEmail.parcels.map((p) => p.externalId),
      ['P3'],
    );
    assert.deepEqual((await exportDataSubject(db, 'Nobody', { actor: 'cli:dpo' })).parcels, []);
    const [audit] = await listAudit(db, { action: 'privacy.export', limit: 3 });
    assert.equal(audit?.actor, 'cli:dpo');
    assert.match(audit?.target ?? '', /^data-subject:sha256:[0-9a-f]{16}$/);
    const log = JSON.stringify(await listAudit(db, { action: 'privacy' }));
    for (const value of ['Jansen', 'Peters', 'example.org', '1234']) {
      assert.ok(!log.includes(value), `the audit log holds "${value}"`);
    }
  });

  it('erases a data subject: a dry run changes nothing; then values go, parcels and observations stay, and the audit log says what went', async () => {
    const p1 = await db.pool.query<{ id: string }>(
      "SELECT id FROM parcels WHERE source = 'farm' AND external_id = 'P1'",
    );
    await db.pool.query(
      `INSERT INTO parcel_observations
         (parcel_id, index_name, acquired_at, scene_id, mean, valid_pixels, total_pixels, valid_fraction, status, algorithm_version)
       VALUES ($1, 'ndvi', now(), 'S2B_31UFT_20240510_0_L2A', 0.6, 10, 10, 1, 'ok', 'test')`,
      [p1.rows[0]!.id],
    );
    const before = await held(db);
    const dry = await eraseDataSubject(db, 'Jan Jansen', { actor: 'cli:dpo', dryRun: true });
    assert.deepEqual(dry.parcels, ['farm:P1', 'farm:P2']);
    assert.deepEqual(dry.fields, ['farmer_email', 'farmer_name', 'phone', 'remarks']);
    assert.equal(dry.auditId, undefined);
    assert.deepEqual(await held(db), before, 'a dry run changes nothing');

    const done = await eraseDataSubject(db, 'jan@example.org', { actor: 'cli:dpo' });
    assert.deepEqual(done.parcels, ['farm:P1', 'farm:P2']);
    const after = await held(db);
    for (const id of ['P1', 'P2']) {
      const row = after.get(id)!;
      assert.equal(row.holder_name, null);
      assert.deepEqual(row.fields, {});
      assert.equal(row.erasure, 'request');
      assert.ok(row.erased_at instanceof Date);
      assert.deepEqual(row.attributes, { year: 2024 }, 'the parcel stays');
    }
    assert.equal(after.get('P3')?.holder_name, 'Pia Peters', "another subject's data stays");
    const observations = await db.pool.query(
      'SELECT 1 FROM parcel_observations WHERE parcel_id = $1',
      [p1.rows[0]!.id],
    );
    assert.equal(observations.rowCount, 1, 'observations stay');
    assert.deepEqual((await exportDataSubject(db, 'Jan Jansen', { actor: 'cli:dpo' })).parcels, []);

    const [audit] = await listAudit(db, { action: 'privacy.erase', limit: 1 });
    assert.equal(audit?.id, done.auditId);
    assert.equal(audit?.target, subjectReference('jan@example.org'));
    assert.deepEqual(audit?.details, {
      parcels: ['farm:P1', 'farm:P2'],
      fields: ['farmer_email', 'farmer_name', 'phone', 'remarks'],
    });
    // Erasing again finds nothing, and says so in the log too.
    const again = await eraseDataSubject(db, 'Jan Jansen', { actor: 'cli:dpo' });
    assert.deepEqual(again.parcels, []);
    assert.ok(again.auditId! > done.auditId!);
  });

  it('refuses an empty subject', async () => {
    await assert.rejects(eraseDataSubject(db, '  ', { actor: 'cli:dpo' }), /--owner is empty/);
  });

  it('migration 0007 moves personal keys of attributes imported before it', async () => {
    const schema = 'pw_personal_move';
    const before07 = scratchDir('pw-migrations-');
    try {
      cpSync(MIGRATIONS_DIR, before07, { recursive: true });
      const journalFile = path.join(before07, 'meta', '_journal.json');
      const journal = JSON.parse(readFileSync(journalFile, 'utf8'));
      journal.entries = journal.entries.filter((e: { tag: string }) => e.tag < '0007');
      writeFileSync(journalFile, JSON.stringify(journal));
      await migrate({ url: db.url, schema, migrationsDir: before07 });
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query(
          `INSERT INTO ${schema}.parcels (external_id, geom, area_m2, attributes)
           VALUES ('old-1', ST_Multi(ST_MakeEnvelope(5.0, 52.0, 5.001, 52.001, 4326)), 7600, $1),
                  ('old-2', ST_Multi(ST_MakeEnvelope(5.1, 52.0, 5.101, 52.001, 4326)), 7600, $2)`,
          [
            { 'Farmer Name': 'Jan Jansen', 'E-mail': 'jan@example.org', year: 2023, tel: null },
            { year: 2023, gewas: 'tarwe' },
          ],
        );
        const result = await migrate({ url: db.url, schema });
        assert.ok(result.applied.includes('0007_privacy'));
        const rows = await client.query(
          `SELECT p.external_id, p.attributes, d.holder_name, d.fields
             FROM ${schema}.parcels p LEFT JOIN ${schema}.parcel_personal_data d ON d.parcel_id = p.id
            ORDER BY p.external_id`,
        );
        assert.deepEqual(rows.rows, [
          {
            external_id: 'old-1',
            attributes: { year: 2023 },
            holder_name: 'Jan Jansen',
            fields: { 'Farmer Name': 'Jan Jansen', 'E-mail': 'jan@example.org' },
          },
          {
            external_id: 'old-2',
            attributes: { year: 2023, gewas: 'tarwe' },
            holder_name: null,
            fields: null,
          },
        ]);
      } finally {
        await client.end();
      }
    } finally {
      rmSync(before07, { recursive: true, force: true });
    }
  });
});
