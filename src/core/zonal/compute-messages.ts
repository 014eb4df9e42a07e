import type { TileLayout } from '../raster/cog-types';
import type { StatisticsInputs } from './parcel-statistics';
import type { BandOnGrid } from './pixel-kernel';

/** Plain-data messages between the scene computation and its worker threads. */

/** A band's placement on the reference grid plus the compressed tiles of one work unit. */
export interface BandTiles extends Omit<BandOnGrid, 'tiles'> {
  tiles: Array<{ index: number; bytes: Uint8Array; layout: TileLayout }>;
}

export interface UnitMessage {
  kind: 'unit';
  blockSize: number;
  blocks: Array<{ bx: number; by: number; pixel: Uint32Array; slot: Uint32Array }>;
  bands: BandTiles[];
  scl: BandTiles;
  checkBand: number;
  validScl: Uint8Array;
  scale: number;
  offset: number;
  /** Index names (resolved from the registry in the thread) and the band positions of their arguments. */
  indices: Array<{ name: string; args: [number, number, number] }>;
  classes: Uint8Array[];
  values: Float32Array[];
}

export interface UnitReply {
  kind: 'unit-done';
  /** DN histogram of the check band over clear land pixels of this unit. */
  histogram: Uint32Array;
}

export interface StatisticsMessage {
  kind: 'stats';
  inputs: StatisticsInputs;
  from: number;
  to: number;
}

export type ComputeMessage = UnitMessage | StatisticsMessage;
