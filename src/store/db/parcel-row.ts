/**
 * A parcel as the `parcels` table holds it: the columns every read of a parcel selects, the row pg
 * gives back and its mapping. Listings, the API and the data-subject export add what each needs.
 */

/** A stored parcel, as every read of one gives it back. */
export interface StoredParcel {
  id: number;
  source: string;
  externalId: string;
  name: string | null;
  crop: string | null;
  ownerTeam: string;
  areaM2: number;
  primaryTile: string | null;
  watched: boolean;
  attributes: Record<string, unknown>;
}

/** The columns of `parcels p` behind a StoredParcel. */
export const PARCEL_COLUMNS =
  'p.id, p.source, p.external_id, p.name, p.crop, p.owner_team, p.area_m2, p.primary_tile, p.watched, p.attributes';

/** A row of PARCEL_COLUMNS as pg returns it (bigint ids as strings). */
export interface ParcelRow {
  id: string;
  source: string;
  external_id: string;
  name: string | null;
  crop: string | null;
  owner_team: string;
  area_m2: number;
  primary_tile: string | null;
  watched: boolean;
  attributes: Record<string, unknown>;
}

export function toStoredParcel(r: ParcelRow): StoredParcel {
  return {
    id: Number(r.id),
    source: r.source,
    externalId: r.external_id,
    name: r.name,
    crop: r.crop,
    ownerTeam: r.owner_team,
    areaM2: r.area_m2,
    primaryTile: r.primary_tile,
    watched: r.watched,
    attributes: r.attributes,
  };
}
