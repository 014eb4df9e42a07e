import { BadInputError } from '../errors';
import type { BandId } from '../stac/scene';

/**
 * A vegetation index, declared by its bands, its formula on reflectances, and the range a
 * meaningful value falls in. A pixel gives a defined index when the formula is finite and within
 * the range; anything else (a zero denominator, a blown-up EVI over residual cloud) is invalid.
 */
export interface IndexDefinition {
  /** Name used in configuration, the database and exports (lower case). */
  name: string;
  title: string;
  /** Bands read, in the order the formula takes them. */
  bands: readonly BandId[];
  /** The formula on surface reflectances (0–1) of `bands`, in order. */
  formula: (a: number, b: number, c: number) => number;
  validRange: readonly [number, number];
  reference: string;
}

const normalisedDifference = (a: number, b: number) => (a - b) / (a + b);

/** The indices parcelwatch computes; add one here and it is selectable everywhere. */
export const INDICES: readonly IndexDefinition[] = [
  {
    name: 'ndvi',
    title: 'Normalized Difference Vegetation Index',
    bands: ['B08', 'B04'],
    formula: normalisedDifference,
    validRange: [-1, 1],
    reference: 'Rouse et al. 1974: (NIR − red) / (NIR + red)',
  },
  {
    name: 'ndmi',
    title: 'Normalized Difference Moisture Index',
    bands: ['B08', 'B11'],
    formula: normalisedDifference,
    validRange: [-1, 1],
    reference: 'Gao 1996 (NDWI of vegetation water): (NIR − SWIR1) / (NIR + SWIR1)',
  },
  {
    name: 'evi',
    title: 'Enhanced Vegetation Index',
    bands: ['B08', 'B04', 'B02'],
    formula: (nir, red, blue) => (2.5 * (nir - red)) / (nir + 6 * red - 7.5 * blue + 1),
    // EVI stays within [-1, 1] over land; values beyond come from residual cloud or water glint.
    validRange: [-1, 1],
    reference: 'Huete et al. 2002: 2.5 (NIR − red) / (NIR + 6 red − 7.5 blue + 1)',
  },
  {
    name: 'savi',
    title: 'Soil-Adjusted Vegetation Index',
    bands: ['B08', 'B04'],
    formula: (nir, red) => (1.5 * (nir - red)) / (nir + red + 0.5),
    validRange: [-1.5, 1.5],
    reference: 'Huete 1988, L = 0.5: 1.5 (NIR − red) / (NIR + red + 0.5)',
  },
  {
    name: 'ndre',
    title: 'Normalized Difference Red Edge',
    bands: ['B08', 'B05'],
    formula: normalisedDifference,
    validRange: [-1, 1],
    reference: 'Barnes et al. 2000: (NIR − red edge 705 nm) / (NIR + red edge)',
  },
  {
    name: 'ndwi',
    title: 'Normalized Difference Water Index',
    bands: ['B03', 'B08'],
    formula: normalisedDifference,
    validRange: [-1, 1],
    reference: 'McFeeters 1996: (green − NIR) / (green + NIR)',
  },
];

const BY_NAME = new Map(INDICES.map((index) => [index.name, index]));

/** The definitions of the named indices, in the order given; unknown names fail with the list. */
export function resolveIndices(names: readonly string[]): IndexDefinition[] {
  if (names.length === 0)
    throw new BadInputError(`No index selected; choose among ${indexNames()}`, {
      code: 'INDEX_NONE',
    });
  const unknown = names.filter((name) => !BY_NAME.has(name.toLowerCase()));
  if (unknown.length) {
    throw new BadInputError(`Unknown index ${unknown.join(', ')}; choose among ${indexNames()}`, {
      code: 'INDEX_UNKNOWN',
    });
  }
  return [...new Set(names.map((name) => name.toLowerCase()))].map((name) => BY_NAME.get(name)!);
}

/** Every band the given indices read, plus SCL for the mask, without duplicates. */
export function bandsFor(indices: readonly IndexDefinition[]): BandId[] {
  return [...new Set<BandId>([...indices.flatMap((index) => index.bands), 'SCL'])];
}

function indexNames(): string {
  return INDICES.map((index) => index.name).join(', ');
}
