import type { Queryable } from '../db/groups';

/**
 * Moves the staged rows' personal data into `parcel_personal_data`, after `upsertStagedRange`
 * wrote their parcels, in the import's transaction. A file with personal fields is the current
 * truth about them: values are replaced (an erased record filled again is no longer erased), a row
 * whose personal fields are all empty drops the parcel's record, and every record the file carries
 * is marked imported now — retention counts from there. A file without personal fields leaves
 * stored records as they are (and ageing).
 */

export interface PersonalDataCounts {
  /** Parcels whose personal data this import carries (stored or refreshed). */
  stored: number;
  /** Parcels whose record was removed because the file holds no personal value for them any more. */
  cleared: number;
}

export async function upsertStagedPersonalData(
  client: Queryable,
  source: string,
  fromRow: number,
  toRow: number,
): Promise<PersonalDataCounts> {
  const result = await client.query<{ stored: number; cleared: number }>(UPSERT_PERSONAL_SQL, [
    source,
    fromRow,
    toRow,
  ]);
  return { stored: result.rows[0].stored, cleared: result.rows[0].cleared };
}

const UPSERT_PERSONAL_SQL = `
WITH input AS (
  SELECT p.id AS parcel_id, i.holder_name, i.personal
    FROM parcel_import_staging i
    JOIN parcels p ON p.source = $1 AND p.external_id = i.external_id
   WHERE i.file_row >= $2 AND i.file_row <= $3 AND i.personal IS NOT NULL
), cleared AS (
  DELETE FROM parcel_personal_data d USING input i
   WHERE d.parcel_id = i.parcel_id AND i.personal = '{}'::jsonb
  RETURNING d.parcel_id
), stored AS (
  INSERT INTO parcel_personal_data AS d (parcel_id, holder_name, fields)
  SELECT parcel_id, holder_name, personal FROM input WHERE personal <> '{}'::jsonb
  ON CONFLICT (parcel_id) DO UPDATE SET
    holder_name = EXCLUDED.holder_name,
    fields = EXCLUDED.fields,
    imported_at = now(),
    updated_at = CASE
      WHEN d.erased_at IS NULL
       AND (d.holder_name, d.fields) IS NOT DISTINCT FROM (EXCLUDED.holder_name, EXCLUDED.fields)
      THEN d.updated_at ELSE now() END,
    erased_at = NULL,
    erasure = NULL
  RETURNING d.parcel_id
)
SELECT (SELECT count(*) FROM stored)::int AS stored, (SELECT count(*) FROM cleared)::int AS cleared`;
