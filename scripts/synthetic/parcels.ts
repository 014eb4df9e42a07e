import proj4 from 'proj4';
import { BadInputError } from '../../src/core/errors';
import type { BBox, Position } from '../../src/core/geo/types';
import {
  bboxContains,
  bboxesMeet,
  type ConvexPolygon,
  convexPolygon,
  insideBy,
  isConvexCcw,
  ringArea,
} from './convex';
import { type Crop, cropForShare, type ParcelPhenology } from './crops';
import type { Random } from './random';
import { UTM33_PROJ4 } from './tiles';

/**
 * Parcel layout: the region is cut into square cells and each chosen cell holds one convex
 * surface (a parcel or a lake) at least CELL_MARGIN_METRES from the cell's edges, so surfaces never
 * touch and a point is looked up in one cell. Cells that straddle a tile coverage's edge are
 * skipped, so every parcel lies whole in each tile that reaches it.
 */
export interface SyntheticParcel {
  index: number;
  id: string;
  name: string;
  crop: Crop;
  shape: 'rectangle' | 'quad' | 'tiny';
  /** UTM 33N geometry as recomputed from the published WGS84 coordinates. */
  polygon: ConvexPolygon;
  /** WGS84 ring, counter-clockwise, not closed. */
  lonLat: Position[];
  areaHa: number;
  /** Tiles whose coverage holds the parcel. */
  tiles: string[];
  phenology: ParcelPhenology;
}

export interface SurfaceLayout {
  parcels: SyntheticParcel[];
  lakes: ConvexPolygon[];
  /** Parcels first, then lakes: the feature index used by the renderer. */
  features: ConvexPolygon[];
  cellSize: number;
  cellsAcross: number;
  cellsDown: number;
  originX: number;
  originY: number;
  /** Feature index held by each cell (row-major from the south-west), −1 for none. */
  cellFeature: Int32Array;
}

export interface LayoutRequest {
  region: BBox;
  coverages: Array<{ tile: string; bbox: BBox }>;
  parcels: number;
  tinyParcels: number;
  lakes: number;
}

/** Margin between a surface and its cell's edge: parcels stay ≥ 20 m apart. */
const CELL_MARGIN_METRES = 10;
/** Cells big enough for a 0.3 ha parcel of aspect 3 at any rotation, with margins. */
const MIN_CELL_METRES = 120;
/** Cells big enough for a 10 ha square parcel at any rotation. */
const MAX_CELL_METRES = 480;
/** Spare cells so the shuffle has room to skip cells on coverage edges. */
const CELL_SLACK = 1.3;
/** Step by which cells shrink when too few lie whole inside a coverage. */
const CELL_SHRINK = 0.95;
const MIN_PARCEL_HA = 0.3;
const MAX_PARCEL_HA = 10;
const MAX_ASPECT = 3;
/** Share of normal parcels drawn as irregular quadrilaterals instead of rectangles. */
const QUAD_SHARE = 0.4;
/** How far a quad's corners move towards the centre, at most, as a share of the half-diagonal. */
const QUAD_JITTER = 0.15;
/** Tiny parcels are narrower than 10 m: a 5 m inward buffer leaves nothing of them. */
const TINY_WIDTH_METRES: [number, number] = [6, 9];
const TINY_LENGTH_METRES: [number, number] = [9, 16];
const LAKE_VERTICES = 16;

const toWgs84 = proj4(UTM33_PROJ4, 'WGS84');

function rotatedRectangle(cx: number, cy: number, w: number, h: number, angle: number): Position[] {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return [
    [-w / 2, -h / 2],
    [w / 2, -h / 2],
    [w / 2, h / 2],
    [-w / 2, h / 2],
  ].map(([x, y]) => [cx + x * cos - y * sin, cy + x * sin + y * cos]);
}

function halfExtent(w: number, h: number, angle: number): number {
  const cos = Math.abs(Math.cos(angle));
  const sin = Math.abs(Math.sin(angle));
  return Math.max(w * cos + h * sin, w * sin + h * cos) / 2;
}

/** A parcel ring fitted into a cell of half-size `room` around (cx, cy). */
function parcelRing(
  random: Random,
  cx: number,
  cy: number,
  room: number,
): { ring: Position[]; shape: 'rectangle' | 'quad' } {
  const areaM2 = Math.exp(random.range(Math.log(MIN_PARCEL_HA), Math.log(MAX_PARCEL_HA))) * 10_000;
  const aspect = random.range(1, MAX_ASPECT);
  const angle = random.range(0, Math.PI);
  let w = Math.sqrt(areaM2 * aspect);
  let h = areaM2 / w;
  const extent = halfExtent(w, h, angle);
  if (extent > room) {
    w *= room / extent;
    h *= room / extent;
  }
  const slack = room - halfExtent(w, h, angle);
  const x = cx + random.range(-slack, slack);
  const y = cy + random.range(-slack, slack);
  const rectangle = rotatedRectangle(x, y, w, h, angle);
  if (random.next() >= QUAD_SHARE) return { ring: rectangle, shape: 'rectangle' };
  const quad = rectangle.map(([px, py]): Position => {
    const pull = random.range(0, QUAD_JITTER);
    return [px + (x - px) * pull, py + (y - py) * pull];
  });
  return isConvexCcw(quad)
    ? { ring: quad, shape: 'quad' }
    : { ring: rectangle, shape: 'rectangle' };
}

function lakeRing(random: Random, cx: number, cy: number, room: number): Position[] {
  const a = random.range(0.5, 1) * room;
  const b = random.range(0.4, 1) * a;
  const angle = random.range(0, Math.PI);
  return Array.from({ length: LAKE_VERTICES }, (_, i): Position => {
    const t = (2 * Math.PI * i) / LAKE_VERTICES;
    const x = a * Math.cos(t);
    const y = b * Math.sin(t);
    return [
      cx + x * Math.cos(angle) - y * Math.sin(angle),
      cy + x * Math.sin(angle) + y * Math.cos(angle),
    ];
  });
}

/** The published geometry is WGS84; the UTM one is recomputed from it so every consumer agrees. */
function canonical(ringUtm: Position[]): { lonLat: Position[]; polygon: ConvexPolygon } {
  const lonLat = ringUtm.map((p) => toWgs84.forward(p) as Position);
  return { lonLat, polygon: convexPolygon(lonLat.map((p) => toWgs84.inverse(p) as Position)) };
}

/** Cells of the region that lie whole inside a coverage and straddle none. */
function usableCells(region: BBox, coverages: LayoutRequest['coverages'], cellSize: number) {
  const cellsAcross = Math.floor((region[2] - region[0]) / cellSize);
  const cellsDown = Math.floor((region[3] - region[1]) / cellSize);
  const usable: number[] = [];
  for (let cell = 0; cell < cellsAcross * cellsDown; cell++) {
    const x0 = region[0] + (cell % cellsAcross) * cellSize;
    const y0 = region[1] + Math.floor(cell / cellsAcross) * cellSize;
    const box: BBox = [x0, y0, x0 + cellSize, y0 + cellSize];
    const straddles = coverages.some((c) => bboxesMeet(c.bbox, box) && !bboxContains(c.bbox, box));
    if (!straddles && coverages.some((c) => bboxContains(c.bbox, box))) usable.push(cell);
  }
  return { usable, cellsAcross, cellsDown };
}

export function layOutSurfaces(random: Random, request: LayoutRequest): SurfaceLayout {
  const { region, coverages } = request;
  const wanted = request.parcels + request.tinyParcels + request.lakes;
  const area = (region[2] - region[0]) * (region[3] - region[1]);
  const tooMany = () =>
    new BadInputError(
      `Synthetic data: ${wanted} parcels and lakes do not fit in region [${region.join(', ')}] (${(area / 1e6).toFixed(1)} km²); enlarge the region or ask for fewer parcels`,
      { code: 'SYNTHETIC_REGION_TOO_SMALL' },
    );
  // Start from cells with some spare and shrink them until enough lie whole inside a coverage.
  let cellSize = Math.min(MAX_CELL_METRES, Math.sqrt(area / (wanted * CELL_SLACK)));
  if (cellSize < MIN_CELL_METRES) throw tooMany();
  let grid = usableCells(region, coverages, cellSize);
  while (grid.usable.length < wanted) {
    cellSize *= CELL_SHRINK;
    if (cellSize < MIN_CELL_METRES) throw tooMany();
    grid = usableCells(region, coverages, cellSize);
  }
  const { usable, cellsAcross, cellsDown } = grid;
  for (let i = usable.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [usable[i], usable[j]] = [usable[j], usable[i]];
  }
  const parcelCells = usable.slice(0, request.parcels + request.tinyParcels).sort((a, b) => a - b);
  const tinyCells = new Set(usable.slice(request.parcels, request.parcels + request.tinyParcels));
  const lakeCells = usable
    .slice(request.parcels + request.tinyParcels, wanted)
    .sort((a, b) => a - b);
  const cellCentre = (cell: number): [number, number] => [
    region[0] + ((cell % cellsAcross) + 0.5) * cellSize,
    region[1] + (Math.floor(cell / cellsAcross) + 0.5) * cellSize,
  ];
  const room = cellSize / 2 - CELL_MARGIN_METRES;
  const digits = Math.max(4, String(parcelCells.length).length);
  const cellFeature = new Int32Array(cellsAcross * cellsDown).fill(-1);

  const parcels = parcelCells.map((cell, index): SyntheticParcel => {
    const [cx, cy] = cellCentre(cell);
    const tiny = tinyCells.has(cell);
    const drawn = tiny
      ? {
          ring: rotatedRectangle(
            cx,
            cy,
            random.range(...TINY_WIDTH_METRES),
            random.range(...TINY_LENGTH_METRES),
            random.range(0, Math.PI),
          ),
          shape: 'tiny' as const,
        }
      : parcelRing(random, cx, cy, room);
    const { lonLat, polygon } = canonical(drawn.ring);
    const crop = cropForShare(random.next());
    const number = String(index + 1).padStart(digits, '0');
    cellFeature[cell] = index;
    return {
      index,
      id: `P${number}`,
      name: `Field ${number} (${crop.replace('_', ' ')})`,
      crop,
      shape: drawn.shape,
      polygon,
      lonLat,
      areaHa: ringArea(polygon.ring) / 10_000,
      tiles: coverages.filter((c) => bboxContains(c.bbox, polygon.bbox)).map((c) => c.tile),
      phenology: { crop, shiftDays: random.range(-8, 8), vigour: random.range(0.9, 1.05) },
    };
  });
  const lakes = lakeCells.map((cell, i) => {
    cellFeature[cell] = parcels.length + i;
    const [cx, cy] = cellCentre(cell);
    return convexPolygon(lakeRing(random, cx, cy, room));
  });
  return {
    parcels,
    lakes,
    features: [...parcels.map((p) => p.polygon), ...lakes],
    cellSize,
    cellsAcross,
    cellsDown,
    originX: region[0],
    originY: region[1],
    cellFeature,
  };
}

/** The feature (parcel or lake index) whose surface holds (x, y), or −1 for bare background. */
export function featureAt(layout: SurfaceLayout, x: number, y: number): number {
  const col = Math.floor((x - layout.originX) / layout.cellSize);
  const row = Math.floor((y - layout.originY) / layout.cellSize);
  if (col < 0 || row < 0 || col >= layout.cellsAcross || row >= layout.cellsDown) return -1;
  const feature = layout.cellFeature[row * layout.cellsAcross + col];
  return feature >= 0 && insideBy(layout.features[feature], x, y, 0) ? feature : -1;
}

/** Features whose bounding box meets `bbox`. */
export function featuresIn(layout: SurfaceLayout, bbox: BBox): number[] {
  const { cellSize, originX, originY, cellsAcross, cellsDown } = layout;
  const c0 = Math.max(0, Math.floor((bbox[0] - originX) / cellSize));
  const c1 = Math.min(cellsAcross - 1, Math.floor((bbox[2] - originX) / cellSize));
  const r0 = Math.max(0, Math.floor((bbox[1] - originY) / cellSize));
  const r1 = Math.min(cellsDown - 1, Math.floor((bbox[3] - originY) / cellSize));
  const found: number[] = [];
  for (let row = r0; row <= r1; row++) {
    for (let col = c0; col <= c1; col++) {
      const feature = layout.cellFeature[row * cellsAcross + col];
      if (feature >= 0 && bboxesMeet(layout.features[feature].bbox, bbox)) found.push(feature);
    }
  }
  return found;
}
