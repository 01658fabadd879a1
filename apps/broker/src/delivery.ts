import type { BrokerMetrics } from './metrics.js';
import type { ClientInternals, DeliverablePacket, DeliverFn, SubscriptionEntry } from './aedes-internals.js';
import { filterMatchesTopic } from './topic-match.js';

/** messages remembered per client for the duplicate filter (overlapping subscriptions deliver back to back, so a few suffice) */
const RECENT = 1_024;

/**
 * [MQTT-3.3.5-1]: when several of a client's subscriptions match a message, the broker delivers it
 * once, at the highest QoS granted among them (never above the publish QoS). aedes 1.2 delivers at
 * the QoS of whichever subscription mqemitter calls first, and its exact-topic downgrade looks at
 * one subscription only; this wraps the client's two delivery functions (which every subscription
 * the client makes calls) to fix both, sends a message once however many of the client's
 * subscriptions match it (by its broker id and routing number), and counts what goes out.
 */
export class OverlapDelivery {
  /** what aedes granted, for exact subscriptions whose stored QoS we raised */
  readonly #granted = new WeakMap<SubscriptionEntry, number>();
  readonly #deliver0: DeliverFn;
  readonly #deliverQoS: DeliverFn;
  /** routing keys (broker id, number) of the latest messages sent, oldest first: an exact duplicate filter */
  readonly #recent = new Set<string>();

  constructor(
    private readonly client: ClientInternals,
    private readonly metrics: BrokerMetrics,
  ) {
    this.#deliver0 = client.deliver0;
    this.#deliverQoS = client.deliverQoS;
    client.deliver0 = (packet, cb) => this.#route(packet, cb);
    client.deliverQoS = (packet, cb) => this.#route(packet, cb);
  }

  /** Call after a SUBSCRIBE completes: the QoS aedes now holds for each filter is the granted one. */
  subscribed(filters: readonly string[]): void {
    for (const f of filters) {
      const sub = this.client.subscriptions[f];
      if (sub) this.#granted.delete(sub);
    }
  }

  #grantedQos(sub: SubscriptionEntry): number {
    return this.#granted.get(sub) ?? sub.qos;
  }

  /** Split filters, so matching does not split the same filter for every message. */
  readonly #levels = new Map<string, string[]>();

  #filterLevels(filter: string): string[] {
    let levels = this.#levels.get(filter);
    if (!levels) {
      if (this.#levels.size > 256) this.#levels.clear();
      levels = filter.split('/');
      this.#levels.set(filter, levels);
    }
    return levels;
  }

  /** Highest QoS granted by any of the client's subscriptions matching `topic`. */
  #maxGranted(topic: string): number {
    const subs = this.client.subscriptions;
    let first: string | undefined;
    for (const filter in subs) {
      if (first !== undefined) return this.#maxGrantedOfMany(topic);
      first = filter;
    }
    // a single subscription: mqemitter only calls us for topics it matches
    return first === undefined ? -1 : this.#grantedQos(subs[first] as SubscriptionEntry);
  }

  #maxGrantedOfMany(topic: string): number {
    const subs = this.client.subscriptions;
    const levels = topic.split('/');
    let best = -1;
    for (const filter in subs) {
      const granted = this.#grantedQos(subs[filter] as SubscriptionEntry);
      if (granted > best && (filter === topic || filterMatchesTopic(this.#filterLevels(filter), levels)))
        best = granted;
    }
    return best;
  }

  #route(packet: DeliverablePacket, cb: () => void): void {
    // mqemitter calls every matching subscription of this client back to back for one message
    // (aedes' own filter, which also dropped messages routed out of order, is off: broker.ts allowReordering)
    if (packet.brokerId) {
      const key = `${packet.brokerId}\u0000${packet.brokerCounter ?? ''}`;
      if (this.#recent.has(key)) {
        setImmediate(cb);
        return;
      }
      this.#recent.add(key);
      if (this.#recent.size > RECENT) this.#recent.delete(this.#recent.values().next().value as string);
    }
    const granted = this.#maxGranted(packet.topic);
    if (granted < 0) {
      setImmediate(cb); // unsubscribed meanwhile
      return;
    }
    const qos = Math.min(packet.qos, granted) as 0 | 1 | 2;
    this.metrics.messageOut(qos, packet.payload.length);
    if (qos === 0) {
      this.#deliver0(packet, cb);
      return;
    }
    // aedes lowers the QoS to that of an exact-topic subscription if there is one: raise that to the max
    const exact = this.client.subscriptions[packet.topic];
    if (exact && exact.qos < granted) {
      if (!this.#granted.has(exact)) this.#granted.set(exact, exact.qos);
      exact.qos = granted;
    }
    packet.qos = qos; // each subscription hands us its own copy of the packet
    this.#deliverQoS(packet, cb);
  }
}
