/**
 * Which columns of a parcel file hold personal data — the farmer's or holder's name, e-mail, phone,
 * address, national ids — so the importer keeps them out of `parcels.attributes` (which exports,
 * the API and analysts read) and in `parcel_personal_data`, which only the pipeline role reads and
 * `parcelwatch privacy` answers for. Recognised by name in the languages of the common national
 * registers; `--personal-fields` adds any other column. Migration 0007 applies the same patterns
 * to attributes imported before it: keep the two in step.
 */

/** What a personal field is: part of the data subject's name (searchable), or anything else. */
export type PersonalFieldKind = 'name' | 'other';

export interface PersonalField {
  field: string;
  kind: PersonalFieldKind;
  /** `option` when named by --personal-fields, `guess` when recognised by its name. */
  chosenBy: 'option' | 'guess';
}

/** People who hold, farm or applied for a parcel (EN, NL, FR, DE, ES). */
const PERSON =
  'farmer|holder|grower|landowner|land_owner|tenant|applicant|beneficiary|boer|landbouwer|agriculteur|exploitant|landwirt|bewirtschafter|agricultor|titular';
/** A person's name, alone or after a person word (`farmer_name`, `owner_name`, `contact_person`). */
const NAME_FIELD = new RegExp(
  `^((${PERSON}|owner|contact|operator)_?(name|full_?name|naam|nom|nombre)|contact_?person|(${PERSON})|first_?name|last_?name|surname|given_?name|family_?name|full_?name|voornaam|achternaam|prenom|nom_de_famille)$`,
);
/** Any token saying contact details or personal identifiers (`email`, `farmer_phone`, `tel`, `bsn`). */
const OTHER_FIELD =
  /(^|_)(e_?mail|mail|phone|telephone|tel|mobile|gsm|fax|telefoon|telefon|telefono|address|adres|adresse|direccion|street|straat|contact|ssn|bsn|national_?id|tax_?id|birth_?date|date_?of_?birth|dob)(_|$)/;

/** `Farmer E-mail` → `farmer_e_mail`: the form the patterns are written for. */
export function normaliseFieldName(field: string): string {
  return field
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The kind of personal field `field` looks like, or undefined when its name says nothing personal. */
export function recognisePersonalField(field: string): PersonalFieldKind | undefined {
  const name = normaliseFieldName(field);
  if (NAME_FIELD.test(name)) return 'name';
  if (OTHER_FIELD.test(name)) return 'other';
  return undefined;
}

/**
 * The personal fields of a file with `fields`: those named (each must exist) and those recognised,
 * minus `exclude` (the fields mapped to id, name, crop or owner team, which the user chose or which
 * were guessed for those roles). In file order.
 */
export function choosePersonalFields(
  fields: readonly string[],
  named: readonly string[],
  exclude: ReadonlySet<string>,
): PersonalField[] {
  const given = new Set(named);
  const out: PersonalField[] = [];
  for (const field of fields) {
    if (given.has(field)) {
      out.push({ field, kind: recognisePersonalField(field) ?? 'other', chosenBy: 'option' });
      continue;
    }
    if (exclude.has(field)) continue;
    const kind = recognisePersonalField(field);
    if (kind) out.push({ field, kind, chosenBy: 'guess' });
  }
  return out;
}

/** A feature's personal data: the holder's name (its name fields, joined) and every personal value. */
export interface PersonalValues {
  holderName: string | null;
  fields: Record<string, string>;
}

/**
 * The personal values of one feature's properties; empty values are left out. `null` when the
 * file has no personal field at all (stored personal data is then left as it is).
 */
export function personalValues(
  properties: Readonly<Record<string, unknown>>,
  personal: readonly PersonalField[],
): PersonalValues | null {
  if (personal.length === 0) return null;
  const fields: Record<string, string> = {};
  const names: string[] = [];
  for (const { field, kind } of personal) {
    const value = textOf(properties[field]);
    if (value === null) continue;
    fields[field] = value;
    if (kind === 'name') names.push(value);
  }
  return { holderName: names.length ? names.join(' ') : null, fields };
}

function textOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const s = (value instanceof Date ? value.toISOString() : String(value)).trim();
  return s === '' ? null : s;
}
