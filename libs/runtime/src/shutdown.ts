import type { Logger } from 'pino';

export type ShutdownHook = () => Promise<void> | void;

export interface ShutdownOptions {
  /** ms to wait for hooks before forcing exit; default 10_000 */
  timeoutMs?: number;
  /** signals that start a shutdown; default SIGINT and SIGTERM */
  signals?: NodeJS.Signals[];
  /** called instead of `process.exit` (tests) */
  exit?: (code: number) => void;
}

/**
 * Graceful shutdown: hooks run in reverse order of registration (last started, first stopped),
 * each awaited; a second signal or the timeout forces exit.
 */
export class GracefulShutdown {
  readonly #hooks: { name: string; hook: ShutdownHook }[] = [];
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #exit: (code: number) => void;
  #running: Promise<void> | undefined;

  constructor(logger: Logger, options: ShutdownOptions = {}) {
    this.#logger = logger;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#exit = options.exit ?? ((code) => process.exit(code));
    for (const signal of options.signals ?? ['SIGINT', 'SIGTERM']) {
      process.on(signal, () => {
        if (this.#running) {
          this.#logger.warn({ signal }, 'second signal, exiting now');
          this.#exit(1);
          return;
        }
        this.#logger.info({ signal }, 'shutting down');
        void this.run().then(() => this.#exit(0));
      });
    }
  }

  /** Registers a hook; returns a function that removes it. */
  add(name: string, hook: ShutdownHook): () => void {
    const entry = { name, hook };
    this.#hooks.push(entry);
    return () => {
      const i = this.#hooks.indexOf(entry);
      if (i >= 0) this.#hooks.splice(i, 1);
    };
  }

  /** Runs every hook once (idempotent); resolves when all are done or the timeout passed. */
  run(): Promise<void> {
    this.#running ??= this.#runHooks();
    return this.#running;
  }

  async #runHooks(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#logger.error({ timeoutMs: this.#timeoutMs }, 'shutdown hooks timed out');
        resolve();
      }, this.#timeoutMs);
      timer.unref();
    });
    const hooks = async () => {
      for (const { name, hook } of [...this.#hooks].reverse()) {
        try {
          await hook();
          this.#logger.debug({ hook: name }, 'stopped');
        } catch (err) {
          this.#logger.error({ hook: name, err }, 'shutdown hook failed');
        }
      }
    };
    await Promise.race([hooks(), timeout]);
    clearTimeout(timer);
  }
}
