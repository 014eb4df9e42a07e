import type { BBox, Position } from '../../src/core/geo/types';
import { Scl } from './bands';
import type { Random } from './random';

/**
 * What the sky and the orbit do to one acquisition, in world coordinates so that both tiles of a
 * datatake see the same clouds: elliptic cloud blobs (core SCL 9, rim SCL 8, or thin cirrus 10),
 * their shadows displaced away from the sun (SCL 3), an optional no-data wedge beyond the orbit's
 * swath edge, or a scene entirely clouded or entirely without data. Everything is evaluated at the
 * centre of a 20 m cell, so the 10 m bands inherit the SCL's decisions pixel for pixel.
 */
export interface CloudBlob {
  cx: number;
  cy: number;
  /** Semi-axes in metres and rotation. */
  a: number;
  b: number;
  cos: number;
  sin: number;
  bbox: BBox;
  cirrus: boolean;
}

export interface AtmosphereOptions {
  /** Share of the region covered by cloud (SCL 8, 9, 10). */
  cloudFraction: number;
  /** Whether clouds cast shadows. */
  shadows: boolean;
  /** Share of the region's width, on the east side, beyond the swath edge (no data). */
  nodataWedge: number;
  fullyClouded: boolean;
  noData: boolean;
}

export interface Atmosphere {
  options: AtmosphereOptions;
  clouds: CloudBlob[];
  /** Shadow = a cloud moved by this vector (metres). */
  shadowOffset: [number, number];
  /** Swath edge: (x, y) has no data when sx·x + sy·y > edge. */
  swath: { sx: number; sy: number; edge: number } | null;
}

/** Class of a cell where nothing in the atmosphere interferes: the surface shows. */
export const CLEAR = 255;
/** Cloud core within this share of the radius is high probability, the rim medium. */
const CLOUD_CORE = 0.6;
/** One blob in this many is thin cirrus. */
const CIRRUS_EVERY = 5;
/** Shadows fall north-west of the clouds (morning sun from the south-east), this far per km of blob. */
const SHADOW_SHIFT: [number, number] = [-0.45, 0.3];
/** The swath edge runs about 12° off north, as Sentinel-2's ground track does here. */
const SWATH_TILT = (12 * Math.PI) / 180;
/** Points on a side of the region's grid used to measure cloud cover while placing blobs. */
const COVER_SAMPLES = 96;
/** Blobs drawn at most, a guard for unreachable fractions. */
const MAX_BLOB_ATTEMPTS = 5000;
/** In a fully clouded scene blobs only vary the cloud class; the rest is medium-probability cloud. */
const FULLY_CLOUDED_BLOB_COVER = 0.3;

// Local copies: module imports are property getters under tsx, and this runs per cell.
const THIN_CIRRUS: number = Scl.THIN_CIRRUS;
const CLOUD_HIGH: number = Scl.CLOUD_HIGH;
const CLOUD_MEDIUM: number = Scl.CLOUD_MEDIUM;

function blobClass(blob: CloudBlob, x: number, y: number): number {
  const dx = x - blob.cx;
  const dy = y - blob.cy;
  const u = (dx * blob.cos + dy * blob.sin) / blob.a;
  const v = (-dx * blob.sin + dy * blob.cos) / blob.b;
  const r2 = u * u + v * v;
  if (r2 >= 1) return CLEAR;
  if (blob.cirrus) return THIN_CIRRUS;
  return r2 < CLOUD_CORE * CLOUD_CORE ? CLOUD_HIGH : CLOUD_MEDIUM;
}

function makeBlob(random: Random, region: BBox, index: number): CloudBlob {
  const side = Math.sqrt((region[2] - region[0]) * (region[3] - region[1]));
  const a = random.range(0.03, 0.12) * side;
  const b = a * random.range(0.45, 1);
  const angle = random.range(0, Math.PI);
  const cx = random.range(region[0] - a / 2, region[2] + a / 2);
  const cy = random.range(region[1] - a / 2, region[3] + a / 2);
  return {
    cx,
    cy,
    a,
    b,
    cos: Math.cos(angle),
    sin: Math.sin(angle),
    bbox: [cx - a, cy - a, cx + a, cy + a],
    cirrus: index % CIRRUS_EVERY === CIRRUS_EVERY - 1,
  };
}

/** Cloud class at (x, y): the last blob holding the point decides, as in rendering order. */
function cloudAt(clouds: readonly CloudBlob[], x: number, y: number): number {
  let found = CLEAR;
  for (const blob of clouds) {
    if (x < blob.bbox[0] || x > blob.bbox[2] || y < blob.bbox[1] || y > blob.bbox[3]) continue;
    const cls = blobClass(blob, x, y);
    if (cls !== CLEAR) found = cls;
  }
  return found;
}

/** Places blobs until the measured share of the region under cloud reaches the target. */
export function planAtmosphere(
  random: Random,
  region: BBox,
  options: AtmosphereOptions,
): Atmosphere {
  const clouds: CloudBlob[] = [];
  const samples: Position[] = [];
  for (let j = 0; j < COVER_SAMPLES; j++) {
    for (let i = 0; i < COVER_SAMPLES; i++) {
      samples.push([
        region[0] + ((i + 0.5) / COVER_SAMPLES) * (region[2] - region[0]),
        region[1] + ((j + 0.5) / COVER_SAMPLES) * (region[3] - region[1]),
      ]);
    }
  }
  const covered = new Uint8Array(samples.length);
  let coveredCount = 0;
  const targetCount =
    (options.fullyClouded ? FULLY_CLOUDED_BLOB_COVER : options.cloudFraction) * samples.length;
  for (let attempt = 0; coveredCount < targetCount && attempt < MAX_BLOB_ATTEMPTS; attempt++) {
    const blob = makeBlob(random, region, clouds.length);
    const newly: number[] = [];
    samples.forEach(([x, y], k) => {
      if (!covered[k] && blobClass(blob, x, y) !== CLEAR) newly.push(k);
    });
    // A blob that would overshoot the target by more than it is missing is drawn again (smaller
    // or elsewhere), so small fractions are met too; late attempts accept anything.
    const overshoot = coveredCount + newly.length - targetCount;
    if (overshoot > targetCount - coveredCount && attempt < MAX_BLOB_ATTEMPTS / 2) continue;
    clouds.push(blob);
    for (const k of newly) covered[k] = 1;
    coveredCount += newly.length;
  }
  const width = region[2] - region[0];
  const swath =
    options.nodataWedge > 0
      ? {
          sx: Math.cos(SWATH_TILT),
          sy: Math.sin(SWATH_TILT),
          edge:
            Math.cos(SWATH_TILT) * (region[2] - options.nodataWedge * width) +
            Math.sin(SWATH_TILT) * ((region[1] + region[3]) / 2),
        }
      : null;
  const meanRadius = clouds.length ? clouds.reduce((s, c) => s + c.a, 0) / clouds.length : 0;
  return {
    options,
    clouds,
    shadowOffset: [SHADOW_SHIFT[0] * meanRadius, SHADOW_SHIFT[1] * meanRadius],
    swath,
  };
}

/** True when (x, y) lies beyond the swath edge or the scene has no data at all. */
export function outsideSwath(atmosphere: Atmosphere, x: number, y: number): boolean {
  if (atmosphere.options.noData) return true;
  const { swath } = atmosphere;
  return swath !== null && swath.sx * x + swath.sy * y > swath.edge;
}

/**
 * The atmosphere's class at a cell centre: Scl.NO_DATA, a cloud class, Scl.CLOUD_SHADOW, or
 * CLEAR when the surface shows.
 */
export function atmosphereAt(atmosphere: Atmosphere, x: number, y: number): number {
  if (outsideSwath(atmosphere, x, y)) return Scl.NO_DATA;
  const cloud = cloudAt(atmosphere.clouds, x, y);
  if (cloud !== CLEAR) return cloud;
  if (atmosphere.options.fullyClouded) return Scl.CLOUD_MEDIUM;
  if (atmosphere.options.shadows) {
    const [dx, dy] = atmosphere.shadowOffset;
    if (cloudAt(atmosphere.clouds, x - dx, y - dy) !== CLEAR) return Scl.CLOUD_SHADOW;
  }
  return CLEAR;
}

/**
 * The classes of a block of 20 m cells, cell (i, j) centred at world lattice cell (cx0 + i,
 * cyTop − j): the same answer as `atmosphereAt` for every cell, computed blob by blob rather than
 * cell by cell (shadows first, then clouds in order, then the swath edge), so the cost follows
 * the cloud area, not the tile area.
 */
export function atmosphereWindow(
  atmosphere: Atmosphere,
  cx0: number,
  cyTop: number,
  cellsAcross: number,
  cellsDown: number,
  cellMetres: number,
): Uint8Array {
  const { options, clouds } = atmosphere;
  const noData = Scl.NO_DATA;
  const clear = CLEAR;
  const cells = new Uint8Array(cellsAcross * cellsDown).fill(
    options.fullyClouded ? Scl.CLOUD_MEDIUM : clear,
  );
  const centreX = (i: number) => (cx0 + i + 0.5) * cellMetres;
  const centreY = (j: number) => (cyTop - j + 0.5) * cellMetres;
  /** Paints the blob's class (or `fixed`, unless CLEAR) on cells whose centre moved by (−dx, −dy) falls in it. */
  const paint = (blob: CloudBlob, dx: number, dy: number, fixed: number) => {
    const [bx0, by0, bx1, by1] = blob.bbox;
    const i0 = Math.max(0, Math.floor((bx0 + dx) / cellMetres - 0.5) - cx0);
    const i1 = Math.min(cellsAcross - 1, Math.ceil((bx1 + dx) / cellMetres - 0.5) - cx0);
    const j0 = Math.max(0, cyTop - Math.ceil((by1 + dy) / cellMetres - 0.5));
    const j1 = Math.min(cellsDown - 1, cyTop - Math.floor((by0 + dy) / cellMetres - 0.5));
    for (let j = j0; j <= j1; j++) {
      const y = centreY(j) - dy;
      if (y < by0 || y > by1) continue;
      for (let i = i0; i <= i1; i++) {
        const x = centreX(i) - dx;
        if (x < bx0 || x > bx1) continue;
        const cls = blobClass(blob, x, y);
        if (cls !== clear) cells[j * cellsAcross + i] = fixed === clear ? cls : fixed;
      }
    }
  };
  if (options.shadows && !options.fullyClouded) {
    const [dx, dy] = atmosphere.shadowOffset;
    const shadow = Scl.CLOUD_SHADOW;
    for (const blob of clouds) paint(blob, dx, dy, shadow);
  }
  for (const blob of clouds) paint(blob, 0, 0, clear);
  if (options.noData) cells.fill(noData);
  else if (atmosphere.swath) {
    const { sx, sy, edge } = atmosphere.swath;
    for (let j = 0; j < cellsDown; j++) {
      const y = centreY(j);
      for (let i = 0; i < cellsAcross; i++) {
        if (sx * centreX(i) + sy * y > edge) cells[j * cellsAcross + i] = noData;
      }
    }
  }
  return cells;
}

/** Blobs (or shadows) that could reach `bbox`: a cheap pre-filter for one tile or parcel. */
export function atmosphereFor(atmosphere: Atmosphere, bbox: BBox): Atmosphere {
  const [dx, dy] = atmosphere.shadowOffset;
  const reach = (blob: CloudBlob) =>
    (blob.bbox[0] <= bbox[2] &&
      blob.bbox[2] >= bbox[0] &&
      blob.bbox[1] <= bbox[3] &&
      blob.bbox[3] >= bbox[1]) ||
    (blob.bbox[0] + dx <= bbox[2] &&
      blob.bbox[2] + dx >= bbox[0] &&
      blob.bbox[1] + dy <= bbox[3] &&
      blob.bbox[3] + dy >= bbox[1]);
  return { ...atmosphere, clouds: atmosphere.clouds.filter(reach) };
}
