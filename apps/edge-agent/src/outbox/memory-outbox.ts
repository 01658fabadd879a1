import { OutboxCore } from './outbox-core.js';
import type { OutboxEntry, OutboxLimits } from './outbox.js';

/** An outbox in memory: for tests and for boxes that may lose their queue on restart. */
export class MemoryOutbox extends OutboxCore {
  constructor(limits: OutboxLimits = {}) {
    super(limits, { counters: [], nextId: 1, shed: 0, entries: [] });
  }

  protected persistEntry(_entry: OutboxEntry): Promise<boolean> {
    return Promise.resolve(true); // as durable as this outbox gets
  }

  protected persistRemoval(): void {
    // nothing to make durable: a memory outbox forgets an entry the moment it leaves the queue
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
