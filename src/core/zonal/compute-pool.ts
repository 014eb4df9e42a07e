import { ThreadPool, threadModule } from '../thread-pool';

let shared: ThreadPool | undefined;

/** The process-wide pool of compute threads (one per core), created on first use. */
export function computeThreadPool(): ThreadPool {
  shared ??= new ThreadPool(threadModule(__dirname, 'compute-thread'));
  return shared;
}

let masking: ThreadPool | undefined;

/** The process-wide pool of masking threads (one per core), created on first use. */
export function maskThreadPool(): ThreadPool {
  masking ??= new ThreadPool(threadModule(`${__dirname}/../raster`, 'mask-thread'));
  return masking;
}
