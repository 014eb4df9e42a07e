/**
 * Test rasters with values chosen by the test, written to GeoTIFF by GDAL: what the reader
 * returns must equal what went in, whatever layout GDAL picked.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EnviType, randomSequence, run, writeEnvi } from './gdal';

export interface Sample {
  path: string;
  width: number;
  height: number;
  bands: number;
  /** Pixel-interleaved values, as readWindow returns them. */
  values: number[];
}

/** Upper-left corner and pixel size given to every sample (UTM 31N, 10 m). */
export const SAMPLE_ORIGIN = { x: 500_000, y: 4_000_000, pixel: 10 };

const RANGES: Record<EnviType, [number, number]> = {
  uint8: [0, 256],
  int16: [-32768, 32768],
  uint16: [0, 65536],
  int32: [-(2 ** 31), 2 ** 31],
  uint32: [0, 2 ** 32],
  float32: [-1e6, 1e6],
};

const ARRAYS = {
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
};

/**
 * Writes a `width` × `height` × `bands` raster of pseudo-random values (smooth + noise, so the
 * predictor matters) and converts it with `gdal_translate <gdalArgs>`.
 */
export function makeSample(
  dir: string,
  name: string,
  shape: { width: number; height: number; bands?: number; type: EnviType },
  gdalArgs: string[],
  srs = 'EPSG:32631',
): Sample {
  const bands = shape.bands ?? 1;
  const { width, height, type } = shape;
  const random = randomSequence(width * 7 + height * 13 + bands);
  const [min, max] = RANGES[type];
  const bsq = new ARRAYS[type](width * height * bands);
  for (let i = 0; i < bsq.length; i++) {
    const smooth = (i % width) / width;
    const value = min + (max - min) * (0.5 * smooth + 0.5 * random());
    bsq[i] = type === 'float32' ? value : Math.floor(value);
  }
  const raw = writeEnvi(dir, name, { width, height, bands, type }, bsq);
  const path = join(dir, `${name}.tif`);
  const { x, y, pixel } = SAMPLE_ORIGIN;
  run('gdal_translate', [
    '-q',
    '-a_srs',
    srs,
    '-a_ullr',
    String(x),
    String(y),
    String(x + width * pixel),
    String(y - height * pixel),
    ...gdalArgs,
    raw,
    path,
  ]);
  const values = new Array<number>(bsq.length);
  for (let band = 0; band < bands; band++) {
    for (let p = 0; p < width * height; p++)
      values[p * bands + band] = bsq[band * width * height + p];
  }
  return { path, width, height, bands, values };
}

/** A copy of `path` with `patch` applied to its bytes. */
export function patchedCopy(path: string, target: string, patch: (bytes: Buffer) => void): string {
  copyFileSync(path, target);
  const bytes = readFileSync(target);
  patch(bytes);
  writeFileSync(target, bytes);
  return target;
}

/** Values of the window (col, row, width, height) of a pixel-interleaved sample. */
export function sampleWindow(
  sample: Sample,
  window: { col: number; row: number; width: number; height: number },
): number[] {
  const out: number[] = [];
  for (let r = window.row; r < window.row + window.height; r++) {
    const start = (r * sample.width + window.col) * sample.bands;
    out.push(...sample.values.slice(start, start + window.width * sample.bands));
  }
  return out;
}
