import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SerialQueue, type Logger } from '@takt/runtime';
import type { ServiceState } from './records.js';

/**
 * The service's job and rollout history as one JSON file, rewritten atomically (temp file +
 * rename) after every change; saves are serialised so an older state never overwrites a newer one.
 */
export class ServiceStateFile {
  readonly #file: string;
  readonly #logger: Logger;
  readonly #saves = new SerialQueue();

  constructor(file: string, logger: Logger) {
    this.#file = file;
    this.#logger = logger;
  }

  get path(): string {
    return this.#file;
  }

  /** The saved state; empty when the file does not exist. A corrupt file is kept aside and logged. */
  async load(): Promise<ServiceState> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { jobs: [], rollouts: [] };
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as Partial<ServiceState>;
      return {
        jobs: Array.isArray(parsed.jobs) ? parsed.jobs : [],
        rollouts: Array.isArray(parsed.rollouts) ? parsed.rollouts : [],
      };
    } catch (err) {
      const aside = `${this.#file}.corrupt-${Date.now()}`;
      await rename(this.#file, aside);
      this.#logger.error(
        { file: this.#file, aside, err: (err as Error).message },
        'service state file is not valid JSON; starting with an empty history',
      );
      return { jobs: [], rollouts: [] };
    }
  }

  /** Queues a save of `snapshot()` taken when the save runs (so the newest state wins). */
  save(snapshot: () => ServiceState): Promise<void> {
    return this.#saves.run(async () => {
      try {
        const tmp = `${this.#file}.tmp`;
        await mkdir(dirname(this.#file), { recursive: true });
        await writeFile(tmp, `${JSON.stringify(snapshot())}\n`);
        await rename(tmp, this.#file);
      } catch (err) {
        this.#logger.error({ err: (err as Error).message, file: this.#file }, 'cannot save service state');
      }
    });
  }

  /** Resolves once every queued save has finished. */
  flush(): Promise<void> {
    return this.#saves.idle();
  }
}
