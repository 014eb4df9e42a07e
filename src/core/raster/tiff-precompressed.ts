import { BadInputError } from '../errors';
import type { RasterGrid } from './grid';
import { assembleCog, type TiffCompression, type TiffPredictor } from './tiff-layout';
import { planPyramid } from './tiff-overviews';
import { type CogDataType, DATA_TYPES } from './tiff-pixels';

/**
 * COGs assembled from tiles that are already compressed: a clip copies a provider's tiles verbatim,
 * and the mask compresses its own tiles as it streams. Same layout as the COG writer (GDAL ghost
 * header, IFD first, framed tiles), full resolution only, and missing tiles stay sparse.
 */

/** TIFF requires tile sizes that are multiples of 16; TileWidth is written as a SHORT. */
const TILE_SIZE_MULTIPLE = 16;
const MAX_TILE_SIZE = 0xffff;

export interface PrecompressedCogInput {
  grid: RasterGrid;
  dataType: CogDataType;
  /** Internal tile edge in pixels (square tiles), a multiple of 16. */
  tileSize: number;
  compression: TiffCompression;
  /** 1 none, 2 horizontal (integers), 3 floating point (float32): what the tile bytes were encoded with. */
  predictor: TiffPredictor;
  /** Written as GDAL_NODATA; what readers return for sparse tiles. */
  nodata?: number;
  /**
   * The stored bytes of full-resolution tile `index` (row-major): little-endian samples, padded to
   * the whole tile at the edges, then compressed; `null` or empty for a sparse (all-nodata) tile.
   */
  tile(index: number): Uint8Array | null | undefined;
}

function bad(message: string): BadInputError {
  return new BadInputError(`COG writer: ${message}`, { code: 'COG_BAD_OPTIONS' });
}

/** Encodes a COG in memory from stored tile bytes, copied once into the returned buffer. */
export function encodeCogFromTiles(input: PrecompressedCogInput): Buffer {
  const { grid, dataType, tileSize, compression, predictor, nodata } = input;
  const info = DATA_TYPES[dataType];
  if (!info) throw bad(`unsupported data type "${dataType}"; use uint8, uint16, int16 or float32`);
  if (![grid.width, grid.height].every((n) => Number.isInteger(n) && n > 0)) {
    throw bad(`grid size ${grid.width}×${grid.height} must be positive integers`);
  }
  if (
    !Number.isInteger(tileSize) ||
    tileSize <= 0 ||
    tileSize > MAX_TILE_SIZE ||
    tileSize % TILE_SIZE_MULTIPLE !== 0
  ) {
    throw bad(`tile size ${tileSize} must be a positive multiple of ${TILE_SIZE_MULTIPLE}`);
  }
  if (compression !== 'deflate' && compression !== 'none') {
    throw bad(`compression "${compression}" must be 'deflate' or 'none'`);
  }
  const predictorFits =
    predictor === 1 || (predictor === 2 && info.integer) || (predictor === 3 && !info.integer);
  if (!predictorFits) throw bad(`predictor ${predictor} does not apply to ${dataType} samples`);
  if (nodata !== undefined && info.integer) {
    if (!Number.isInteger(nodata) || nodata < info.min || nodata > info.max) {
      throw bad(`nodata ${nodata} is not a ${dataType} value`);
    }
  }
  const [level] = planPyramid(grid.width, grid.height, tileSize, 0);
  const rawTileBytes = tileSize * tileSize * info.bytes;
  const tiles: Buffer[] = [];
  for (let index = 0; index < level.tilesAcross * level.tilesDown; index++) {
    const bytes = input.tile(index) ?? new Uint8Array(0);
    if (compression === 'none' && bytes.byteLength !== 0 && bytes.byteLength !== rawTileBytes) {
      throw bad(
        `uncompressed tile ${index} holds ${bytes.byteLength} bytes; a ${tileSize}² ${dataType} tile takes ${rawTileBytes}`,
      );
    }
    tiles.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  const settings = {
    grid,
    dataType,
    samples: 1,
    tileSize,
    nodata,
    levels: [level],
    predictor,
    compression,
  };
  const { head, tiles: framed, byteLength } = assembleCog(settings, [tiles]);
  return Buffer.concat([head, ...framed], byteLength);
}
