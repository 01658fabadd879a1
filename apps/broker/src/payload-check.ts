import { ContractError, decodePublish } from '@takt/contracts';

/** The contract's topic root; publishes under it are validated. */
const VALIDATED_PREFIX = 'takt/v1/';

/** Result of checking one publish: `undefined` when it may pass, else the error that refuses it. */
export function checkPayload(topic: string, payload: Buffer): ContractError | undefined {
  if (!topic.startsWith(VALIDATED_PREFIX)) return undefined;
  try {
    decodePublish(topic, payload);
    return undefined;
  } catch (err) {
    return err instanceof ContractError ? err : new ContractError('INVALID_FIELD', (err as Error).message);
  }
}

/** Options of the invalid-payload flood guard. */
export interface FloodGuardOptions {
  /** invalid publishes allowed within `windowMs`; the next one disconnects; default 20 */
  maxInvalid?: number;
  /** ms window; default 60_000 */
  windowMs?: number;
  now?: () => number;
}

/** Counts one client's invalid publishes in a fixed window; `record()` says when it is over the limit. */
export class InvalidPayloadGuard {
  #windowStart = 0;
  #count = 0;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: FloodGuardOptions = {}) {
    this.#max = options.maxInvalid ?? 20;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Records one invalid publish; true when the client has now gone over the limit. */
  record(): boolean {
    const now = this.#now();
    if (now - this.#windowStart > this.#windowMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    this.#count += 1;
    return this.#count > this.#max;
  }
}
