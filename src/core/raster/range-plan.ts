/**
 * Which byte ranges to request for a set of COG tiles: each tile's bytes are read once, tiles that
 * sit next to each other in the file share one request, and no byte between tiles is read
 * unless the caller allows small gaps.
 */

/** Largest coalesced request: big enough to batch a row of 1024² tiles, small enough to stream. */
export const DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** Where one tile's compressed bytes sit inside a planned request. */
export interface TileSlice {
  tile: number;
  /** Offset of the tile's first byte relative to the request's first byte. */
  start: number;
  length: number;
}

/** One ranged read covering one or more tiles. */
export interface RangeRequest {
  offset: number;
  length: number;
  tiles: TileSlice[];
}

export interface TileReadPlan {
  requests: RangeRequest[];
  /** Tiles stored with byte count 0: never written, all nodata, nothing to read. */
  sparse: number[];
}

export interface PlanOptions {
  /** @default DEFAULT_MAX_REQUEST_BYTES */
  maxRequestBytes?: number;
  /**
   * Bytes between two tiles that may be read (and thrown away) to join them into one request.
   * GDAL's COG driver puts 8 bytes (a size leader and a trailer) between tiles, so strict
   * adjacency never joins its tiles; 16 joins them at a cost of 8 bytes per tile.
   * @default 0 (never read a byte between tiles)
   */
  maxGapBytes?: number;
}

/**
 * Plans the reads for `tiles` given the file's tile offsets and byte counts. Duplicate indices are
 * read once; a tile larger than the maximum request still gets a request of its own.
 */
export function planTileReads(
  tiles: Iterable<number>,
  offsets: ArrayLike<number>,
  byteCounts: ArrayLike<number>,
  options: PlanOptions = {},
): TileReadPlan {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const maxGapBytes = options.maxGapBytes ?? 0;
  if (offsets.length !== byteCounts.length) {
    throw new RangeError(`${offsets.length} tile offsets but ${byteCounts.length} byte counts`);
  }
  const wanted = new Set<number>();
  for (const tile of tiles) {
    if (!Number.isInteger(tile) || tile < 0 || tile >= offsets.length) {
      throw new RangeError(`tile index ${tile} is outside 0..${offsets.length - 1}`);
    }
    wanted.add(tile);
  }

  const sparse: number[] = [];
  const stored: number[] = [];
  for (const tile of wanted) (byteCounts[tile] === 0 ? sparse : stored).push(tile);
  stored.sort((a, b) => offsets[a] - offsets[b] || byteCounts[b] - byteCounts[a]);
  sparse.sort((a, b) => a - b);

  const requests: RangeRequest[] = [];
  let current: RangeRequest | undefined;
  for (const tile of stored) {
    const offset = offsets[tile];
    const end = offset + byteCounts[tile];
    const currentEnd = current ? current.offset + current.length : -1;
    // Touching or overlapping ranges (some writers point identical tiles at the same bytes) join
    // the current request unless that would make it too large.
    const joins =
      current !== undefined &&
      offset <= currentEnd + maxGapBytes &&
      Math.max(end, currentEnd) - current.offset <= maxRequestBytes;
    if (!joins || current === undefined) {
      current = { offset, length: end - offset, tiles: [] };
      requests.push(current);
    } else {
      current.length = Math.max(end, currentEnd) - current.offset;
    }
    current.tiles.push({ tile, start: offset - current.offset, length: byteCounts[tile] });
  }
  return { requests, sparse };
}
