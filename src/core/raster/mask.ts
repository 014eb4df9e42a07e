/**
 * The clean rasters of one scene over one group window: every band on the reference (10 m) grid
 * (20 m bands and SCL by nearest neighbour), reflectance in the one clean encoding
 * (CLEAN_HARMONISATION), and the SCL mask applied — so the engine reads clean rasters with no
 * knowledge of the scene's harmonisation, and gets the same observations as from the raw ones.
 *
 * Per output pixel: SCL 0 (or off the SCL raster) → every output 0 (no data); SCL not in the valid
 * classes → reflectance 0, SCL kept (masked, told apart from no data by its class); otherwise each
 * band's clean DN, 0 where the raw band has no data. Streams tile by tile.
 */
import { BadDataError, BadInputError } from '../errors';
import {
  type CheckBand,
  checkHarmonisationHistogram,
  type HarmonisationCheck,
} from '../stac/harmonise-check';
import { BAND_IDS, type BandId, type HarmonisationDecision } from '../stac/scene';
import type { Cog } from './cog-reader';
import { DEFAULT_COMPRESSION_LEVEL, deflateTile, encodeCogFromTiles } from './cog-writer';
import type { RasterGrid } from './grid';
import { cleanDnTable } from './mask-encoding';
import { ResampledBand } from './mask-resample';

export { CLEAN_HARMONISATION, cleanDn } from './mask-encoding';

/** SCL classes of land the harmonisation check samples: 4 vegetation, 5 not vegetated. */
const CHECK_SCL_CLASSES = [4, 5];
/** TIFF tile sizes are multiples of 16; the writer stores square tiles. */
const TILE_SIZE_MULTIPLE = 16;

export interface MaskSceneInput {
  /** Clipped raw rasters of the reflectance bands (10 m and 20 m), keyed by band. */
  bands: Partial<Record<BandId, Cog>>;
  scl: Cog;
  /** How the raw DN become reflectance, decided for the scene. */
  harmonisation: HarmonisationDecision;
  /** SCL classes counted as clear (0 never is). */
  validSclClasses: readonly number[];
  /** The band whose grid and tile size the outputs take. @default the finest band (first in BAND_IDS order on ties) */
  reference?: BandId;
  /** zlib level of the outputs. @default DEFAULT_COMPRESSION_LEVEL */
  compressionLevel?: number;
  signal?: AbortSignal;
  /** Called after each output tile, e.g. to heartbeat an activity. */
  onProgress?: (done: number, total: number) => void;
}

export interface MaskPixelCounts {
  /** Pixels of the output grid. */
  total: number;
  /** SCL 0 or no SCL raster there: no data in every output. */
  noData: number;
  /** SCL class outside the valid set: reflectance 0, class kept. */
  masked: number;
  /** SCL class in the valid set. */
  clear: number;
}

export interface MaskedScene {
  /** Clean COG bytes per band: uint16, DEFLATE + predictor 2, nodata 0, CLEAN_HARMONISATION. */
  bands: Partial<Record<BandId, Uint8Array>>;
  /** SCL on the reference grid: uint8, DEFLATE + predictor 2, nodata 0. */
  scl: Uint8Array;
  grid: RasterGrid;
  tileSize: number;
  /**
   * The harmonisation check on the raw red DN (B04; B08 without it) over the window's clear land
   * pixels (SCL 4/5 when valid), as the engine runs it on parcel pixels.
   */
  check: HarmonisationCheck;
  pixels: MaskPixelCounts;
}

interface Output {
  band: BandId;
  source: ResampledBand;
  /** Raw DN → clean DN, raw nodata → 0. */
  table: Uint16Array;
  tiles: Array<Buffer | null>;
}

/** Builds the clean rasters of a scene's group window; see the file comment for the rules. */
export async function maskScene(input: MaskSceneInput): Promise<MaskedScene> {
  const bandIds = BAND_IDS.filter((band) => input.bands[band] !== undefined);
  const reference = checkInput(input, bandIds);
  const refCog = input.bands[reference]!;
  const grid = refCog.grid;
  const tileSize = refCog.tileWidth;
  const across = Math.ceil(grid.width / tileSize);
  const down = Math.ceil(grid.height / tileSize);
  const tileCount = across * down;
  const level = input.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;

  const outputs: Output[] = bandIds.map((band) => {
    const source = new ResampledBand(input.bands[band]!, grid, tileSize);
    return {
      band,
      source,
      table: cleanDnTable(input.harmonisation, source.nodata),
      tiles: new Array(tileCount).fill(null),
    };
  });
  const scl = new ResampledBand(input.scl, grid, tileSize);
  const sclTiles: Array<Buffer | null> = new Array(tileCount).fill(null);
  const validScl = new Uint8Array(256);
  for (const c of input.validSclClasses) validScl[c] = 1;
  validScl[0] = 0;
  const checkLand = new Uint8Array(256);
  for (const c of CHECK_SCL_CLASSES) checkLand[c] = validScl[c]!;
  const checkBand: CheckBand = input.bands.B04 || !input.bands.B08 ? 'B04' : 'B08';
  const checkOutput = outputs.find((o) => o.band === checkBand);
  const histogram = new Uint32Array(0x10000);
  const pixels: MaskPixelCounts = {
    total: grid.width * grid.height,
    noData: 0,
    masked: 0,
    clear: 0,
  };

  const sclRaw = new Uint8Array(tileSize * tileSize);
  const raw = new Uint16Array(tileSize * tileSize);
  /** Per pixel of the current tile: 1 where the SCL class is clear (resp. clear land for the check). */
  const clear = new Uint8Array(tileSize * tileSize);
  const land = new Uint8Array(tileSize * tileSize);
  // Compression of one output tile runs in libuv's pool while the next one is computed.
  let compressing: Promise<unknown> = Promise.resolve();
  for (let ty = 0; ty < down; ty++) {
    await Promise.all(
      [scl, ...outputs.map((o) => o.source)].map((b) => b.loadRow(ty, input.signal)),
    );
    for (let tx = 0; tx < across; tx++) {
      input.signal?.throwIfAborted();
      const index = ty * across + tx;
      scl.prepareTile(tx, ty);
      scl.fillTile(tx, ty, sclRaw, 0);
      const sclOut = cleanScl(sclRaw, scl.nodata);
      countPixels(sclOut, validScl, tileSize, grid, tx, ty, pixels);
      classify(sclOut, validScl, clear);
      if (checkOutput) classify(sclOut, checkLand, land);

      const jobs: Array<Promise<void>> = [];
      for (const output of outputs) {
        output.source.prepareTile(tx, ty);
        output.source.fillTile(tx, ty, raw, output.source.nodata);
        if (output === checkOutput) addToHistogram(raw, land, output.source.nodata, histogram);
        const clean = applyMask(raw, clear, output.table);
        if (clean) {
          jobs.push(
            deflateTile(clean, tileSize, { predictor: true, compressionLevel: level }).then(
              (bytes) => {
                output.tiles[index] = bytes;
              },
            ),
          );
        }
      }
      if (sclOut.some((v) => v !== 0)) {
        jobs.push(
          deflateTile(sclOut, tileSize, { predictor: true, compressionLevel: level }).then(
            (bytes) => {
              sclTiles[index] = bytes;
            },
          ),
        );
      }
      await compressing;
      compressing = Promise.all(jobs);
      // Handled here so a failure waiting for the next await never counts as unhandled.
      compressing.catch(() => undefined);
      input.onProgress?.(index + 1, tileCount);
    }
  }
  await compressing;

  const encode = (dataType: 'uint16' | 'uint8', tiles: Array<Buffer | null>) => {
    const bytes = encodeCogFromTiles({
      grid,
      dataType,
      tileSize,
      compression: 'deflate',
      predictor: 2,
      nodata: 0,
      tile: (i) => tiles[i],
    });
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  const bands: Partial<Record<BandId, Uint8Array>> = {};
  for (const output of outputs) {
    bands[output.band] = encode('uint16', output.tiles);
    output.tiles.length = 0;
  }
  return {
    bands,
    scl: encode('uint8', sclTiles),
    grid,
    tileSize,
    check: checkHarmonisationHistogram(input.harmonisation, checkBand, histogram),
    pixels,
  };
}

/** A fresh SCL tile with the raster's own nodata turned into class 0 (no data). */
function cleanScl(sclRaw: Uint8Array, nodata: number): Uint8Array {
  const out = new Uint8Array(sclRaw);
  if (nodata !== 0) {
    for (let p = 0; p < out.length; p++) if (out[p] === nodata) out[p] = 0;
  }
  return out;
}

/** flags[p] = table[scl[p]]: which pixels of the tile a class table selects. */
function classify(scl: Uint8Array, table: Uint8Array, flags: Uint8Array): void {
  for (let p = 0; p < scl.length; p++) flags[p] = table[scl[p]!]!;
}

/** The clean tile of one band, or null when it holds no data at all (stored sparse). */
function applyMask(raw: Uint16Array, clear: Uint8Array, table: Uint16Array): Uint16Array | null {
  const out = new Uint16Array(raw.length);
  let any = 0;
  for (let p = 0; p < raw.length; p++) {
    if (clear[p] === 0) continue;
    const value = table[raw[p]!]!;
    out[p] = value;
    any |= value;
  }
  return any === 0 ? null : out;
}

function addToHistogram(
  raw: Uint16Array,
  land: Uint8Array,
  nodata: number,
  histogram: Uint32Array,
): void {
  for (let p = 0; p < raw.length; p++) {
    if (land[p] === 1 && raw[p] !== nodata) histogram[raw[p]!]!++;
  }
}

/** Counts the tile's pixels inside the grid (edge tiles are padded past it). */
function countPixels(
  scl: Uint8Array,
  validScl: Uint8Array,
  tileSize: number,
  grid: RasterGrid,
  tx: number,
  ty: number,
  pixels: MaskPixelCounts,
): void {
  const width = Math.min(tileSize, grid.width - tx * tileSize);
  const height = Math.min(tileSize, grid.height - ty * tileSize);
  let noData = 0;
  let clear = 0;
  for (let j = 0; j < height; j++) {
    const row = j * tileSize;
    for (let i = 0; i < width; i++) {
      const s = scl[row + i]!;
      if (s === 0) noData++;
      else clear += validScl[s]!;
    }
  }
  pixels.noData += noData;
  pixels.clear += clear;
  pixels.masked += width * height - noData - clear;
}

/** Checks what the mask can honour and returns the reference band. */
function checkInput(input: MaskSceneInput, bandIds: BandId[]): BandId {
  const bad = (message: string, code: string) =>
    new BadInputError(`maskScene: ${message}`, { code });
  if (bandIds.length === 0) throw bad('no reflectance band given', 'MASK_NO_BANDS');
  if (bandIds.includes('SCL')) {
    throw bad('SCL is passed as `scl`, not among the reflectance bands', 'MASK_BAD_BANDS');
  }
  for (const c of input.validSclClasses) {
    if (!Number.isInteger(c) || c < 0 || c > 255) {
      throw bad(`valid SCL class ${c} is not an integer 0..255`, 'MASK_BAD_SCL_CLASSES');
    }
  }
  const reference =
    input.reference ??
    bandIds.reduce((best, band) =>
      input.bands[band]!.grid.pixelWidth < input.bands[best]!.grid.pixelWidth ? band : best,
    );
  const ref = input.bands[reference];
  if (!ref) {
    throw bad(`reference band ${reference} is not among the bands given`, 'MASK_BAD_REFERENCE');
  }
  const refuse = (cog: Cog, what: string) =>
    new BadDataError(`COG ${cog.source.url}: ${what}; it cannot be masked`, {
      code: 'MASK_UNSUPPORTED_RASTER',
    });
  if (ref.tileWidth !== ref.tileHeight || ref.tileWidth % TILE_SIZE_MULTIPLE !== 0) {
    throw refuse(
      ref,
      `its tiles are ${ref.tileWidth} × ${ref.tileHeight} px (square multiples of 16 needed)`,
    );
  }
  for (const band of bandIds) {
    const cog = input.bands[band]!;
    if (cog.samplesPerPixel !== 1)
      throw refuse(cog, `it has ${cog.samplesPerPixel} samples per pixel`);
    if (cog.dataType !== 'uint16' && cog.dataType !== 'uint8') {
      throw refuse(cog, `band ${band} holds ${cog.dataType} samples, not uint16 reflectance DN`);
    }
  }
  if (input.scl.samplesPerPixel !== 1 || input.scl.dataType !== 'uint8') {
    throw refuse(
      input.scl,
      `the SCL band holds ${input.scl.samplesPerPixel} × ${input.scl.dataType}, not one uint8 class`,
    );
  }
  for (const cog of [...bandIds.map((b) => input.bands[b]!), input.scl]) {
    if (cog.grid.epsg !== ref.grid.epsg) {
      throw new BadDataError(
        `COG ${cog.source.url}: is in EPSG:${cog.grid.epsg} but the reference band ${reference} is in EPSG:${ref.grid.epsg}; the bands of one scene must share a CRS`,
        { code: 'SCENE_MIXED_CRS' },
      );
    }
  }
  return reference;
}
