import { atmosphereAt, atmosphereFor, CLEAR } from './atmosphere';
import {
  DECLARED_OFFSET,
  REFLECTANCE_SCALE,
  Scl,
  SYNTHETIC_BANDS,
  type SyntheticBand,
} from './bands';
import { insideBy } from './convex';
import type { Crop } from './crops';
import { featureAt, type SyntheticParcel } from './parcels';
import { type BandSampler, bandSampler, latticeCentre, type SceneSurface, slotOf } from './render';
import { LATTICE_METRES } from './tiles';

/**
 * The ground truth: what a correct pipeline must find for each parcel and acquisition, recomputed
 * pixel by pixel with the same samplers that rendered the COGs, under the project's science
 * defaults (pixel centre inside the parcel shrunk by 5 m, falling back to no buffer; 20 m bands
 * read by nearest neighbour; valid = DN ≠ 0 and SCL ∈ {4, 5, 6, 7}).
 */
export interface ObservationTruth {
  date: string;
  targetNdvi: number;
  targetNdmi: number;
  /** Mean over the valid pixels of the per-pixel index from the quantised DN; null without any. */
  realisedNdvi: number | null;
  realisedNdmi: number | null;
  totalPixels: number;
  /** Pixels holding data (not beyond the swath edge). */
  dataPixels: number;
  validPixels: number;
  /** Any of the parcel's pixels under cloud (SCL 8, 9, 10) or cloud shadow (SCL 3). */
  cloudTouched: boolean;
  /** Any of the parcel's pixels without data (DN 0, SCL 0). */
  nodataTouched: boolean;
  status: 'ok' | 'cloudy' | 'nodata';
  /** The parcel's clear-sky DN per band, before noise: what its interior pixels hold when clear. */
  dn: Record<SyntheticBand, number>;
}

export interface ParcelTruth {
  id: string;
  crop: Crop;
  shape: SyntheticParcel['shape'];
  areaHa: number;
  tiles: string[];
  totalPixels: number;
  /** True when the 5 m inward buffer left no pixel and the parcel fell back to no buffer. */
  bufferFallback: boolean;
  observations: ObservationTruth[];
}

/** Inward buffer of the science defaults: half a 10 m pixel. */
export const INWARD_BUFFER_METRES = 5;
/** Valid share at or above which a parcel's observation is `ok` (science default). */
export const OK_VALID_FRACTION = 0.5;
const PIXEL_METRES = 10;

/** World lattice indices (px, py) of the parcel's 10 m pixels and whether the buffer fell back. */
export function parcelPixels(parcel: SyntheticParcel): {
  pixels: Int32Array;
  bufferFallback: boolean;
} {
  const { polygon } = parcel;
  const collect = (inset: number) => {
    const found: number[] = [];
    for (
      let py = Math.floor(polygon.bbox[1] / PIXEL_METRES);
      py <= Math.ceil(polygon.bbox[3] / PIXEL_METRES);
      py++
    ) {
      const y = latticeCentre(py, PIXEL_METRES);
      for (
        let px = Math.floor(polygon.bbox[0] / PIXEL_METRES);
        px <= Math.ceil(polygon.bbox[2] / PIXEL_METRES);
        px++
      ) {
        if (insideBy(polygon, latticeCentre(px, PIXEL_METRES), y, inset)) found.push(px, py);
      }
    }
    return found;
  };
  const buffered = collect(INWARD_BUFFER_METRES);
  if (buffered.length > 0) return { pixels: Int32Array.from(buffered), bufferFallback: false };
  return { pixels: Int32Array.from(collect(0)), bufferFallback: true };
}

function reflectance(dn: number, offsetApplied: boolean): number {
  return dn * REFLECTANCE_SCALE + (offsetApplied ? 0 : DECLARED_OFFSET);
}

/** Observes parcels in one acquisition; the samplers are built once for all parcels. */
export function parcelObserver(
  surface: SceneSurface,
): (parcel: SyntheticParcel, pixels: Int32Array) => ObservationTruth {
  const offsetApplied = surface.dnOffset === 0;
  const red = bandSampler(surface, 'B04');
  const nir = bandSampler(surface, 'B08');
  const swir = bandSampler(surface, 'B11');
  const noiseFree = { ...surface, noise: 0 };
  const nominal = SYNTHETIC_BANDS.map((band) => [band, bandSampler(noiseFree, band)] as const);
  return (parcel, pixels) =>
    observe(surface, { red, nir, swir, nominal, offsetApplied }, parcel, pixels);
}

function observe(
  surface: SceneSurface,
  samplers: {
    red: BandSampler;
    nir: BandSampler;
    swir: BandSampler;
    nominal: ReadonlyArray<readonly [SyntheticBand, BandSampler]>;
    offsetApplied: boolean;
  },
  parcel: SyntheticParcel,
  pixels: Int32Array,
): ObservationTruth {
  const { red, nir, swir, offsetApplied } = samplers;
  const [x0, y0, x1, y1] = parcel.polygon.bbox;
  const margin = LATTICE_METRES;
  const atmosphere = atmosphereFor(surface.acquisition.atmosphere, [
    x0 - margin,
    y0 - margin,
    x1 + margin,
    y1 + margin,
  ]);
  let dataPixels = 0;
  let validPixels = 0;
  let ndviSum = 0;
  let ndmiSum = 0;
  let cloudTouched = false;
  let nodataTouched = false;
  for (let k = 0; k < pixels.length; k += 2) {
    const px = pixels[k];
    const py = pixels[k + 1];
    const cx = Math.floor(px / 2);
    const cy = Math.floor(py / 2);
    const cellX = latticeCentre(cx, LATTICE_METRES);
    const cellY = latticeCentre(cy, LATTICE_METRES);
    const cls = atmosphereAt(atmosphere, cellX, cellY);
    if (cls === Scl.NO_DATA) {
      nodataTouched = true;
      continue;
    }
    dataPixels++;
    if (cls !== CLEAR) {
      cloudTouched = true;
      continue;
    }
    const r = reflectance(red(parcel.index, CLEAR, px, py, cx, cy), offsetApplied);
    const n = reflectance(nir(parcel.index, CLEAR, px, py, cx, cy), offsetApplied);
    // B11 is 20 m: its pixel is the cell, whose surface may be a neighbour at the parcel's rim.
    const cellSlot = slotOf(surface, featureAt(surface.layout, cellX, cellY));
    const s = reflectance(swir(cellSlot, CLEAR, cx, cy, cx, cy), offsetApplied);
    if (n + r === 0 || n + s === 0) continue;
    validPixels++;
    ndviSum += (n - r) / (n + r);
    ndmiSum += (n - s) / (n + s);
  }
  const totalPixels = pixels.length / 2;
  const status =
    dataPixels === 0
      ? 'nodata'
      : validPixels > 0 && validPixels / totalPixels >= OK_VALID_FRACTION
        ? 'ok'
        : 'cloudy';
  const dn = Object.fromEntries(
    samplers.nominal.map(([band, sample]) => [band, sample(parcel.index, CLEAR, 0, 0, 0, 0)]),
  ) as Record<SyntheticBand, number>;
  return {
    date: surface.acquisition.date,
    targetNdvi: surface.targetNdvi[parcel.index],
    targetNdmi: surface.targetNdmi[parcel.index],
    realisedNdvi: validPixels ? ndviSum / validPixels : null,
    realisedNdmi: validPixels ? ndmiSum / validPixels : null,
    totalPixels,
    dataPixels,
    validPixels,
    cloudTouched,
    nodataTouched,
    status,
    dn,
  };
}
