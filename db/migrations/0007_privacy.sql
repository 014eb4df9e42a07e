-- Hand-written: a table outside the drizzle model, a grant and a data move drizzle-kit cannot express.
-- Runs as the schema's owner role with search_path = <schema> (see src/store/db/migrate.ts).

-- Personal data attached to parcels (the holder's or farmer's name, e-mail, phone, address, ids):
-- kept apart from `parcels.attributes`, which exports, the API and analysts read. One row per
-- parcel with personal data; `holder_name` is the data subject's name (the file's name fields,
-- joined) for `parcelwatch privacy export|erase --owner`; `fields` holds every personal field as
-- the file gave it. `imported_at` is the last import that carried it (retention counts from it:
-- PARCELWATCH_RETENTION_PERSONAL_DAYS); an erased row keeps no value, only when and why.
CREATE TABLE parcel_personal_data (
  parcel_id bigint PRIMARY KEY REFERENCES parcels (id) ON DELETE CASCADE,
  holder_name text,
  fields jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(fields) = 'object'),
  imported_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  erased_at timestamptz,
  erasure text CHECK (erasure IN ('request', 'retention')),
  CHECK ((erased_at IS NULL) = (erasure IS NULL)),
  CHECK (erased_at IS NULL OR (holder_name IS NULL AND fields = '{}'::jsonb))
);
--> statement-breakpoint
CREATE INDEX parcel_personal_data_holder_idx ON parcel_personal_data (lower(holder_name))
  WHERE holder_name IS NOT NULL;
--> statement-breakpoint
CREATE INDEX parcel_personal_data_imported_idx ON parcel_personal_data (imported_at)
  WHERE erased_at IS NULL;
--> statement-breakpoint
-- Analysts (the reader role, and every team role, all members of it) never read personal data;
-- the writer role (pipeline, API server, CLI) keeps what default privileges gave it.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON TABLE parcel_personal_data FROM %I', current_schema() || '_reader');
END
$$;
--> statement-breakpoint
-- Attributes imported before this migration: the keys src/store/import/personal-fields.ts
-- recognises move out of `parcels.attributes` into the new table (name keys make the holder name).
CREATE TEMP TABLE personal_keys ON COMMIT DROP AS
SELECT p.id AS parcel_id, a.key, a.value,
       norm ~ ('^((farmer|holder|grower|landowner|land_owner|tenant|applicant|beneficiary|boer|landbouwer|agriculteur|exploitant|landwirt|bewirtschafter|agricultor|titular|owner|contact|operator)_?(name|full_?name|naam|nom|nombre)'
               || '|contact_?person|(farmer|holder|grower|landowner|land_owner|tenant|applicant|beneficiary|boer|landbouwer|agriculteur|exploitant|landwirt|bewirtschafter|agricultor|titular)'
               || '|first_?name|last_?name|surname|given_?name|family_?name|full_?name|voornaam|achternaam|prenom|nom_de_famille)$') AS is_name
  FROM parcels p
 CROSS JOIN LATERAL jsonb_each(p.attributes) AS a(key, value)
 CROSS JOIN LATERAL (SELECT btrim(regexp_replace(lower(a.key), '[^a-z0-9]+', '_', 'g'), '_') AS norm) AS n
 WHERE norm ~ ('^((farmer|holder|grower|landowner|land_owner|tenant|applicant|beneficiary|boer|landbouwer|agriculteur|exploitant|landwirt|bewirtschafter|agricultor|titular|owner|contact|operator)_?(name|full_?name|naam|nom|nombre)'
               || '|contact_?person|(farmer|holder|grower|landowner|land_owner|tenant|applicant|beneficiary|boer|landbouwer|agriculteur|exploitant|landwirt|bewirtschafter|agricultor|titular)'
               || '|first_?name|last_?name|surname|given_?name|family_?name|full_?name|voornaam|achternaam|prenom|nom_de_famille)$')
    OR norm ~ '(^|_)(e_?mail|mail|phone|telephone|tel|mobile|gsm|fax|telefoon|telefon|telefono|address|adres|adresse|direccion|street|straat|contact|ssn|bsn|national_?id|tax_?id|birth_?date|date_?of_?birth|dob)(_|$)';
--> statement-breakpoint
INSERT INTO parcel_personal_data (parcel_id, holder_name, fields, imported_at, updated_at)
SELECT parcel_id,
       string_agg(btrim(value #>> '{}'), ' ' ORDER BY key)
         FILTER (WHERE is_name AND btrim(COALESCE(value #>> '{}', '')) <> ''),
       jsonb_object_agg(key, btrim(value #>> '{}'))
         FILTER (WHERE btrim(COALESCE(value #>> '{}', '')) <> ''),
       now(), now()
  FROM personal_keys
 GROUP BY parcel_id
HAVING count(*) FILTER (WHERE btrim(COALESCE(value #>> '{}', '')) <> '') > 0;
--> statement-breakpoint
UPDATE parcels p
   SET attributes = p.attributes - k.keys
  FROM (SELECT parcel_id, array_agg(key) AS keys FROM personal_keys GROUP BY parcel_id) AS k
 WHERE p.id = k.parcel_id;
