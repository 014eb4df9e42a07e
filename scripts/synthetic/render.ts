import type { BBox } from '../../src/core/geo/types';
import type { CogPixels, PixelWindow } from '../../src/core/raster/cog-writer';
import type { RasterGrid } from '../../src/core/raster/grid';
import type { Acquisition } from './acquisitions';
import { atmosphereFor, atmosphereWindow, CLEAR } from './atmosphere';
import {
  BAND_SPECS,
  BOA_ADD_OFFSET_DN,
  REFLECTANCE_BANDS,
  type ReflectanceBand,
  Scl,
  type SyntheticBand,
} from './bands';
import { insideBy } from './convex';
import {
  BACKGROUND_INDICES,
  CLOUD_BAND_FACTOR,
  SHADOW_FACTOR,
  surfaceReflectance,
  targetIndices,
  VEGETATION_NDVI,
  WATER_REFLECTANCE,
} from './crops';
import { featuresIn, type SurfaceLayout } from './parcels';
import { hashUnit } from './random';
import { LATTICE_METRES } from './tiles';

/**
 * Pixel values of one acquisition. Every value is a function of the pixel's world lattice index
 * (x / resolution, y / resolution), never of the tile, so overlapping tiles agree, and the ground
 * truth recomputes any pixel with the same `BandSampler` the tiles were rendered with.
 *
 * Surfaces are "slots": parcels 0..P−1, lakes P..F−1, bare background F.
 */
export interface SceneSurface {
  layout: SurfaceLayout;
  acquisition: Acquisition;
  /** Reflectance per slot and band. */
  reflectance: Record<ReflectanceBand, Float64Array>;
  /** SCL class per slot under clear sky. */
  scl: Uint8Array;
  /** Target indices per parcel (for the truth). */
  targetNdvi: Float64Array;
  targetNdmi: Float64Array;
  /** DN added to reflectance × 10000 (1000 when the BOA offset is not applied). */
  dnOffset: number;
  /** Amplitude of uniform per-pixel reflectance noise. */
  noise: number;
  seed: number;
}

/**
 * DN of one band for a pixel: slot, atmosphere class, the band's own lattice index, the 20 m cell.
 * `clearSky` holds the DN per slot under clear sky when that does not vary per pixel (no noise).
 */
export interface BandSampler {
  (slot: number, cls: number, px: number, py: number, cx: number, cy: number): number;
  clearSky: Uint8Array | Uint16Array | null;
}

/** Cloud tops reflect 0.4–0.6. */
const CLOUD_REFLECTANCE_MIN = 0.4;
const CLOUD_REFLECTANCE_SPREAD = 0.2;
const MAX_DN = 0xffff;
/** Hash stream reserved for cloud brightness (band streams use their index in REFLECTANCE_BANDS). */
const CLOUD_STREAM = 15;

export function sceneSurface(
  layout: SurfaceLayout,
  acquisition: Acquisition,
  options: { offsetApplied: boolean; noise: number; seed: number },
): SceneSurface {
  const slots = layout.features.length + 1;
  const parcels = layout.parcels.length;
  const reflectance = Object.fromEntries(
    REFLECTANCE_BANDS.map((b) => [b, new Float64Array(slots)]),
  ) as Record<ReflectanceBand, Float64Array>;
  const scl = new Uint8Array(slots);
  const targetNdvi = new Float64Array(parcels);
  const targetNdmi = new Float64Array(parcels);
  const put = (slot: number, values: Record<ReflectanceBand, number>) => {
    for (const band of REFLECTANCE_BANDS) reflectance[band][slot] = values[band];
  };
  layout.parcels.forEach((parcel, slot) => {
    const { ndvi, ndmi } = targetIndices(parcel.phenology, acquisition.dayOfYear);
    targetNdvi[slot] = ndvi;
    targetNdmi[slot] = ndmi;
    put(slot, surfaceReflectance(ndvi, ndmi));
    scl[slot] = ndvi >= VEGETATION_NDVI ? Scl.VEGETATION : Scl.NOT_VEGETATED;
  });
  for (let slot = parcels; slot < slots - 1; slot++) {
    put(slot, WATER_REFLECTANCE);
    scl[slot] = Scl.WATER;
  }
  put(slots - 1, surfaceReflectance(BACKGROUND_INDICES.ndvi, BACKGROUND_INDICES.ndmi));
  scl[slots - 1] = Scl.NOT_VEGETATED;
  return {
    layout,
    acquisition,
    reflectance,
    scl,
    targetNdvi,
    targetNdmi,
    dnOffset: options.offsetApplied ? 0 : BOA_ADD_OFFSET_DN,
    noise: options.noise,
    seed: options.seed,
  };
}

/** The slot of a feature index from `featureAt` (−1 = background). */
export function slotOf(surface: SceneSurface, feature: number): number {
  return feature < 0 ? surface.layout.features.length : feature;
}

const samplers = new WeakMap<SceneSurface, Map<SyntheticBand, BandSampler>>();

/** The sampler of `band` in this surface (built once per surface and band). */
export function bandSampler(surface: SceneSurface, band: SyntheticBand): BandSampler {
  let cache = samplers.get(surface);
  if (!cache) {
    cache = new Map();
    samplers.set(surface, cache);
  }
  let sampler = cache.get(band);
  if (!sampler) {
    sampler = buildSampler(surface, band);
    cache.set(band, sampler);
  }
  return sampler;
}

function buildSampler(surface: SceneSurface, band: SyntheticBand): BandSampler {
  const { acquisition, seed, dnOffset, noise } = surface;
  // Module imports are property getters under tsx; the per-pixel path reads local copies.
  const noDataClass = Scl.NO_DATA;
  const shadowClass = Scl.CLOUD_SHADOW;
  const clearClass = CLEAR;
  if (band === 'SCL') {
    const { scl } = surface;
    return Object.assign((slot: number, cls: number) => (cls === clearClass ? scl[slot] : cls), {
      clearSky: scl,
    });
  }
  const stream = acquisition.index * 16 + REFLECTANCE_BANDS.indexOf(band);
  const cloudStream = acquisition.index * 16 + CLOUD_STREAM;
  const quantise = (r: number) => Math.min(MAX_DN, Math.max(1, Math.round(r * 10_000) + dnOffset));
  const reflectance = surface.reflectance[band];
  const clear = Uint16Array.from(reflectance, quantise);
  const shadow = Uint16Array.from(reflectance, (r) => quantise(r * SHADOW_FACTOR));
  const cloudFactor = CLOUD_BAND_FACTOR[band];
  const jitter = (px: number, py: number) =>
    noise === 0 ? 0 : noise * (2 * hashUnit(px, py, stream, seed) - 1);
  const sample = (slot: number, cls: number, px: number, py: number, cx: number, cy: number) => {
    if (cls === noDataClass) return 0;
    if (cls === clearClass)
      return noise === 0 ? clear[slot] : quantise(reflectance[slot] + jitter(px, py));
    if (cls === shadowClass) {
      return noise === 0
        ? shadow[slot]
        : quantise(reflectance[slot] * SHADOW_FACTOR + jitter(px, py));
    }
    const top =
      CLOUD_REFLECTANCE_MIN + CLOUD_REFLECTANCE_SPREAD * hashUnit(cx, cy, cloudStream, seed);
    return quantise(top * cloudFactor + jitter(px, py));
  };
  return Object.assign(sample, { clearSky: noise === 0 ? clear : null });
}

/** World lattice index of a pixel centre: x = (px + 0.5) · resolution. */
export function latticeCentre(index: number, resolution: number): number {
  return (index + 0.5) * resolution;
}

/**
 * Renders `window` of a band on `grid` (a tile coverage at the band's resolution): rasterises the
 * surfaces by pixel centre, classifies the atmosphere per 20 m cell, then samples each pixel.
 * Adds the pixels to `histogram` when given (SCL statistics for the STAC item).
 */
export function renderWindow(
  surface: SceneSurface,
  band: SyntheticBand,
  grid: RasterGrid,
  window: PixelWindow,
  histogram?: Float64Array,
): CogPixels {
  const resolution = BAND_SPECS[band].resolution;
  const { width, height } = window;
  const px0 = Math.round(grid.originX / resolution) + window.x;
  const pyTop = Math.round(grid.originY / resolution) - 1 - window.y;
  const bbox: BBox = [
    px0 * resolution,
    (pyTop - height + 1) * resolution,
    (px0 + width) * resolution,
    (pyTop + 1) * resolution,
  ];
  const background = surface.layout.features.length;
  const slots = new Int32Array(width * height).fill(background);
  const inside = insideBy;
  for (const feature of featuresIn(surface.layout, bbox)) {
    const polygon = surface.layout.features[feature];
    const c0 = Math.max(0, Math.floor(polygon.bbox[0] / resolution) - px0);
    const c1 = Math.min(width - 1, Math.ceil(polygon.bbox[2] / resolution) - px0);
    const r0 = Math.max(0, pyTop - Math.ceil(polygon.bbox[3] / resolution));
    const r1 = Math.min(height - 1, pyTop - Math.floor(polygon.bbox[1] / resolution));
    for (let row = r0; row <= r1; row++) {
      const y = (pyTop - row + 0.5) * resolution;
      for (let col = c0; col <= c1; col++) {
        if (inside(polygon, (px0 + col + 0.5) * resolution, y, 0))
          slots[row * width + col] = feature;
      }
    }
  }
  // Atmosphere on the 20 m cells under the window.
  const perCell = LATTICE_METRES / resolution;
  const cx0 = Math.floor(px0 / perCell);
  const cyTop = Math.floor(pyTop / perCell);
  const cellsAcross = Math.floor((px0 + width - 1) / perCell) - cx0 + 1;
  const cellsDown = cyTop - Math.floor((pyTop - height + 1) / perCell) + 1;
  const atmosphere = atmosphereFor(surface.acquisition.atmosphere, bbox);
  const cells = atmosphereWindow(atmosphere, cx0, cyTop, cellsAcross, cellsDown, LATTICE_METRES);
  const sample = bandSampler(surface, band);
  const { clearSky } = sample;
  const clearClass = CLEAR;
  const out =
    BAND_SPECS[band].dataType === 'uint8'
      ? new Uint8Array(width * height)
      : new Uint16Array(width * height);
  const cellOfColumn = Int32Array.from({ length: width }, (_, col) =>
    Math.floor((px0 + col) / perCell),
  );
  for (let row = 0; row < height; row++) {
    const py = pyTop - row;
    const cy = Math.floor(py / perCell);
    const cellRow = (cyTop - cy) * cellsAcross - cx0;
    const rowStart = row * width;
    for (let col = 0; col < width; col++) {
      const cx = cellOfColumn[col];
      const k = rowStart + col;
      const cls = cells[cellRow + cx];
      // Clear sky without noise is a table lookup; the sampler gives the same value, slower.
      out[k] =
        cls === clearClass && clearSky !== null
          ? clearSky[slots[k]]
          : sample(slots[k], cls, px0 + col, py, cx, cy);
    }
  }
  if (histogram) for (let k = 0; k < out.length; k++) histogram[out[k]]++;
  return out;
}
