/**
 * What the COG reader knows about a file after reading its header: plain data, so a tile layout
 * can cross to a worker thread and tile arrays can be inspected in tests.
 */
import type { RasterGrid } from './grid';
import type { ByteSource } from './source';

/** Pixel types we decode; TIFF SampleFormat + BitsPerSample map onto these. */
export type CogDataType = 'uint8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32';

/** Decoded pixels of one tile or window, in the array type matching the data type. */
export type CogPixels =
  | Uint8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array;

/** TIFF compressions we read: none, and DEFLATE (tags 8 and 32946, both zlib streams). */
export type CogCompression = 'none' | 'deflate';

/** TIFF predictor: 1 none, 2 horizontal differencing, 3 floating point. */
export type CogPredictor = 1 | 2 | 3;

/** One image of the file: the full resolution or an overview. */
export interface CogImage {
  source: ByteSource;
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  tilesAcross: number;
  tilesDown: number;
  samplesPerPixel: number;
  bitsPerSample: number;
  dataType: CogDataType;
  /** `chunky`: samples interleaved in each tile; `planar`: one set of tiles per sample. */
  planarConfiguration: 'chunky' | 'planar';
  compression: CogCompression;
  predictor: CogPredictor;
  littleEndian: boolean;
  /** GDAL_NODATA; undefined when the file declares none. NaN is a valid float nodata. */
  nodata: number | undefined;
  grid: RasterGrid;
  /**
   * Tile byte offsets in file order of tiles: row-major, and for planar files all tiles of sample 0,
   * then sample 1, ... Float64 because BigTIFF offsets pass 2³².
   */
  tileOffsets: Float64Array;
  /** Compressed size of each tile; 0 for a sparse tile that reads as nodata. */
  tileByteCounts: Float64Array;
}

/** An opened COG: the full-resolution image and its overviews, largest first. */
export interface Cog extends CogImage {
  overviews: CogImage[];
}

/** Everything `decodeTile` needs, with no reference to the file, so workers can receive it. */
export interface TileLayout {
  /** For error messages only. */
  url: string;
  /** For error messages only. */
  tile: number;
  width: number;
  height: number;
  /** Samples stored in this tile: samplesPerPixel when chunky, 1 when planar. */
  samples: number;
  dataType: CogDataType;
  compression: CogCompression;
  predictor: CogPredictor;
  littleEndian: boolean;
}

/** Bytes per sample of each data type. */
export const BYTES_PER_SAMPLE: Record<CogDataType, 1 | 2 | 4> = {
  uint8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
};

/** Allocates a typed array of `dataType` with `length` elements. */
export function allocatePixels(dataType: CogDataType, length: number): CogPixels {
  return viewPixels(dataType, new ArrayBuffer(length * BYTES_PER_SAMPLE[dataType]), 0, length);
}

/** A typed-array view of `dataType` over existing memory; `byteOffset` must be aligned. */
export function viewPixels(
  dataType: CogDataType,
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
): CogPixels {
  switch (dataType) {
    case 'uint8':
      return new Uint8Array(buffer, byteOffset, length);
    case 'uint16':
      return new Uint16Array(buffer, byteOffset, length);
    case 'int16':
      return new Int16Array(buffer, byteOffset, length);
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
  }
}
