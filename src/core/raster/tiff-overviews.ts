import { BadInputError } from '../errors';
import { type CogDataType, type CogPixels, DATA_TYPES, type PixelWindow } from './tiff-pixels';

/**
 * Overviews by nearest neighbour, computed from the full-resolution image directly (as GDAL does
 * for a factor-f overview): overview pixel i at level k (factor f = 2^k) takes full-resolution
 * pixel min(floor((i + 0.5) · f), size − 1). Nearest keeps class rasters such as SCL exact.
 */

/** One image of the pyramid: level 0 is full resolution, level k is reduced by 2^k. */
export interface PyramidLevel {
  level: number;
  width: number;
  height: number;
  tilesAcross: number;
  tilesDown: number;
  /** For each column of this level, the full-resolution column it samples. */
  sourceX: Int32Array;
  /** For each row of this level, the full-resolution row it samples. */
  sourceY: Int32Array;
}

/** Guard against a runaway request; 2^20 reduction is far past any real image. */
const MAX_OVERVIEW_LEVELS = 20;

/**
 * How many overview levels `'auto'` gives: halve until the image fits in one tile, as GDAL's COG
 * driver does (10980 px with 1024 px tiles → 5490, 2745, 1373, 687: four levels).
 */
export function autoOverviewCount(width: number, height: number, tileSize: number): number {
  let count = 0;
  let size = Math.max(width, height);
  while (size > tileSize) {
    size = Math.ceil(size / 2);
    count++;
  }
  return count;
}

function sampleMap(fullSize: number, factor: number): Int32Array {
  const size = Math.ceil(fullSize / factor);
  const map = new Int32Array(size);
  for (let i = 0; i < size; i++) map[i] = Math.min(Math.floor((i + 0.5) * factor), fullSize - 1);
  return map;
}

/** The full-resolution level followed by `overviews` levels, each half the size of the previous. */
export function planPyramid(
  width: number,
  height: number,
  tileSize: number,
  overviews: number,
): PyramidLevel[] {
  if (!Number.isInteger(overviews) || overviews < 0 || overviews > MAX_OVERVIEW_LEVELS) {
    throw new BadInputError(
      `COG writer: overviews must be 'auto' or an integer 0..${MAX_OVERVIEW_LEVELS}, got ${overviews}`,
      { code: 'COG_BAD_OPTIONS' },
    );
  }
  const levels: PyramidLevel[] = [];
  for (let level = 0; level <= overviews; level++) {
    const factor = 2 ** level;
    const sourceX = sampleMap(width, factor);
    const sourceY = sampleMap(height, factor);
    levels.push({
      level,
      width: sourceX.length,
      height: sourceY.length,
      tilesAcross: Math.ceil(sourceX.length / tileSize),
      tilesDown: Math.ceil(sourceY.length / tileSize),
      sourceX,
      sourceY,
    });
  }
  return levels;
}

/** Indices i of `map` (non-decreasing) whose value lies in [start, end). */
function indexRange(map: Int32Array, start: number, end: number): [number, number] {
  let first = 0;
  while (first < map.length && map[first] < start) first++;
  let last = first;
  while (last < map.length && map[last] < end) last++;
  return [first, last];
}

/**
 * Fills overview images while full-resolution tiles stream past, so a raster produced tile by
 * tile never has to exist whole: each overview pixel is copied from the one full-resolution tile
 * that holds its sample point. Holds the overviews (about a third of one full-resolution band).
 */
export class OverviewAccumulator {
  /** Per overview level (index 0 = level 1), per sample, the overview pixels. */
  readonly images: CogPixels[][];

  constructor(
    private readonly levels: readonly PyramidLevel[],
    samples: number,
    dataType: CogDataType,
  ) {
    this.images = levels
      .slice(1)
      .map((level) =>
        Array.from({ length: samples }, () =>
          DATA_TYPES[dataType].create(level.width * level.height),
        ),
      );
  }

  /** Takes the overview pixels sampled from `pixels`, the full-resolution `window` of `sample`. */
  add(sample: number, window: PixelWindow, pixels: CogPixels): void {
    this.levels.slice(1).forEach((level, index) => {
      const image = this.images[index][sample];
      const [i0, i1] = indexRange(level.sourceX, window.x, window.x + window.width);
      const [j0, j1] = indexRange(level.sourceY, window.y, window.y + window.height);
      for (let j = j0; j < j1; j++) {
        const sourceRow = (level.sourceY[j] - window.y) * window.width - window.x;
        const outRow = j * level.width;
        for (let i = i0; i < i1; i++) image[outRow + i] = pixels[sourceRow + level.sourceX[i]];
      }
    });
  }
}
