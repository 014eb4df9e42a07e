import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { BadInputError } from '../../core/errors';
import type { ParcelGeometry } from '../../core/geo/types';
import { recordAudit } from './audit-log';
import type { Database } from './database';
import { PARCEL_COLUMNS, type ParcelRow, type StoredParcel, toStoredParcel } from './parcel-row';
import { inTransaction } from './transaction';

/**
 * Data-subject requests on the personal data attached to parcels (`parcel_personal_data`, migration
 * 0007): everything held about a person, and its erasure. A person is found by the name the
 * import recorded (`holder_name`) or by any personal value (an e-mail, a phone number), compared
 * case- and space-insensitively. Both requests are recorded in the audit log under a digest of the
 * subject, never the name itself, so the log does not keep what the erasure removed.
 */

/** One parcel of the data subject, as held: the parcel and its personal data. */
export interface SubjectParcel extends StoredParcel {
  /** WGS 84. */
  geometry: ParcelGeometry;
  createdAt: string;
  updatedAt: string;
  personalData: {
    holderName: string | null;
    fields: Record<string, string>;
    /** The last import that carried it; retention counts from here. */
    importedAt: string;
    updatedAt: string;
  };
}

/** `parcelwatch privacy export`: everything held about one data subject. */
export interface SubjectExport {
  /** The name or value asked for, as given. */
  subject: string;
  /** The database schema (environment) it was read from. */
  environment: string;
  generatedAt: string;
  parcels: SubjectParcel[];
}

/** `parcelwatch privacy erase`: what was (or, in a dry run, would be) removed. */
export interface ErasureReport {
  subject: string;
  /** The audit log's reference to the subject: a digest, not the name. */
  subjectRef: string;
  dryRun: boolean;
  /** Parcels whose personal data was erased, as `source:externalId`; they themselves stay. */
  parcels: string[];
  /** The personal fields that held values (names only). */
  fields: string[];
  /** The audit row of the erasure (absent in a dry run). */
  auditId?: number;
}

/** Compared in SQL on both sides: trimmed, inner whitespace collapsed, lower case. */
const NORMALISED = (expression: string) =>
  `lower(regexp_replace(btrim(${expression}), '\\s+', ' ', 'g'))`;

/** Rows of `parcel_personal_data` d holding the subject $1; erased rows hold nothing. */
const SUBJECT_MATCH = `d.erased_at IS NULL AND (
  ${NORMALISED('d.holder_name')} = ${NORMALISED('$1')}
  OR EXISTS (SELECT 1 FROM jsonb_each_text(d.fields) f WHERE ${NORMALISED('f.value')} = ${NORMALISED('$1')}))`;

/**
 * How the audit log names a data subject: `data-subject:sha256:` and the first 16 hex digits of
 * the SHA-256 of the normalised name. The same request gives the same reference, so a later
 * request can be matched to an earlier one, yet the log holds no personal value.
 */
export function subjectReference(subject: string): string {
  const normalised = subject.trim().replace(/\s+/g, ' ').toLowerCase();
  return `data-subject:sha256:${createHash('sha256').update(normalised).digest('hex').slice(0, 16)}`;
}

/** Everything held about `subject`, recorded in the audit log as `privacy.export` by `actor`. */
export async function exportDataSubject(
  db: Database,
  subject: string,
  options: { actor: string },
): Promise<SubjectExport> {
  checkSubject(subject);
  return inTransaction(db.pool, async (client) => {
    const rows = await client.query<SubjectRow>(
      `SELECT ${PARCEL_COLUMNS}, ST_AsGeoJSON(p.geom, 9)::json AS geometry, p.created_at,
              p.updated_at, d.holder_name, d.fields, d.imported_at, d.updated_at AS personal_updated_at
         FROM parcel_personal_data d JOIN parcels p ON p.id = d.parcel_id
        WHERE ${SUBJECT_MATCH}
        ORDER BY p.id`,
      [subject],
    );
    await recordAudit(client, {
      actor: options.actor,
      action: 'privacy.export',
      target: subjectReference(subject),
      details: { parcels: rows.rows.length },
    });
    return {
      subject,
      environment: db.schema,
      generatedAt: new Date().toISOString(),
      parcels: rows.rows.map(toSubjectParcel),
    };
  });
}

/**
 * Erases the personal data held about `subject`: values removed, the rows marked erased (when and
 * why), the parcels, their observations and series untouched. One transaction with its audit row
 * (`privacy.erase`, recorded even when nothing was held: the request was answered). A dry run
 * reports the same and changes nothing.
 */
export async function eraseDataSubject(
  db: Database,
  subject: string,
  options: { actor: string; dryRun?: boolean },
): Promise<ErasureReport> {
  checkSubject(subject);
  const dryRun = options.dryRun === true;
  const subjectRef = subjectReference(subject);
  return inTransaction(db.pool, async (client) => {
    const held = await client.query<{ parcel_id: string; parcel: string; fields: string[] }>(
      `SELECT d.parcel_id, p.source || ':' || p.external_id AS parcel,
              ARRAY(SELECT jsonb_object_keys(d.fields)) AS fields
         FROM parcel_personal_data d JOIN parcels p ON p.id = d.parcel_id
        WHERE ${SUBJECT_MATCH}
        ORDER BY p.id
          FOR UPDATE OF d`,
      [subject],
    );
    const report: ErasureReport = {
      subject,
      subjectRef,
      dryRun,
      parcels: held.rows.map((r) => r.parcel),
      fields: [...new Set(held.rows.flatMap((r) => r.fields))].sort(),
    };
    if (dryRun) return report;
    await markErased(
      client,
      held.rows.map((r) => r.parcel_id),
      'request',
    );
    const audit = await recordAudit(client, {
      actor: options.actor,
      action: 'privacy.erase',
      target: subjectRef,
      details: { parcels: report.parcels, fields: report.fields },
    });
    report.auditId = audit.id;
    return report;
  });
}

/** Removes the values of these parcels' personal data and marks them erased, with why. */
export async function markErased(
  client: Pick<PoolClient, 'query'>,
  parcelIds: readonly string[],
  erasure: 'request' | 'retention',
): Promise<number> {
  if (parcelIds.length === 0) return 0;
  const result = await client.query(
    `UPDATE parcel_personal_data
        SET holder_name = NULL, fields = '{}'::jsonb, erased_at = now(), erasure = $2,
            updated_at = now()
      WHERE parcel_id = ANY($1::bigint[]) AND erased_at IS NULL`,
    [parcelIds, erasure],
  );
  return result.rowCount ?? 0;
}

function checkSubject(subject: string): void {
  if (subject.trim() === '') {
    throw new BadInputError(
      '--owner is empty; give the data subject’s name (as imported) or one of their contact values, e.g. an e-mail address',
      { code: 'PRIVACY_SUBJECT_EMPTY' },
    );
  }
}

interface SubjectRow extends ParcelRow {
  geometry: ParcelGeometry;
  created_at: Date;
  updated_at: Date;
  holder_name: string | null;
  fields: Record<string, string>;
  imported_at: Date;
  personal_updated_at: Date;
}

function toSubjectParcel(r: SubjectRow): SubjectParcel {
  return {
    ...toStoredParcel(r),
    geometry: r.geometry,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    personalData: {
      holderName: r.holder_name,
      fields: r.fields,
      importedAt: r.imported_at.toISOString(),
      updatedAt: r.personal_updated_at.toISOString(),
    },
  };
}
