import { filterCovers, filterMatchesTopic, filtersOverlap } from './topic-match.js';
import type { Identity } from './users.js';

/** One rule bound to a client: placeholders substituted, filter split into levels. */
export interface BoundRule {
  allow: boolean;
  publish: boolean;
  subscribe: boolean;
  levels: string[];
}

/** Decisions cached per client, bounded so a client walking many topics cannot grow memory. */
const CACHE_LIMIT = 512;

class DecisionCache {
  readonly #map = new Map<string, boolean>();

  get(key: string, decide: () => boolean): boolean {
    let ok = this.#map.get(key);
    if (ok === undefined) {
      ok = decide();
      if (this.#map.size >= CACHE_LIMIT) this.#map.clear();
      this.#map.set(key, ok);
    }
    return ok;
  }
}

/**
 * One client's view of the ACL: the rules that apply to it, placeholders already substituted, with
 * small decision caches. The first rule that applies decides; none denies. As in mosquitto:
 * - publish: a rule applies when its filter matches the topic;
 * - subscribe: refused when a deny rule covers the whole filter before any allow rule overlaps it;
 *   granted when an allow rule overlaps it — then every message is checked on delivery (`canRead`),
 *   so one denied topic does not refuse a whole wildcard subscription, it is only never delivered;
 * - read (delivery): a rule applies when its filter matches the message's topic.
 */
export class ClientAccess {
  readonly #rules: BoundRule[];
  readonly #publish = new DecisionCache();
  readonly #subscribe = new DecisionCache();
  readonly #read = new DecisionCache();

  constructor(
    readonly identity: Identity,
    rules: BoundRule[],
  ) {
    this.#rules = rules;
  }

  canPublish(topic: string): boolean {
    return this.#publish.get(topic, () => {
      const levels = topic.split('/');
      return this.#rules.find((r) => r.publish && filterMatchesTopic(r.levels, levels))?.allow ?? false;
    });
  }

  canSubscribe(filter: string): boolean {
    return this.#subscribe.get(filter, () => {
      const levels = filter.split('/');
      for (const r of this.#rules) {
        if (!r.subscribe) continue;
        if (!r.allow && filterCovers(r.levels, levels)) return false;
        if (r.allow && filtersOverlap(r.levels, levels)) return true;
      }
      return false;
    });
  }

  /**
   * May a message on `topic` be delivered to this client (it matched one of its subscriptions)?
   * Checked on every delivery, also for subscriptions a persistent session brought back from
   * before the rules changed: what a client reads is decided by today's rules, not its session's.
   */
  canRead(topic: string): boolean {
    return this.#read.get(topic, () => {
      const levels = topic.split('/');
      return this.#rules.find((r) => r.subscribe && filterMatchesTopic(r.levels, levels))?.allow ?? false;
    });
  }
}
