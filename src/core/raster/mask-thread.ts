/**
 * Worker-thread entry of masking: opens the raw rasters from bytes, runs maskScene, and hands the
 * clean COGs back without copying — so decoding, resampling and encoding a group's window never
 * block the Temporal worker's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { serialiseError } from '../thread-pool';
import { openCog } from './cog-reader';
import { type MaskInBytes, maskSceneBytes } from './mask-bytes';

parentPort?.on('message', (message: MaskInBytes) => {
  maskSceneBytes(message, openCog).then(
    (reply) => {
      const transfer = [...Object.values(reply.bands), reply.scl].map(
        (b) => b!.buffer as ArrayBuffer,
      );
      parentPort!.postMessage(reply, [...new Set(transfer)]);
    },
    (error) => parentPort!.postMessage(serialiseError(error)),
  );
});
