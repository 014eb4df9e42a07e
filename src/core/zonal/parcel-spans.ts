import { BadInputError } from '../errors';
import { polygonsOf } from '../geo/geometry';
import type { ParcelGeometry } from '../geo/types';
import type { RasterGrid } from '../raster/grid';
import { capsuleInterval } from './buffer-capsule';

/**
 * Scanline rasterisation of parcels into runs of pixels (row, firstCol, lastCol) on a grid's pixel
 * lattice, which extends past the grid (rows and columns may be negative or beyond its size).
 *
 * Inside rule (GDAL's `gdal_rasterize` default, in pixel coordinates px = (x - originX) / pixelWidth,
 * py = (originY - y) / pixelHeight): on the row whose centre is cy = row + 0.5, an edge counts when
 * min(py1, py2) <= cy < max(py1, py2); between each pair of sorted crossings (xa, xb) the pixels with
 * xa < col + 0.5 <= xb are inside. Rings of one polygon combine even-odd (holes excluded); polygons
 * of a MultiPolygon are unioned. Unlike GDAL, a horizontal edge lying exactly on a row of centres
 * adds nothing, so parcels tiling the plane never share a pixel.
 *
 * Erosion: with radius r > 0, a pixel also needs its centre at distance >= r from every edge of
 * every ring; the capsules of all edges are removed from each row (buffer-capsule.ts).
 */

/** Numbers stored per edge: pixel ends ordered by y (4), world ends (4), dx/dy, band half-width. */
const EDGE_STRIDE = 10;
/** A parcel whose bounding box covers more pixels than this many grids is in the wrong CRS. */
const MAX_PARCEL_BBOX_GRIDS = 4;
/** Initial capacity of the per-parcel buffers; they double when a parcel needs more. */
const INITIAL_CAPACITY = 256;

/**
 * Rasterises parcels one after the other into one growing run buffer, reusing its scratch buffers
 * so the hot loop allocates nothing.
 */
export class ParcelScanner {
  /** Output runs, three integers each: row, firstCol, lastCol; rows ascending per parcel. */
  spans: Int32Array;
  spanCount = 0;

  private edges = new Float64Array(EDGE_STRIDE * INITIAL_CAPACITY);
  private edgePart = new Int32Array(INITIAL_CAPACITY);
  private edgeCount = 0;
  /** Edges listed per row (CSR): row r's edges are rowEdges[rowStart[r] .. rowStart[r + 1]). */
  private rowStart = new Int32Array(INITIAL_CAPACITY);
  private rowEdges = new Int32Array(INITIAL_CAPACITY);
  private crossX = new Float64Array(INITIAL_CAPACITY);
  private crossPart = new Int32Array(INITIAL_CAPACITY);
  /** One row of the parcel's bounding box: 1 where a pixel is assigned. */
  private bitmap = new Uint8Array(INITIAL_CAPACITY);
  private interval = new Float64Array(2);
  /** The current parcel's frame: first row and column, and their counts. */
  private row0 = 0;
  private rows = 0;
  private col0 = 0;
  private cols = 0;
  /** Bitmap columns set on the current row. */
  private setLo = 0;
  private setHi = -1;

  constructor(
    private readonly grid: RasterGrid,
    expectedSpans = 65_536,
  ) {
    this.spans = new Int32Array(3 * expectedSpans);
  }

  /**
   * Appends the runs of `geometry` (runs of a row ascending and disjoint). `radius` is the erosion
   * distance in CRS units (0: none). Returns the number of pixels assigned.
   */
  appendParcel(geometry: ParcelGeometry, parcelIndex: number, radius: number): number {
    this.collectEdges(geometry, parcelIndex, radius);
    if (this.edgeCount === 0 || !this.frameParcel(parcelIndex)) return 0;
    this.indexEdgesByRow(radius > 0 ? radius / this.grid.pixelHeight : 0);
    // A row holds at most one run per two columns.
    this.spans = grow(this.spans, 3 * (this.spanCount + this.rows * ((this.cols >> 1) + 1)));
    let pixels = 0;
    for (let r = 0; r < this.rows; r++) {
      if (!this.fillRow(r)) continue;
      if (radius > 0) this.erodeRow(r, radius);
      pixels += this.emitRow(r);
    }
    return pixels;
  }

  /** Stores the parcel's non-degenerate edges, ends ordered by pixel y as GDAL does. */
  private collectEdges(geometry: ParcelGeometry, parcelIndex: number, radius: number): void {
    const polygons = polygonsOf(geometry);
    let positions = 0;
    for (const polygon of polygons) for (const ring of polygon) positions += ring.length;
    this.edges = grow(this.edges, EDGE_STRIDE * positions);
    this.edgePart = grow(this.edgePart, positions);
    const { edges, edgePart } = this;
    const { originX: ox, originY: oy, pixelWidth: pw, pixelHeight: ph } = this.grid;
    let count = 0;
    for (let p = 0; p < polygons.length; p++) {
      for (const ring of polygons[p]) {
        const n = ring.length;
        if (n < 2) continue;
        // An unclosed ring is closed implicitly: the edge from its last position to its first.
        const closed = ring[0][0] === ring[n - 1][0] && ring[0][1] === ring[n - 1][1];
        for (let i = closed ? 1 : 0; i < n; i++) {
          const a = ring[i === 0 ? n - 1 : i - 1];
          const b = ring[i];
          const [wx1, wy1] = a;
          const [wx2, wy2] = b;
          if (wx1 === wx2 && wy1 === wy2) continue;
          if (!(Number.isFinite(wx1 + wy1) && Number.isFinite(wx2 + wy2))) {
            throw new BadInputError(
              `parcel ${parcelIndex}: ring position [${b[0]}, ${b[1]}] is not finite; fix the geometry`,
              { code: 'GEOMETRY_INVALID' },
            );
          }
          const pxa = (wx1 - ox) / pw;
          const pya = (oy - wy1) / ph;
          const pxb = (wx2 - ox) / pw;
          const pyb = (oy - wy2) / ph;
          const down = pya <= pyb;
          const e = EDGE_STRIDE * count;
          edges[e] = down ? pxa : pxb;
          edges[e + 1] = down ? pya : pyb;
          edges[e + 2] = down ? pxb : pxa;
          edges[e + 3] = down ? pyb : pya;
          edges[e + 4] = wx1;
          edges[e + 5] = wy1;
          edges[e + 6] = wx2;
          edges[e + 7] = wy2;
          // For erodeRow's fast path: x shift per unit of y, and half the band's width on a row.
          edges[e + 8] = (wx2 - wx1) / (wy2 - wy1);
          edges[e + 9] = (radius * Math.hypot(wx2 - wx1, wy2 - wy1)) / Math.abs(wy2 - wy1);
          edgePart[count++] = p;
        }
      }
    }
    this.edgeCount = count;
  }

  /**
   * Sets the frame: rows whose centre lies in [minPy, maxPy), columns whose centre lies in
   * (minPx, maxPx]. Returns false when no pixel centre can be inside.
   */
  private frameParcel(parcelIndex: number): boolean {
    const edges = this.edges;
    let minPx = Number.POSITIVE_INFINITY;
    let maxPx = Number.NEGATIVE_INFINITY;
    let minPy = Number.POSITIVE_INFINITY;
    let maxPy = Number.NEGATIVE_INFINITY;
    for (let e = 0; e < EDGE_STRIDE * this.edgeCount; e += EDGE_STRIDE) {
      minPx = Math.min(minPx, edges[e], edges[e + 2]);
      maxPx = Math.max(maxPx, edges[e], edges[e + 2]);
      minPy = Math.min(minPy, edges[e + 1]);
      maxPy = Math.max(maxPy, edges[e + 3]);
    }
    this.row0 = Math.ceil(minPy - 0.5);
    this.rows = Math.ceil(maxPy - 0.5) - this.row0;
    this.col0 = Math.floor(minPx + 0.5);
    this.cols = Math.floor(maxPx + 0.5) - this.col0;
    if (this.rows <= 0 || this.cols <= 0) return false;
    const { width, height, epsg } = this.grid;
    if (this.rows * this.cols > MAX_PARCEL_BBOX_GRIDS * width * height) {
      throw new BadInputError(
        `parcel ${parcelIndex} spans ${this.cols} × ${this.rows} pixels of a ${width} × ${height} grid (EPSG:${epsg}); is it in the grid's CRS?`,
        { code: 'PARCEL_TOO_LARGE' },
      );
    }
    this.bitmap = grow(this.bitmap, this.cols);
    return true;
  }

  /** Lists each edge under every row it can affect: its crossings, and its capsule `margin` rows further. */
  private indexEdgesByRow(margin: number): void {
    const { edges, edgeCount, row0, rows } = this;
    const row1 = row0 + rows - 1;
    this.rowStart = grow(this.rowStart, rows + 1);
    const rowStart = this.rowStart;
    rowStart.fill(0, 0, rows + 1);
    for (let e = 0; e < edgeCount; e++) {
      const first = Math.max(row0, Math.floor(edges[EDGE_STRIDE * e + 1] - margin - 0.5));
      const last = Math.min(row1, Math.ceil(edges[EDGE_STRIDE * e + 3] + margin - 0.5));
      for (let r = first; r <= last; r++) rowStart[r - row0 + 1]++;
    }
    for (let r = 0; r < rows; r++) rowStart[r + 1] += rowStart[r];
    const listed = rowStart[rows];
    this.rowEdges = grow(this.rowEdges, listed);
    this.crossX = grow(this.crossX, listed);
    this.crossPart = grow(this.crossPart, listed);
    const rowEdges = this.rowEdges;
    for (let e = 0; e < edgeCount; e++) {
      const first = Math.max(row0, Math.floor(edges[EDGE_STRIDE * e + 1] - margin - 0.5));
      const last = Math.min(row1, Math.ceil(edges[EDGE_STRIDE * e + 3] + margin - 0.5));
      for (let r = first; r <= last; r++) rowEdges[rowStart[r - row0]++] = e;
    }
    // Filling advanced each start to the next row's; shift them back.
    for (let r = rows; r > 0; r--) rowStart[r] = rowStart[r - 1];
    rowStart[0] = 0;
  }

  /** Marks the row's inside pixels in the bitmap; false when there are none. */
  private fillRow(r: number): boolean {
    const { edges, edgePart, rowEdges, crossX, crossPart, bitmap, col0, cols } = this;
    const cy = this.row0 + r + 0.5;
    let crossings = 0;
    for (let k = this.rowStart[r]; k < this.rowStart[r + 1]; k++) {
      const e = EDGE_STRIDE * rowEdges[k];
      const y1 = edges[e + 1];
      const y2 = edges[e + 3];
      if (cy >= y1 && cy < y2) {
        const x1 = edges[e];
        crossX[crossings] = ((cy - y1) * (edges[e + 2] - x1)) / (y2 - y1) + x1;
        crossPart[crossings++] = edgePart[rowEdges[k]];
      }
    }
    if (crossings < 2) return false;
    sortByPartThenX(crossX, crossPart, crossings);
    let setLo = cols;
    let setHi = -1;
    for (let k = 0; k + 1 < crossings; k += 2) {
      if (crossPart[k] !== crossPart[k + 1]) {
        k--; // an odd count within a part cannot come from closed rings; resynchronise
        continue;
      }
      const a = Math.max(Math.floor(crossX[k] + 0.5) - col0, 0);
      const b = Math.min(Math.floor(crossX[k + 1] + 0.5) - 1 - col0, cols - 1);
      if (a > b) continue;
      for (let c = a; c <= b; c++) bitmap[c] = 1;
      setLo = Math.min(setLo, a);
      setHi = Math.max(setHi, b);
    }
    this.setLo = setLo;
    this.setHi = setHi;
    return setLo <= setHi;
  }

  /** Clears the row's pixels whose centre lies closer than `radius` to an edge. */
  private erodeRow(r: number, radius: number): void {
    const { edges, rowEdges, bitmap, interval, col0, setLo, setHi } = this;
    const { originX: ox, originY: oy, pixelWidth: pw, pixelHeight: ph } = this.grid;
    const y = oy - (this.row0 + r + 0.5) * ph;
    // Multiplying beats dividing; the 1 µm buffer tolerance dwarfs the rounding difference.
    const perPixel = 1 / pw;
    for (let k = this.rowStart[r]; k < this.rowStart[r + 1]; k++) {
      const e = EDGE_STRIDE * rowEdges[k];
      const ay = edges[e + 5];
      const by = edges[e + 7];
      // Rows were listed with whole-row slack: skip those the capsule does not reach.
      if (y - ay >= radius && y - by >= radius) continue;
      if (ay - y >= radius && by - y >= radius) continue;
      let lo: number;
      let hi: number;
      if (ay - y >= radius ? by - y <= -radius : ay - y <= -radius && by - y >= radius) {
        // The row crosses the edge at least `radius` from both ends: the capsule's trace is the
        // band around the crossing alone (no end disc reaches the row, the ends clip nothing).
        const xc = edges[e + 4] + (y - ay) * edges[e + 8];
        lo = xc - edges[e + 9];
        hi = xc + edges[e + 9];
      } else if (capsuleInterval(edges[e + 4], ay, edges[e + 6], by, y, radius, interval)) {
        lo = interval[0];
        hi = interval[1];
      } else {
        continue;
      }
      // Columns whose centre lies strictly inside (lo, hi).
      const a = Math.max(Math.floor((lo - ox) * perPixel - 0.5) + 1 - col0, setLo);
      const b = Math.min(Math.ceil((hi - ox) * perPixel - 0.5) - 1 - col0, setHi);
      for (let c = a; c <= b; c++) bitmap[c] = 0;
    }
  }

  /** Appends the row's runs, clears the bitmap for the next row, returns the pixels emitted. */
  private emitRow(r: number): number {
    const { bitmap, spans, col0, setHi } = this;
    const row = this.row0 + r;
    let at = 3 * this.spanCount;
    let pixels = 0;
    let c = this.setLo;
    while (c <= setHi) {
      if (bitmap[c] === 0) {
        c++;
        continue;
      }
      const start = c;
      while (c <= setHi && bitmap[c] === 1) bitmap[c++] = 0;
      spans[at] = row;
      spans[at + 1] = col0 + start;
      spans[at + 2] = col0 + c - 1;
      at += 3;
      pixels += c - start;
    }
    this.spanCount = at / 3;
    return pixels;
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  let size = array.length * 2;
  while (size < needed) size *= 2;
  const out = new (array.constructor as new (n: number) => T)(size);
  out.set(array);
  return out;
}

/** Insertion sort of crossings by (part, x): rows hold few crossings, usually grouped by part already. */
function sortByPartThenX(x: Float64Array, part: Int32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const xi = x[i];
    const pi = part[i];
    let j = i - 1;
    while (j >= 0 && (part[j] > pi || (part[j] === pi && x[j] > xi))) {
      x[j + 1] = x[j];
      part[j + 1] = part[j];
      j--;
    }
    x[j + 1] = xi;
    part[j + 1] = pi;
  }
}
