/**
 * The Earth Search v1 `sentinel-2-l2a` assets the synthetic scenes carry, with the metadata their
 * STAC items declare (copied from the real items in ../shared/fixtures/earth-search-v1).
 */
export interface SyntheticBandSpec {
  /** Earth Search asset key. */
  asset: string;
  resolution: 10 | 20;
  dataType: 'uint16' | 'uint8';
  title: string;
  eo?: {
    name: string;
    common_name: string;
    description: string;
    center_wavelength: number;
    full_width_half_max: number;
  };
}

export const BAND_SPECS = {
  B02: {
    asset: 'blue',
    resolution: 10,
    dataType: 'uint16',
    title: 'Blue (band 2) - 10m',
    eo: {
      name: 'blue',
      common_name: 'blue',
      description: 'Blue (band 2)',
      center_wavelength: 0.49,
      full_width_half_max: 0.098,
    },
  },
  B03: {
    asset: 'green',
    resolution: 10,
    dataType: 'uint16',
    title: 'Green (band 3) - 10m',
    eo: {
      name: 'green',
      common_name: 'green',
      description: 'Green (band 3)',
      center_wavelength: 0.56,
      full_width_half_max: 0.045,
    },
  },
  B04: {
    asset: 'red',
    resolution: 10,
    dataType: 'uint16',
    title: 'Red (band 4) - 10m',
    eo: {
      name: 'red',
      common_name: 'red',
      description: 'Red (band 4)',
      center_wavelength: 0.665,
      full_width_half_max: 0.038,
    },
  },
  B05: {
    asset: 'rededge1',
    resolution: 20,
    dataType: 'uint16',
    title: 'Red edge 1 (band 5) - 20m',
    eo: {
      name: 'rededge1',
      common_name: 'rededge',
      description: 'Red edge 1 (band 5)',
      center_wavelength: 0.704,
      full_width_half_max: 0.019,
    },
  },
  B08: {
    asset: 'nir',
    resolution: 10,
    dataType: 'uint16',
    title: 'NIR 1 (band 8) - 10m',
    eo: {
      name: 'nir',
      common_name: 'nir',
      description: 'NIR 1 (band 8)',
      center_wavelength: 0.842,
      full_width_half_max: 0.145,
    },
  },
  B11: {
    asset: 'swir16',
    resolution: 20,
    dataType: 'uint16',
    title: 'SWIR 1 (band 11) - 20m',
    eo: {
      name: 'swir16',
      common_name: 'swir16',
      description: 'SWIR 1 (band 11)',
      center_wavelength: 1.61,
      full_width_half_max: 0.143,
    },
  },
  SCL: { asset: 'scl', resolution: 20, dataType: 'uint8', title: 'Scene classification map (SCL)' },
} as const satisfies Record<string, SyntheticBandSpec>;

export type SyntheticBand = keyof typeof BAND_SPECS;
export const SYNTHETIC_BANDS = Object.keys(BAND_SPECS) as SyntheticBand[];
/** Reflectance bands, in a fixed order used to index per-band tables. */
export const REFLECTANCE_BANDS = ['B02', 'B03', 'B04', 'B05', 'B08', 'B11'] as const;
export type ReflectanceBand = (typeof REFLECTANCE_BANDS)[number];

/** SCL classes (ESA L2A): the ones the generator writes. */
export const Scl = {
  NO_DATA: 0,
  CLOUD_SHADOW: 3,
  VEGETATION: 4,
  NOT_VEGETATED: 5,
  WATER: 6,
  CLOUD_MEDIUM: 8,
  CLOUD_HIGH: 9,
  THIN_CIRRUS: 10,
} as const;

/** Classes the pipeline keeps (Science defaults in ARCHITECTURE.md). */
export const CLEAR_SCL: ReadonlySet<number> = new Set([4, 5, 6, 7]);
export const CLOUD_SCL: ReadonlySet<number> = new Set([8, 9, 10]);

/** Earth Search's declared DN → reflectance transform since processing baseline 04.00. */
export const REFLECTANCE_SCALE = 0.0001;
export const DECLARED_OFFSET = -0.1;
/** DN added to reflectance × 10000 when the offset is not applied (BOA_ADD_OFFSET = −1000). */
export const BOA_ADD_OFFSET_DN = 1000;
