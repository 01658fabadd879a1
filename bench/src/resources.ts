/**
 * What a benchmark started (servers, processes, browsers, temp folders), closed in reverse order
 * when it is done — also when it failed half-way, so `npm run bench` never leaves anything running.
 */
export class Resources {
  readonly #closers: { what: string; close: () => unknown }[] = [];

  /** Registers `close` for `value` (already started) and returns `value`. */
  add<T>(what: string, value: T, close: (v: T) => unknown): T {
    this.#closers.push({ what, close: () => close(value) });
    return value;
  }

  /**
   * Closes everything registered, last first, each awaited. A close that fails is reported on
   * stderr and the rest still close; it never throws, so it cannot hide the benchmark's own error.
   */
  async closeAll(): Promise<void> {
    for (let c = this.#closers.pop(); c; c = this.#closers.pop()) {
      try {
        await c.close();
      } catch (err) {
        process.stderr.write(`bench: closing ${c.what} failed: ${(err as Error).message}\n`);
      }
    }
  }
}
