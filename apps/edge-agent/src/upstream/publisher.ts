import type { Logger } from '@takt/runtime';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';
import type { MqttLink } from './link.js';

export interface PublisherOptions {
  /** QoS 1 publishes awaiting PUBACK at once; default 64 */
  maxInflight?: number;
  logger: Logger;
}

/**
 * Drains the outbox into the upstream link in order: at most `maxInflight` unacknowledged
 * publishes; an entry leaves the outbox only on its PUBACK; after a reconnect it starts again
 * from the oldest unacknowledged entry (QoS 1: a redelivered duplicate is possible, a gap is not).
 */
export class UpstreamPublisher {
  readonly #outbox: Outbox;
  readonly #link: MqttLink;
  readonly #maxInflight: number;
  readonly #logger: Logger;
  #lastSent = 0;
  #inflight = 0;
  #generation = 0;
  /** PUBACKs received since start */
  acked = 0;

  constructor(outbox: Outbox, link: MqttLink, opts: PublisherOptions) {
    this.#outbox = outbox;
    this.#link = link;
    this.#maxInflight = opts.maxInflight ?? 64;
    this.#logger = opts.logger;
    link.on('connect', () => {
      this.#generation++;
      this.#lastSent = 0;
      this.#inflight = 0;
      this.#pump();
    });
    link.on('close', () => {
      this.#generation++;
      this.#inflight = 0;
      this.#lastSent = 0;
    });
    outbox.on('appended', () => this.#pump());
  }

  #pump(): void {
    if (!this.#link.connected) return;
    const room = this.#maxInflight - this.#inflight;
    if (room <= 0) return;
    for (const entry of this.#outbox.pending(this.#lastSent, room)) this.#send(entry);
  }

  #send(entry: OutboxEntry): void {
    const gen = this.#generation;
    this.#lastSent = entry.id;
    this.#inflight++;
    this.#link.publish(entry.topic, entry.payload, { retain: entry.retain }, (err) => {
      if (gen !== this.#generation) return; // answered after a reconnect: the replay owns it now
      this.#inflight--;
      if (err) {
        this.#logger.debug({ id: entry.id, err: err.message }, 'publish not acknowledged; will be replayed');
        return;
      }
      this.acked++;
      this.#outbox.ack(entry.id);
      this.#pump();
    });
  }
}
