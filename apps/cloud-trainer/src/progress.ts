/** Figures shown beside a progress step, e.g. `{ loss: 0.31, acc: 0.92 }`. */
export type ProgressInfo = Record<string, number | string>;

/** One phase of long work: epochs, k-means restarts, files read. */
export interface ProgressPhase {
  /** advances by `n` steps (default 1) and shows `info` */
  tick(info?: ProgressInfo, n?: number): void;
  /** marks the phase finished */
  done(info?: ProgressInfo): void;
}

/** Where training code reports progress; the CLI draws bars, the service updates its job. */
export interface ProgressReporter {
  phase(label: string, total: number): ProgressPhase;
}

/** Reports nothing. */
export const silentProgress: ProgressReporter = {
  phase: () => ({ tick: () => undefined, done: () => undefined }),
};

/** The subset of a stream the bar writes to. */
export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  /** where bars go; default `process.stderr` (stdout stays free for results) */
  stream?: ProgressStream;
  /** force TTY (redrawn bar) or plain (one line per update) mode; default from `stream.isTTY` */
  tty?: boolean;
  /** bar width in characters; default 24 */
  width?: number;
  /** ms between plain-mode lines for fast phases (the last step always prints); default 1000 */
  plainIntervalMs?: number;
  /** clock, ms; default `Date.now` */
  now?: () => number;
}

const fmtValue = (v: number | string): string =>
  typeof v === 'string' ? v : Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);

function fmtInfo(info: ProgressInfo | undefined): string {
  if (!info) return '';
  return Object.entries(info)
    .map(([k, v]) => `${k}=${fmtValue(v)}`)
    .join(' ');
}

/**
 * A progress bar for the terminal. On a TTY it redraws one line (`\r`); otherwise (CI logs,
 * pipes) it prints plain lines — every step of a slow phase (epochs), at most one a second for a fast one.
 */
export class TerminalProgress implements ProgressReporter {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #width: number;
  readonly #interval: number;
  readonly #now: () => number;

  constructor(options: ProgressBarOptions = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#tty = options.tty ?? this.#stream.isTTY === true;
    this.#width = options.width ?? 24;
    this.#interval = options.plainIntervalMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  phase(label: string, total: number): ProgressPhase {
    let current = 0;
    let lastPlain = -Infinity;
    const started = this.#now();
    const line = (info?: ProgressInfo): string => {
      const frac = total > 0 ? Math.min(1, current / total) : 1;
      const filled = Math.round(frac * this.#width);
      const bar = '#'.repeat(filled) + '-'.repeat(this.#width - filled);
      const secs = ((this.#now() - started) / 1000).toFixed(1);
      return `${label} [${bar}] ${current}/${total} ${fmtInfo(info)} ${secs}s`.replace(/ +/g, ' ').trimEnd();
    };
    const draw = (info: ProgressInfo | undefined, final: boolean) => {
      if (this.#tty) {
        this.#stream.write(`\r\x1b[2K${line(info)}${final ? '\n' : ''}`);
        return;
      }
      const t = this.#now();
      if (final || current >= total || t - lastPlain >= this.#interval) {
        lastPlain = t;
        this.#stream.write(`${line(info)}\n`);
      }
    };
    let finished = false;
    return {
      tick: (info, n = 1) => {
        current += n;
        draw(info, false);
      },
      done: (info) => {
        if (finished) return;
        finished = true;
        if (this.#tty || current < total || info) draw(info, true);
      },
    };
  }
}
