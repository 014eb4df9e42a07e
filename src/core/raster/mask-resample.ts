/**
 * One band read onto the output (reference) grid by nearest neighbour, one output tile at a time:
 * output pixel (c, r) takes the band pixel containing its centre, by the same arithmetic as the
 * engine's `placement` (src/core/zonal/scene-layout.ts), so a clean raster holds exactly the value
 * the engine would have sampled from the raw one. Keeps only the band tiles still to be used.
 */
import { type Cog, type CogPixels, fetchTiles, tileLayout } from './cog-reader';
import type { RasterGrid } from './grid';
import { decodeTile } from './tile-decode';

/** GDAL's 8-byte tile frames between file-adjacent tiles; reading them joins the requests. */
const MAX_GAP_BYTES = 16;

/** For each output column, the band column whose pixel holds its centre; -1 off the band. */
function columnMap(band: RasterGrid, ref: RasterGrid, size: number): Int32Array {
  const scale = ref.pixelWidth / band.pixelWidth;
  const offset = (ref.originX - band.originX) / band.pixelWidth;
  return axisMap(ref.width, scale, offset, size);
}

/** For each output row, the band row whose pixel holds its centre; -1 off the band. */
function rowMap(band: RasterGrid, ref: RasterGrid, size: number): Int32Array {
  const scale = ref.pixelHeight / band.pixelHeight;
  const offset = (band.originY - ref.originY) / band.pixelHeight;
  return axisMap(ref.height, scale, offset, size);
}

function axisMap(count: number, scale: number, offset: number, size: number): Int32Array {
  const map = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const at = Math.floor((i + 0.5) * scale + offset);
    map[i] = at >= 0 && at < size ? at : -1;
  }
  return map;
}

/** The smallest and largest non-negative entries of `map[from, to)`, or undefined when none. */
function validRange(map: Int32Array, from: number, to: number): [number, number] | undefined {
  let first = -1;
  let last = -1;
  for (let i = from; i < to; i++) {
    const v = map[i]!;
    if (v < 0) continue;
    if (first < 0 || v < first) first = v;
    if (v > last) last = v;
  }
  return first < 0 ? undefined : [first, last];
}

/**
 * A band seen through the output grid: `loadRow` fetches what a row of output tiles needs,
 * `prepareTile` decodes what one tile needs, `fillTile` writes its values.
 */
export class ResampledBand {
  private readonly cols: Int32Array;
  private readonly rows: Int32Array;
  private readonly tilesAcrossOut: number;
  private readonly tilesDownOut: number;
  /** Compressed tiles fetched for the current output row, not decoded yet. */
  private readonly compressed = new Map<number, Uint8Array>();
  /** Decoded tiles; null for a sparse tile (reads as nodata). */
  private readonly decoded = new Map<number, CogPixels | null>();
  /** Band column, within its tile, of each output column of the current tile. */
  private readonly inTileCol: Int32Array;
  /** Band pixel value where nothing covers the output pixel. */
  readonly nodata: number;

  constructor(
    readonly cog: Cog,
    private readonly grid: RasterGrid,
    private readonly tileSize: number,
  ) {
    this.cols = columnMap(cog.grid, grid, cog.width);
    this.rows = rowMap(cog.grid, grid, cog.height);
    this.tilesAcrossOut = Math.ceil(grid.width / tileSize);
    this.tilesDownOut = Math.ceil(grid.height / tileSize);
    this.inTileCol = new Int32Array(tileSize);
    this.nodata = cog.nodata ?? 0;
  }

  /** Band tile indices holding the pixels of output tile (tx, ty). */
  tilesFor(tx: number, ty: number): number[] {
    if (tx < 0 || ty < 0 || tx >= this.tilesAcrossOut || ty >= this.tilesDownOut) return [];
    const { tileSize, cog } = this;
    const colRange = validRange(
      this.cols,
      tx * tileSize,
      Math.min(this.grid.width, (tx + 1) * tileSize),
    );
    const rowRange = validRange(
      this.rows,
      ty * tileSize,
      Math.min(this.grid.height, (ty + 1) * tileSize),
    );
    if (!colRange || !rowRange) return [];
    const tiles: number[] = [];
    for (
      let tr = Math.floor(rowRange[0] / cog.tileHeight);
      tr <= Math.floor(rowRange[1] / cog.tileHeight);
      tr++
    ) {
      for (
        let tc = Math.floor(colRange[0] / cog.tileWidth);
        tc <= Math.floor(colRange[1] / cog.tileWidth);
        tc++
      ) {
        tiles.push(tr * cog.tilesAcross + tc);
      }
    }
    return tiles;
  }

  private rowTiles(ty: number): Set<number> {
    const tiles = new Set<number>();
    for (let tx = 0; tx < this.tilesAcrossOut; tx++)
      for (const t of this.tilesFor(tx, ty)) tiles.add(t);
    return tiles;
  }

  /** Fetches the compressed band tiles output row `ty` needs that are not held yet (one batch). */
  async loadRow(ty: number, signal?: AbortSignal): Promise<void> {
    const needed = this.rowTiles(ty);
    for (const tile of this.compressed.keys()) if (!needed.has(tile)) this.compressed.delete(tile);
    const missing = [...needed].filter((t) => !this.compressed.has(t) && !this.decoded.has(t));
    if (missing.length === 0) return;
    const fetched = await fetchTiles(this.cog, missing, { signal, maxGapBytes: MAX_GAP_BYTES });
    for (const [tile, bytes] of fetched) this.compressed.set(tile, bytes);
  }

  /**
   * Decodes what output tile (tx, ty) needs and forgets decoded tiles no later tile of this row or
   * the next one uses: a 20 m tile spanning two output rows is decoded once, a 10 m one is held alone.
   */
  prepareTile(tx: number, ty: number): void {
    for (const tile of this.tilesFor(tx, ty)) {
      if (this.decoded.has(tile)) continue;
      const bytes = this.compressed.get(tile);
      this.compressed.delete(tile);
      this.decoded.set(
        tile,
        bytes && bytes.byteLength > 0 ? decodeTile(bytes, tileLayout(this.cog, tile)) : null,
      );
    }
    const keep = new Set<number>();
    for (let x = tx; x < this.tilesAcrossOut; x++)
      for (const t of this.tilesFor(x, ty)) keep.add(t);
    for (const t of this.rowTiles(ty + 1)) keep.add(t);
    for (const tile of this.decoded.keys()) if (!keep.has(tile)) this.decoded.delete(tile);
  }

  /**
   * Writes the band's values for output tile (tx, ty) into `out` (tileSize² values, row-major);
   * pixels off the band, in sparse tiles or past the grid's edge get `fill`. Call `prepareTile` first.
   */
  fillTile(tx: number, ty: number, out: CogPixels, fill: number): void {
    const { tileSize, cog, cols, rows } = this;
    out.fill(fill);
    const x0 = tx * tileSize;
    const y0 = ty * tileSize;
    const width = Math.min(tileSize, this.grid.width - x0);
    const height = Math.min(tileSize, this.grid.height - y0);
    // The output columns each band tile column covers: contiguous runs, as the map is monotonic.
    const runs: Array<{ tileCol: number; from: number; to: number; contiguous: boolean }> = [];
    for (let i = 0; i < width; i++) {
      const col = cols[x0 + i]!;
      if (col < 0) continue;
      const tileCol = Math.floor(col / cog.tileWidth);
      const inTile = col - tileCol * cog.tileWidth;
      const run = runs[runs.length - 1];
      if (run && run.tileCol === tileCol) {
        run.contiguous &&= inTile === this.inTileCol[i - 1]! + 1;
        run.to = i + 1;
      } else {
        runs.push({ tileCol, from: i, to: i + 1, contiguous: true });
      }
      this.inTileCol[i] = inTile;
    }
    if (runs.length === 0) return;
    for (let j = 0; j < height; j++) {
      const row = rows[y0 + j]!;
      if (row < 0) continue;
      const tileRow = Math.floor(row / cog.tileHeight);
      const base = (row - tileRow * cog.tileHeight) * cog.tileWidth;
      const outRow = j * tileSize;
      for (const run of runs) {
        const tile = this.decoded.get(tileRow * cog.tilesAcross + run.tileCol);
        if (!tile) continue;
        if (run.contiguous) {
          // Same pixel size, aligned: a straight copy of the row segment.
          const start = base + this.inTileCol[run.from]!;
          out.set(tile.subarray(start, start + run.to - run.from), outRow + run.from);
        } else {
          copyThrough(tile, base, this.inTileCol, run.from, run.to, out, outRow);
        }
      }
    }
  }
}

/** out[outRow + i] = tile[base + at[i]] for i in [from, to): the nearest-neighbour gather. */
function copyThrough(
  tile: CogPixels,
  base: number,
  at: Int32Array,
  from: number,
  to: number,
  out: CogPixels,
  outRow: number,
): void {
  for (let i = from; i < to; i++) out[outRow + i] = tile[base + at[i]!]!;
}
