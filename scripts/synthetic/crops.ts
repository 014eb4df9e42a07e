import type { ReflectanceBand } from './bands';

/**
 * Crop phenology: a double-logistic NDVI curve per crop (green-up, senescence or harvest) and an
 * NDMI that follows canopy water, plus the surface reflectances that give those indices exactly.
 */
export const CROPS = ['wheat', 'maize', 'grassland', 'sugar_beet', 'fallow'] as const;
export type Crop = (typeof CROPS)[number];

interface Phenology {
  /** NDVI outside the season and at its peak. */
  base: number;
  peak: number;
  /** Day of year of the green-up and senescence midpoints, and their widths in days. */
  greenUp: number;
  greenUpDays: number;
  senescence: number;
  senescenceDays: number;
  /** NDMI = ndmiAt0 + ndmiSlope · NDVI. */
  ndmiAt0: number;
  ndmiSlope: number;
  /** Share of parcels given this crop. */
  share: number;
}

export const PHENOLOGY: Record<Crop, Phenology> = {
  wheat: {
    base: 0.2,
    peak: 0.85,
    greenUp: 85,
    greenUpDays: 10,
    senescence: 185,
    senescenceDays: 8,
    ndmiAt0: -0.32,
    ndmiSlope: 0.8,
    share: 0.25,
  },
  maize: {
    base: 0.15,
    peak: 0.86,
    greenUp: 165,
    greenUpDays: 9,
    senescence: 265,
    senescenceDays: 9,
    ndmiAt0: -0.35,
    ndmiSlope: 0.78,
    share: 0.25,
  },
  grassland: {
    base: 0.45,
    peak: 0.8,
    greenUp: 95,
    greenUpDays: 12,
    senescence: 300,
    senescenceDays: 15,
    ndmiAt0: -0.28,
    ndmiSlope: 0.8,
    share: 0.2,
  },
  sugar_beet: {
    base: 0.15,
    peak: 0.83,
    greenUp: 150,
    greenUpDays: 10,
    senescence: 285,
    senescenceDays: 12,
    ndmiAt0: -0.3,
    ndmiSlope: 0.82,
    share: 0.15,
  },
  fallow: {
    base: 0.12,
    peak: 0.25,
    greenUp: 120,
    greenUpDays: 15,
    senescence: 240,
    senescenceDays: 15,
    ndmiAt0: -0.3,
    ndmiSlope: 0.5,
    share: 0.15,
  },
};

/** NDVI at or above which a surface is classed as vegetation (SCL 4) rather than bare (SCL 5). */
export const VEGETATION_NDVI = 0.35;

export interface ParcelPhenology {
  crop: Crop;
  /** Days the parcel's season is shifted (sowing date, variety). */
  shiftDays: number;
  /** Multiplier of the seasonal NDVI amplitude (field vigour). */
  vigour: number;
}

const logistic = (t: number) => 1 / (1 + Math.exp(-t));

/** Target NDVI and NDMI of a parcel on a day of year. */
export function targetIndices(
  parcel: ParcelPhenology,
  dayOfYear: number,
): { ndvi: number; ndmi: number } {
  const p = PHENOLOGY[parcel.crop];
  const t = dayOfYear - parcel.shiftDays;
  const season =
    logistic((t - p.greenUp) / p.greenUpDays) - logistic((t - p.senescence) / p.senescenceDays);
  const ndvi = p.base + (p.peak - p.base) * parcel.vigour * season;
  const ndmi = p.ndmiAt0 + p.ndmiSlope * ndvi;
  return { ndvi, ndmi };
}

/** Bare soil between parcels. */
export const BACKGROUND_INDICES = { ndvi: 0.1, ndmi: -0.25 };

/**
 * Reflectances with exactly the given NDVI and NDMI: NIR grows with vegetation, then
 * RED = NIR·(1−NDVI)/(1+NDVI) and SWIR16 = NIR·(1−NDMI)/(1+NDMI); the visible and red-edge bands
 * are plausible blends that no index here depends on.
 */
export function surfaceReflectance(ndvi: number, ndmi: number): Record<ReflectanceBand, number> {
  const nir = 0.12 + 0.32 * ndvi;
  const red = (nir * (1 - ndvi)) / (1 + ndvi);
  const swir = (nir * (1 - ndmi)) / (1 + ndmi);
  return {
    B02: 0.015 + 0.6 * red,
    B03: 0.035 + 0.5 * red + 0.05 * ndvi,
    B04: red,
    B05: red + 0.3 * (nir - red),
    B08: nir,
    B11: swir,
  };
}

/** Open water: dark everywhere, darkest in the infrared. */
export const WATER_REFLECTANCE: Record<ReflectanceBand, number> = {
  B02: 0.05,
  B03: 0.045,
  B04: 0.03,
  B05: 0.025,
  B08: 0.02,
  B11: 0.01,
};

/** Cloud tops are bright and nearly white; per band a small tilt. */
export const CLOUD_BAND_FACTOR: Record<ReflectanceBand, number> = {
  B02: 1.0,
  B03: 0.99,
  B04: 0.98,
  B05: 0.97,
  B08: 0.95,
  B11: 0.85,
};
/** Cloud shadows keep this share of the surface reflectance. */
export const SHADOW_FACTOR = 0.35;

/** Picks a crop by the shares above, from a uniform number in [0, 1). */
export function cropForShare(u: number): Crop {
  let sum = 0;
  for (const crop of CROPS) {
    sum += PHENOLOGY[crop].share;
    if (u < sum) return crop;
  }
  return 'fallow';
}
