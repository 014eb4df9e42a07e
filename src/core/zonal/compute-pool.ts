import { ThreadPool, threadModule } from '../thread-pool';

let shared: ThreadPool | undefined;

/** The process-wide pool of compute threads (one per core), created on first use. */
export function computeThreadPool(): ThreadPool {
  shared ??= new ThreadPool(threadModule(__dirname, 'compute-thread'));
  return shared;
}
