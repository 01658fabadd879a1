/**
 * Runs tasks one after another in the order they were queued. A task that fails settles only its
 * own promise: the tasks queued after it still run (a `prev.then(next)` chain would skip them all).
 */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;

  /** Queues `task`; the returned promise settles with the task's own result or error. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.#queued++;
    const result = this.#tail.then(task);
    this.#tail = result.then(
      () => void this.#queued--,
      () => void this.#queued--,
    );
    return result;
  }

  /** Tasks queued and not yet settled. */
  get size(): number {
    return this.#queued;
  }

  /** Resolves once every task queued so far has settled (never rejects). */
  idle(): Promise<void> {
    return this.#tail;
  }
}

/** One {@link SerialQueue} per key (a device, a file): tasks of one key run in order, keys run side by side. */
export class KeyedSerialQueue<K> {
  readonly #queues = new Map<K, SerialQueue>();

  /** Queues `task` behind the other tasks of `key`; settles with the task's own result or error. */
  run<T>(key: K, task: () => T | Promise<T>): Promise<T> {
    let q = this.#queues.get(key);
    if (!q) this.#queues.set(key, (q = new SerialQueue()));
    const queue = q;
    const result = queue.run(task);
    void queue.idle().then(() => {
      if (queue.size === 0 && this.#queues.get(key) === queue) this.#queues.delete(key);
    });
    return result;
  }

  /** Keys with tasks queued or running. */
  get keys(): number {
    return this.#queues.size;
  }
}
