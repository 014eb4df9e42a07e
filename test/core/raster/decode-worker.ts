// Worker entry for tile-decode.test.ts: decodes the tile it receives and posts the pixels back.
// Imports the reader's public entry, as a compute worker would, to prove it loads in a worker.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeTile, type TileLayout } from '../../../src/core/raster/cog-reader';

const { compressed, layout } = workerData as { compressed: Uint8Array; layout: TileLayout };
parentPort?.postMessage(decodeTile(compressed, layout));
