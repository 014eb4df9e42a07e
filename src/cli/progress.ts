import { SingleBar } from 'cli-progress';

/**
 * Progress of a long command on standard error: a redrawn bar (cli-progress) when stderr is a
 * terminal, otherwise a plain line when the phase changes and at most every few seconds, so logs
 * of CI jobs and pipes stay readable. Standard output is left to the command's result.
 */

/** Seconds between two plain progress lines within one phase. */
const PLAIN_INTERVAL_MS = 5_000;
const BAR_WIDTH = 30;

export interface ProgressState {
  /** What is happening now: `reading`, `writing`, … */
  phase: string;
  done: number;
  /** 0 when unknown: no bar, no percentage. */
  total: number;
  unit: 'bytes' | 'items';
  /** Extra words after the figures, e.g. `412 000 features`. */
  detail?: string;
}

export interface Progress {
  update(state: ProgressState): void;
  /** Ends the bar (the last state stays on screen) or prints the last plain line. */
  stop(): void;
}

export interface ProgressOptions {
  title: string;
  stream?: NodeJS.WriteStream;
  /** False: report nothing (e.g. `--json` scripts that want a quiet stderr). @default true */
  enabled?: boolean;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.enabled === false) return { update: () => undefined, stop: () => undefined };
  return stream.isTTY ? barProgress(options.title, stream) : plainProgress(options.title, stream);
}

/** `reading 41 % 52.3 MB of 128 MB, 412 000 features` */
export function describeProgress(state: ProgressState): string {
  const amount = (n: number) => (state.unit === 'bytes' ? megabytes(n) : n.toLocaleString('en'));
  const parts = [state.phase];
  if (state.total > 0) {
    parts.push(`${Math.floor((100 * state.done) / state.total)} %`);
    parts.push(`${amount(state.done)} of ${amount(state.total)}`);
  } else if (state.done > 0) {
    parts.push(amount(state.done));
  }
  const line = parts.join(' ');
  return state.detail
    ? `${line}${state.total > 0 || state.done > 0 ? ',' : ''} ${state.detail}`
    : line;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

function barProgress(title: string, stream: NodeJS.WriteStream): Progress {
  let current: ProgressState | undefined;
  const bar = new SingleBar({
    stream,
    hideCursor: true,
    fps: 5,
    format: (_options, params) => {
      const filled = Math.round(Math.min(1, params.progress) * BAR_WIDTH);
      const gauge =
        current && current.total > 0
          ? `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] `
          : '';
      return `${title} ${gauge}${current ? describeProgress(current) : ''}`;
    },
  });
  let started = false;
  return {
    update(state) {
      current = state;
      const total = Math.max(state.total, 1);
      if (!started) {
        bar.start(total, state.done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(state.done);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function plainProgress(title: string, stream: NodeJS.WriteStream): Progress {
  let last: ProgressState | undefined;
  let printed: ProgressState | undefined;
  let printedAt = 0;
  const print = (state: ProgressState) => {
    stream.write(`${title}: ${describeProgress(state)}\n`);
    printed = state;
    printedAt = Date.now();
  };
  return {
    update(state) {
      last = state;
      if (printed?.phase !== state.phase || Date.now() - printedAt >= PLAIN_INTERVAL_MS)
        print(state);
    },
    stop() {
      if (last && last !== printed) print(last);
    },
  };
}
