import { BadInputError } from '../../core/errors';
import { ID_FIELD_GUESSES } from '../../core/geo/parcel-geojson';
import type { FeatureReader, SourceFeature } from './feature-reader';
import {
  choosePersonalFields,
  type PersonalField,
  type PersonalValues,
  personalValues,
} from './personal-fields';

/**
 * Which attribute of the file becomes the parcel's external id, name, crop and owner team: the
 * options when given, else the first known name present (case-insensitive), else nothing. Personal
 * data (see personal-fields.ts) goes apart, never into `attributes`; every other attribute is kept
 * in `attributes`.
 */

/** Id attributes tried after those `parcelwatch compute` tries. */
const MORE_ID_GUESSES = ['parcelid', 'field_id', 'plot_id'];
/** Crop attributes: English and the names of common national registers (BRP: `gewas`). */
const CROP_GUESSES = [
  'crop',
  'crop_name',
  'cropname',
  'crop_type',
  'gewas',
  'gewasnaam',
  'culture',
  'kultur',
  'cultivo',
  'coltura',
];
const NAME_GUESSES = ['name', 'parcel_name', 'field_name', 'naam', 'nom', 'nombre', 'label'];
const OWNER_GUESSES = ['owner_team', 'owner', 'team'];

export interface FieldMappingOptions {
  idField?: string;
  nameField?: string;
  cropField?: string;
  ownerField?: string;
  /** Attributes holding personal data, besides those recognised by name (`--personal-fields`). */
  personalFields?: string[];
}

/** Where external ids come from: an attribute, the file's feature id, or the row number. */
export type IdSource =
  | { kind: 'field'; field: string }
  | { kind: 'feature-id'; field: string }
  | { kind: 'row-number' };

export interface FieldMapping {
  id: IdSource;
  name: string | undefined;
  crop: string | undefined;
  owner: string | undefined;
  /** Attributes holding personal data: stored apart (`parcel_personal_data`), never in `attributes`. */
  personal: PersonalField[];
  /** `option` when the user said, `guess` otherwise. */
  chosenBy: Record<'id' | 'name' | 'crop' | 'owner', 'option' | 'guess'>;
}

/** The mapping for a file; explicit fields must exist in it. */
export function chooseFieldMapping(
  reader: Pick<FeatureReader, 'describe' | 'fields' | 'featureIdName'>,
  options: FieldMappingOptions,
): FieldMapping {
  const { fields, featureIdName } = reader;
  const explicit = (option: string, value: string | undefined): string | undefined => {
    if (value === undefined || fields.includes(value)) return value;
    throw new BadInputError(
      `${reader.describe} has no attribute "${value}" (${option}); its attributes: ${fields.join(', ') || 'none'}`,
      { code: 'IMPORT_FIELD_UNKNOWN' },
    );
  };
  const guess = (names: readonly string[]): string | undefined => {
    for (const name of names) {
      const found = fields.find((f) => f.toLowerCase() === name.toLowerCase());
      if (found !== undefined) return found;
    }
    return undefined;
  };

  const namedPersonal = (options.personalFields ?? []).map(
    (f) => explicit('--personal-fields', f)!,
  );
  const personalGiven = new Set(namedPersonal);
  for (const [option, value] of [
    ['--id-field', options.idField],
    ['--name-field', options.nameField],
    ['--crop-field', options.cropField],
    ['--owner-field', options.ownerField],
  ] as const) {
    if (value !== undefined && personalGiven.has(value)) {
      throw new BadInputError(
        `${reader.describe}: attribute "${value}" is given both as ${option} and in --personal-fields; personal data is kept apart from parcel fields — drop it from one of them`,
        { code: 'IMPORT_FIELD_CONFLICT' },
      );
    }
  }
  // A field named personal is never guessed for another role.
  const guessParcelField = (names: readonly string[]) => {
    const found = guess(names);
    return found !== undefined && personalGiven.has(found) ? undefined : found;
  };

  let id: IdSource;
  if (options.idField !== undefined && options.idField === featureIdName) {
    id = { kind: 'feature-id', field: featureIdName };
  } else if (options.idField !== undefined) {
    id = { kind: 'field', field: explicit('--id-field', options.idField)! };
  } else {
    const field = guessParcelField([...ID_FIELD_GUESSES, ...MORE_ID_GUESSES]);
    id =
      field !== undefined
        ? { kind: 'field', field }
        : featureIdName !== undefined
          ? { kind: 'feature-id', field: featureIdName }
          : { kind: 'row-number' };
  }
  const by = (value: string | undefined) => (value === undefined ? 'guess' : 'option');
  const name = explicit('--name-field', options.nameField) ?? guessParcelField(NAME_GUESSES);
  const crop = explicit('--crop-field', options.cropField) ?? guessParcelField(CROP_GUESSES);
  const owner = explicit('--owner-field', options.ownerField) ?? guessParcelField(OWNER_GUESSES);
  const parcelFields = new Set([name, crop, owner, id.kind === 'field' ? id.field : undefined]);
  parcelFields.delete(undefined);
  return {
    id,
    name,
    crop,
    owner,
    personal: choosePersonalFields(fields, namedPersonal, parcelFields as Set<string>),
    chosenBy: {
      id: by(options.idField),
      name: by(options.nameField),
      crop: by(options.cropField),
      owner: by(options.ownerField),
    },
  };
}

/** One line per mapped attribute, for the import summary. */
export function describeFieldMapping(mapping: FieldMapping): Record<string, string> {
  const how = (key: keyof FieldMapping['chosenBy']) =>
    mapping.chosenBy[key] === 'option' ? 'given' : 'guessed';
  const field = (key: 'name' | 'crop' | 'owner') =>
    mapping[key] === undefined ? 'none' : `"${mapping[key]}" (${how(key)})`;
  const id =
    mapping.id.kind === 'field'
      ? `"${mapping.id.field}" (${how('id')})`
      : mapping.id.kind === 'feature-id'
        ? `the file's feature id "${mapping.id.field}" (${how('id')})`
        : 'the row number (no id attribute found; pass --id-field so re-imports of an edited file match)';
  const described: Record<string, string> = {
    id,
    name: field('name'),
    crop: field('crop'),
    owner: field('owner'),
  };
  // Names only, never values: the summary goes to terminals and logs.
  if (mapping.personal.length > 0) {
    described.personal = mapping.personal
      .map((p) => `"${p.field}" (${p.chosenBy === 'option' ? 'given' : 'recognised'})`)
      .join(', ');
  }
  return described;
}

/** A feature's parcel attributes, or why it has no usable id. */
export interface MappedAttributes {
  externalId: string | undefined;
  name: string | null;
  crop: string | null;
  ownerTeam: string | null;
  attributes: Record<string, unknown>;
  /** Present when the file has personal fields (see FieldMapping.personal). */
  personal?: PersonalValues;
}

export function mapAttributes(feature: SourceFeature, mapping: FieldMapping): MappedAttributes {
  const props = feature.properties;
  const rawId =
    mapping.id.kind === 'field'
      ? props[mapping.id.field]
      : mapping.id.kind === 'feature-id'
        ? feature.featureId
        : feature.row;
  const mapped = new Set<string | undefined>([mapping.name, mapping.crop, mapping.owner]);
  if (mapping.id.kind === 'field') mapped.add(mapping.id.field);
  for (const p of mapping.personal) mapped.add(p.field);
  const personal = personalValues(props, mapping.personal);
  const attributes: Record<string, unknown> = {};
  for (const key of Object.keys(props)) {
    if (!mapped.has(key) && props[key] !== undefined) attributes[key] = props[key];
  }
  return {
    externalId: text(rawId) ?? undefined,
    name: text(mapping.name === undefined ? null : props[mapping.name]),
    crop: text(mapping.crop === undefined ? null : props[mapping.crop]),
    ownerTeam: text(mapping.owner === undefined ? null : props[mapping.owner]),
    attributes,
    ...(personal && { personal }),
  };
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const s = value instanceof Date ? value.toISOString() : String(value);
  return s.trim() === '' ? null : s;
}
