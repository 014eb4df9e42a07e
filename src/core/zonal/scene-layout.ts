import type { Cog } from '../raster/cog-types';
import type { BandTiles } from './compute-messages';
import type { PreparedGrid, SharedBlock } from './parcel-set';

/**
 * How the bands of a scene sit on its reference (10 m) grid, and which of their internal tiles hold
 * the pixels of prepared parcels: what the engine reads, and what a clip must keep.
 */

export type Placement = Omit<BandTiles, 'tiles'>;

/** How a band's raster maps onto the reference grid: nearest neighbour through the pixel centre. */
export function placement(cog: Cog, reference: Cog): Placement {
  const band = cog.grid;
  const ref = reference.grid;
  return {
    scaleX: ref.pixelWidth / band.pixelWidth,
    offsetX: (ref.originX - band.originX) / band.pixelWidth,
    scaleY: ref.pixelHeight / band.pixelHeight,
    offsetY: (band.originY - ref.originY) / band.pixelHeight,
    width: cog.width,
    height: cog.height,
    tileWidth: cog.tileWidth,
    tileHeight: cog.tileHeight,
    tilesAcross: cog.tilesAcross,
    nodata: cog.nodata ?? 0,
  };
}

export interface WorkUnit {
  blocks: SharedBlock[];
  /** Per placement (the reflectance bands, then SCL): tile indices to read for these blocks. */
  tiles: Set<number>[];
}

/**
 * Groups blocks so each tile of every band is decoded once: a unit is the reference area of one
 * tile of the coarsest band (a 20 m tile spans 2 × 2 blocks of 10 m tiles on Earth Search).
 */
export function workUnits(prepared: PreparedGrid, places: Placement[]): WorkUnit[] {
  const coarse = places.reduce((best, p) =>
    p.tileWidth / p.scaleX > best.tileWidth / best.scaleX ? p : best,
  );
  const blockSize = prepared.map.blockSize;
  const units = new Map<number, WorkUnit>();
  for (const block of prepared.blocks) {
    const centreCol = block.bx * blockSize + blockSize / 2;
    const centreRow = block.by * blockSize + blockSize / 2;
    const key =
      Math.floor(
        Math.floor((centreRow + 0.5) * coarse.scaleY + coarse.offsetY) / coarse.tileHeight,
      ) *
        1_000_000 +
      Math.floor(Math.floor((centreCol + 0.5) * coarse.scaleX + coarse.offsetX) / coarse.tileWidth);
    let unit = units.get(key);
    if (!unit) {
      unit = { blocks: [], tiles: [] };
      units.set(key, unit);
    }
    unit.blocks.push(block);
  }
  const result = [...units.values()];
  for (const unit of result)
    unit.tiles = places.map((place) => tilesOf(unit.blocks, place, blockSize));
  return result;
}

/** Tiles of one band holding the blocks' pixels (through each block's pixel bounding box). */
export function tilesOf(blocks: SharedBlock[], place: Placement, blockSize: number): Set<number> {
  const tiles = new Set<number>();
  const tilesDown = Math.ceil(place.height / place.tileHeight);
  for (const block of blocks) {
    const col = (c: number) =>
      Math.floor((block.bx * blockSize + c + 0.5) * place.scaleX + place.offsetX);
    const row = (r: number) =>
      Math.floor((block.by * blockSize + r + 0.5) * place.scaleY + place.offsetY);
    const c0 = Math.max(0, col(block.minCol));
    const c1 = Math.min(place.width - 1, col(block.maxCol));
    const r0 = Math.max(0, row(block.minRow));
    const r1 = Math.min(place.height - 1, row(block.maxRow));
    if (c0 > c1 || r0 > r1) continue;
    for (
      let tr = Math.floor(r0 / place.tileHeight);
      tr <= Math.min(tilesDown - 1, Math.floor(r1 / place.tileHeight));
      tr++
    ) {
      for (
        let tc = Math.floor(c0 / place.tileWidth);
        tc <= Math.floor(c1 / place.tileWidth);
        tc++
      ) {
        tiles.add(tr * place.tilesAcross + tc);
      }
    }
  }
  return tiles;
}

/** The internal tiles of `cog` holding pixels of the prepared parcels (placed on `reference`'s grid). */
export function neededTiles(prepared: PreparedGrid, cog: Cog, reference: Cog): Set<number> {
  return tilesOf(prepared.blocks, placement(cog, reference), prepared.map.blockSize);
}
