import type { Database } from '../db/database';
import type { SeriesColumn, SeriesRow } from './series-columns';

/**
 * The personal data of a parcel (`parcel_personal_data`, migration 0007) as an export carries it
 * when, and only when, `parcelwatch export --include-personal` asks: series rows get a
 * `personal_data` column, GeoJSON features a `personalData` property, each `{"holderName":…,
 * "fields":{…}}` or null. Reads that do not ask never join the table; the API never asks (its
 * roles cannot read it). An erased record holds no value, so it counts as none.
 */

/** Joined to `parcels p` by reads that carry personal data. */
export const PERSONAL_DATA_JOIN =
  'LEFT JOIN parcel_personal_data d ON d.parcel_id = p.id AND d.erased_at IS NULL';

/** The join's columns as series reads select them (see `PersonalDataRecord`). */
export const PERSONAL_DATA_COLUMNS =
  'd.parcel_id IS NOT NULL AS personal_held, d.holder_name AS personal_holder_name, d.fields AS personal_fields';

/** The `personalData` property of a GeoJSON feature, as a `json_build_object` key and value. */
export const PERSONAL_DATA_PROPERTY = `'personalData', CASE WHEN d.parcel_id IS NULL THEN NULL
  ELSE json_build_object('holderName', d.holder_name, 'fields', d.fields) END`;

/** The last column of a series export with personal data: JSON text, empty when none. */
export const PERSONAL_DATA_COLUMN: SeriesColumn = {
  name: 'personal_data',
  type: 'string',
  nullable: true,
};

export interface PersonalDataRecord {
  personal_held: boolean;
  personal_holder_name: string | null;
  personal_fields: Record<string, string> | null;
}

/** `{"holderName":…,"fields":{…}}` of a record read with `PERSONAL_DATA_COLUMNS`, or null. */
export function personalDataText(r: PersonalDataRecord): string | null {
  if (!r.personal_held) return null;
  return JSON.stringify({ holderName: r.personal_holder_name, fields: r.personal_fields ?? {} });
}

/**
 * Counts the parcels whose personal data went out, from series rows in parcel-id order (as every
 * series read gives them): a parcel is counted at its first row, so memory stays constant.
 */
export function personalParcelCounter(): (rows: readonly SeriesRow[]) => number {
  let count = 0;
  let last: SeriesRow['parcel_id'] | undefined;
  return (rows) => {
    for (const row of rows) {
      if (row.personal_data === null || row.personal_data === undefined) continue;
      if (row.parcel_id !== last) count += 1;
      last = row.parcel_id;
    }
    return count;
  };
}

/** What the connection's role may do for an export with personal data. */
export interface PersonalExportAccess {
  role: string;
  /** `parcel_personal_data` exists (migration 0007) and the role may read it. */
  readsPersonalData: boolean;
  /** `audit_log` exists (migration 0005) and the role may append to it. */
  writesAuditLog: boolean;
}

/** Checked before an export with personal data starts, so it fails before writing anything. */
export async function personalExportAccess(db: Database): Promise<PersonalExportAccess> {
  const result = await db.pool.query<{ role: string; reads: boolean; audits: boolean }>(
    `SELECT current_user AS role,
            coalesce(has_table_privilege(to_regclass('parcel_personal_data'), 'SELECT'), false) AS reads,
            coalesce(has_table_privilege(to_regclass('audit_log'), 'INSERT'), false) AS audits`,
  );
  const row = result.rows[0]!;
  return { role: row.role, readsPersonalData: row.reads, writesAuditLog: row.audits };
}
