import type { Client } from 'aedes';
import type { StoredSubscription, SubscriptionPersistence } from './aedes-internals.js';

/** Whether `client` may hold a subscription to `filter` (the same check as `authorizeSubscribe`). */
export type MaySubscribe = (client: Client, filter: string) => boolean;

function settledOrAfter(p: Promise<void> | undefined, ms: number): Promise<void> {
  if (!p) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Runs tasks one after another per key; different keys run side by side. */
class PerKeyQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` once the previous task of `key` has settled, or `maxWaitMs` has passed: a stuck task must not stall its key for good. */
  run<T>(key: string, task: () => Promise<T>, maxWaitMs: number): Promise<T> {
    const result = settledOrAfter(this.#tails.get(key), maxWaitMs).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}

export interface GuardOptions {
  /** called once when storing a client's subscriptions has not finished after `slowMs` (the SUBACK waits on it) */
  onSlow?: (clientId: string, filters: string[], ms: number) => void;
  /** ms after which a store counts as slow, and after which the next store of the same client stops waiting for it; default 5_000 */
  slowMs?: number;
}

/**
 * Works around two defects of aedes 1.2 in storing a CleanSession=0 client's subscriptions.
 *
 * aedes' SUBSCRIBE handler (lib/handlers/subscribe.js, `storeSubscriptions`) runs once per filter of
 * the packet, in parallel, and each run calls `persistence.addSubscriptions(client, packet.subscriptions)`
 * with the packet's whole filter list (noted upstream in moscajs/aedes#458):
 *
 * 1. Hang with aedes-persistence-redis 12: each `addSubscriptions` publishes `$SYS/sub/add` and waits
 *    for its own broadcast to come back (aedes-persistence broadcastPersistence.js). The waiter is kept
 *    in a Map keyed by client id + the list's first filter, so for a packet with N filters the N calls
 *    share one key, each replaces the previous waiter, and the first broadcast back resolves only the
 *    last one: N-1 filters never finish and the SUBACK is never sent. Two SUBSCRIBE packets of one
 *    client handled together (aedes handles the packets of one socket read concurrently) with the same
 *    first filter hang the same way.
 * 2. ACL bypass (every persistence): filters the ACL refused (SUBACK 0x80) are stored with the rest,
 *    so QoS 1/2 messages on them are queued while the client is offline and handed to it when it
 *    reconnects.
 *
 * The guard wraps `persistence` in place: one store per SUBSCRIBE packet (the same promise for every
 * filter's call), holding only the filters `maySubscribe` allows, and stores/removals of one client id
 * run one at a time, so no two broadcasts of a client wait on the same key. A store that has not
 * finished after `slowMs` (its broadcast never came back) is reported through `onSlow` and no longer
 * holds up the client's next store: the client's SUBSCRIBE after a reconnect gets its own broadcast.
 */
export function guardSubscriptionStore(
  persistence: SubscriptionPersistence,
  maySubscribe: MaySubscribe,
  options: GuardOptions = {},
): void {
  const add = persistence.addSubscriptions.bind(persistence);
  const remove = persistence.removeSubscriptions.bind(persistence);
  const queue = new PerKeyQueue();
  // aedes passes the same `packet.subscriptions` array for every filter of one packet
  const perPacket = new WeakMap<StoredSubscription[], Promise<unknown>>();
  const slowMs = options.slowMs ?? 5_000;
  // a store that never finishes leaves the client without a SUBACK: make that visible in the log
  const watch = (clientId: string, subs: StoredSubscription[], p: Promise<unknown>): Promise<unknown> => {
    if (!options.onSlow) return p;
    const timer = setTimeout(
      () =>
        options.onSlow?.(
          clientId,
          subs.map((s) => s.topic),
          slowMs,
        ),
      slowMs,
    );
    timer.unref();
    const clear = () => clearTimeout(timer);
    p.then(clear, clear);
    return p;
  };

  persistence.addSubscriptions = (client, subs) => {
    let stored = perPacket.get(subs);
    if (!stored) {
      const allowed = subs.filter((s) => maySubscribe(client, s.topic));
      stored =
        allowed.length === 0
          ? Promise.resolve()
          : watch(
              client.id,
              allowed,
              queue.run(client.id, () => add(client, allowed), slowMs),
            );
      perPacket.set(subs, stored);
    }
    return stored;
  };
  persistence.removeSubscriptions = (client, filters) => queue.run(client.id, () => remove(client, filters), slowMs);
}
