/**
 * A bound on password hashes (scrypt) checked at once. Each check holds a slot; when none is free the
 * sign-in is answered at once instead of queueing, so a burst of sign-ins cannot tie up the thread pool
 * (and every other request that needs it) for seconds.
 */
export class HashSlots {
  #busy = 0;

  constructor(private readonly max: number) {}

  get busy(): number {
    return this.#busy;
  }

  /** A release function when a slot was free; `undefined` when all are taken. */
  tryAcquire(): (() => void) | undefined {
    if (this.#busy >= this.max) return undefined;
    this.#busy++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#busy--;
    };
  }
}
