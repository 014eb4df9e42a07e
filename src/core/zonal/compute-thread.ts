/** Worker-thread entry of the scene computation: decodes tiles and runs the pixel kernel off the main thread. */
import { parentPort } from 'node:worker_threads';
import { serialiseError } from '../thread-pool';
import type { ComputeMessage } from './compute-messages';
import { runComputeTask } from './compute-task';

parentPort?.on('message', (message: ComputeMessage) => {
  try {
    const reply = runComputeTask(message);
    parentPort!.postMessage(
      reply,
      'histogram' in reply ? [reply.histogram.buffer as ArrayBuffer] : [],
    );
  } catch (error) {
    parentPort!.postMessage(serialiseError(error));
  }
});
