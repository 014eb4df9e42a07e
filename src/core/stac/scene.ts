import type { BBox } from '../geo/types';

/** Sentinel-2 L2A band ids as ESA names them; Earth Search asset keys map onto these. */
export const BAND_IDS = [
  'B01',
  'B02',
  'B03',
  'B04',
  'B05',
  'B06',
  'B07',
  'B08',
  'B8A',
  'B09',
  'B11',
  'B12',
  'SCL',
] as const;
export type BandId = (typeof BAND_IDS)[number];

/** One band of one scene, as the STAC item describes it. */
export interface SceneBand {
  /** Absolute URL (https://, s3://, file://) of the COG. */
  href: string;
  /** DN → reflectance scale declared by `raster:bands` (1 for SCL). */
  scale: number;
  /** DN → reflectance offset declared by `raster:bands` (may be wrong, see harmonisation). */
  offset: number;
  nodata: number;
  /** Nominal ground sample distance in metres, from the item (the COG itself is authoritative). */
  gsd: number | undefined;
}

/** How DN becomes reflectance for one scene, decided once and stored with the scene. */
export interface HarmonisationDecision {
  /** reflectance = DN × scale + offset, for every reflectance band of the scene. */
  scale: number;
  offset: number;
  /** Which row of the decision table applied (documented in the README). */
  rule: string;
  /** What the item said, kept for lineage. */
  evidence: {
    processingBaseline: string | null;
    boaOffsetApplied: boolean | null;
    declaredOffset: number | null;
    declaredScale: number | null;
  };
}

/** A Sentinel-2 L2A acquisition over one MGRS tile, parsed from a STAC item. */
export interface Scene {
  /** STAC item id, e.g. `S2B_33TWL_20230820_0_L2A`. */
  id: string;
  collection: string;
  /** MGRS tile id without prefix, e.g. `33TWL`. */
  tile: string;
  /** Acquisition time, ISO 8601 UTC. */
  acquiredAt: string;
  cloudCover: number | null;
  processingBaseline: string | null;
  /** `earthsearch:boa_offset_applied`, when the item states it. */
  boaOffsetApplied: boolean | null;
  /** EPSG code of the scene's UTM CRS. */
  epsg: number;
  /** Datatake identifier (platform + sensing start), shared by the same pass over neighbouring tiles. */
  datatake: string | null;
  platform: string | null;
  /** Reprocessing counter from the id (`_0_L2A` → 0, `_1_L2A` → 1). */
  reprocessing: number;
  /** Item `updated`/`created`, ISO 8601, used to pick the newest among duplicates. */
  updatedAt: string | null;
  /** WGS84 bbox of the item. */
  bbox: BBox | null;
  bands: Partial<Record<BandId, SceneBand>>;
  harmonisation: HarmonisationDecision;
}
