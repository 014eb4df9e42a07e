import { existsSync } from 'node:fs';
import os from 'node:os';
import { type TransferListItem, Worker } from 'node:worker_threads';
import { BadDataError, BadInputError, TransientError } from './errors';

/**
 * A small pool of long-lived worker threads running one module; each thread handles one task at a
 * time, the rest wait in a queue. Threads are unref'd: an idle pool never keeps a process alive.
 */
export class ThreadPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Array<{
    message: unknown;
    transfer: TransferListItem[];
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }> = [];
  private closed = false;

  constructor(
    readonly modulePath: string,
    readonly size: number = defaultThreadCount(),
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`thread pool size must be a positive integer, got ${size}`);
  }

  /** Posts `message` to a free thread and resolves with its reply (a thread posting `{ error }` rejects). */
  run<T>(message: unknown, transfer: TransferListItem[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new Error('thread pool is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ message, transfer, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.all.map((worker) => worker.terminate()));
    this.all.length = 0;
    this.idle.length = 0;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.all.length < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const task = this.queue.shift()!;
      const settle = (fn: () => void) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.unref();
        if (!this.closed) this.idle.push(worker);
        fn();
        this.dispatch();
      };
      const onMessage = (reply: { error?: { message: string; name: string; code?: string } }) => {
        settle(() => {
          if (reply && typeof reply === 'object' && reply.error) task.reject(revive(reply.error));
          else task.resolve(reply);
        });
      };
      const onError = (error: unknown) => {
        // A crashed thread is replaced rather than reused.
        this.all.splice(this.all.indexOf(worker), 1);
        worker.off('message', onMessage);
        task.reject(error);
        this.dispatch();
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.ref();
      worker.postMessage(task.message, task.transfer);
    }
  }

  private spawn(): Worker {
    // A TypeScript module (development, tests) is loaded through tsx's require hook, whatever loader
    // the parent process used; a compiled `.js` module loads as is.
    // An (empty) workerData tells geotiff's web-worker shim that this thread is not one of its own.
    const workerData = {};
    const worker = this.modulePath.endsWith('.ts')
      ? new Worker(
          `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(this.modulePath)});`,
          { eval: true, workerData },
        )
      : new Worker(this.modulePath, { workerData });
    worker.unref();
    this.all.push(worker);
    return worker;
  }
}

/** Both cores on this machine; never fewer than one thread. */
export function defaultThreadCount(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/** The compiled `.js` beside this file, else the TypeScript source (development, tests). */
export function threadModule(dir: string, name: string): string {
  const js = `${dir}/${name}.js`;
  return existsSync(js) ? js : `${dir}/${name}.ts`;
}

/** Errors cross threads as plain objects; this gives the engine's typed errors back their class. */
function revive(error: { message: string; name: string; code?: string }): Error {
  const code = error.code ?? 'THREAD_ERROR';
  switch (error.name) {
    case 'BadDataError':
      return new BadDataError(error.message, { code });
    case 'BadInputError':
      return new BadInputError(error.message, { code });
    case 'TransientError':
      return new TransientError(error.message, { code });
    default: {
      const revived = new Error(error.message);
      revived.name = error.name;
      return revived;
    }
  }
}

/** What a thread posts back when its task throws. */
export function serialiseError(error: unknown): {
  error: { message: string; name: string; code?: string };
} {
  const e = error instanceof Error ? error : new Error(String(error));
  return { error: { message: e.message, name: e.name, code: (e as { code?: string }).code } };
}
