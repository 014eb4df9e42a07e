import type { Database } from '../../src/store/db/database';

/**
 * Personal data for parcels `seedSeries` made, written straight into `parcel_personal_data` as the
 * importer leaves it: a holder with name, e-mail and phone; one whose values need CSV quoting
 * (comma, quotes, a line break) and non-ASCII text; one with an e-mail but no name; and one record
 * erased on request (no values left). Every other parcel has none. Values are distinctive, so a
 * leak shows by searching for them.
 */

export interface SeededPersonalData {
  /** The personal data by parcel id, as an export with it carries it; erased records are absent. */
  byParcel: Map<number, { holderName: string | null; fields: Record<string, string> }>;
  /** The parcel whose record was erased. */
  erasedParcelId: number;
  /** Every personal value held: none may appear in an export without --include-personal. */
  values: string[];
}

const HOLDERS: Array<{ holderName: string | null; fields: Record<string, string> }> = [
  {
    holderName: 'Quirina Xylander',
    fields: {
      farmer_name: 'Quirina Xylander',
      farmer_email: 'quirina.xylander@boerderij-example.org',
      phone: '+31 6 7391 0001',
    },
  },
  {
    holderName: 'Jörg "Xyl" Ødegård, sr.',
    fields: {
      farmer_name: 'Jörg "Xyl" Ødegård, sr.',
      address: 'Dorpsstraat 7,\n9999 XY Xylanderdorp',
    },
  },
  { holderName: null, fields: { email: 'only-mail.xylander@farm-example.org' } },
];

/** Gives `parcelIds[0..2]` the holders above and erases the record of `parcelIds[3]`. */
export async function seedPersonalData(
  db: Database,
  parcelIds: readonly number[],
): Promise<SeededPersonalData> {
  const byParcel = new Map<number, { holderName: string | null; fields: Record<string, string> }>();
  for (const [i, holder] of HOLDERS.entries()) {
    const parcelId = parcelIds[i]!;
    await db.pool.query(
      'INSERT INTO parcel_personal_data (parcel_id, holder_name, fields) VALUES ($1, $2, $3::jsonb)',
      [parcelId, holder.holderName, JSON.stringify(holder.fields)],
    );
    byParcel.set(parcelId, holder);
  }
  const erasedParcelId = parcelIds[HOLDERS.length]!;
  await db.pool.query(
    `INSERT INTO parcel_personal_data (parcel_id, holder_name, fields, erased_at, erasure)
     VALUES ($1, NULL, '{}'::jsonb, now(), 'request')`,
    [erasedParcelId],
  );
  const values = HOLDERS.flatMap((h) => [
    ...(h.holderName ? [h.holderName] : []),
    ...Object.values(h.fields),
  ]);
  return { byParcel, erasedParcelId, values: [...new Set(values)] };
}

/** The personal values (or the tell-tale fragments of them) that `text` holds. */
export function personalValuesIn(text: string, values: readonly string[]): string[] {
  const fragments = ['Xylander', 'Ødegård', 'farm-example.org', 'boerderij-example.org'];
  return [...values, ...fragments].filter((value) => text.includes(value));
}
