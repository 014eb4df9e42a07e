import { resolveIndices } from '../indices/registry';
import type { CogPixels } from '../raster/cog-types';
import { decodeTile } from '../raster/tile-decode';
import type { BandTiles, ComputeMessage, UnitMessage, UnitReply } from './compute-messages';
import { computeParcelStatistics } from './parcel-statistics';
import { type BandOnGrid, type KernelSetup, processBlock } from './pixel-kernel';

/** DN histogram size: every uint16 value. */
const HISTOGRAM_SIZE = 65536;

/** Runs one message of the scene computation; the same code in a worker thread or in-thread. */
export function runComputeTask(message: ComputeMessage): UnitReply | { kind: 'stats-done' } {
  if (message.kind === 'stats') {
    computeParcelStatistics(message.inputs, message.from, message.to);
    return { kind: 'stats-done' };
  }
  return runUnit(message);
}

function decodeBand(band: BandTiles): BandOnGrid {
  const tiles = new Map<number, CogPixels>();
  for (const tile of band.tiles) tiles.set(tile.index, decodeTile(tile.bytes, tile.layout));
  return { ...band, tiles };
}

function runUnit(message: UnitMessage): UnitReply {
  const definitions = resolveIndices(message.indices.map((i) => i.name));
  const setup: KernelSetup = {
    bands: message.bands.map(decodeBand),
    scl: decodeBand(message.scl),
    checkBand: message.checkBand,
    validScl: message.validScl,
    scale: message.scale,
    offset: message.offset,
    indices: message.indices.map((index, i) => ({
      args: index.args,
      formula: definitions[i]!.formula,
      min: definitions[i]!.validRange[0],
      max: definitions[i]!.validRange[1],
    })),
  };
  const histogram = new Uint32Array(HISTOGRAM_SIZE);
  const outputs = { classes: message.classes, values: message.values, checkHistogram: histogram };
  for (const block of message.blocks) processBlock(setup, block, message.blockSize, outputs);
  return { kind: 'unit-done', histogram };
}
