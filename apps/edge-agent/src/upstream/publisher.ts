import type { Logger } from '@takt/runtime';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';
import { Backoff } from './backoff.js';
import type { UpstreamLink } from './link.js';

/** Unacknowledged QoS 1 publishes at once when not configured (the edge config's `upstream.maxInflight` default). */
export const DEFAULT_MAX_INFLIGHT = 64;

export interface PublisherOptions {
  /** QoS 1 publishes awaiting PUBACK at once; default 64 */
  maxInflight?: number;
  /** ms, the ceiling of the first delay before a refused publish is sent again (doubling, full jitter); default 500 */
  retryMs?: number;
  /** ms, the highest such delay; default 30_000 */
  retryMaxMs?: number;
  logger: Logger;
}

/**
 * Drains the outbox into the upstream link in order: at most `maxInflight` unacknowledged
 * publishes; an entry leaves the outbox only on its PUBACK; after a reconnect it starts again
 * from the oldest unacknowledged entry (QoS 1: a redelivered duplicate is possible, a gap is not).
 * A publish refused while the connection stays up (the client could not send it) is sent again
 * after a backoff, ahead of newer entries.
 */
export class UpstreamPublisher {
  readonly #outbox: Outbox;
  readonly #link: UpstreamLink;
  readonly #maxInflight: number;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  #lastSent = 0;
  #inflight = 0;
  #generation = 0;
  /** refused entries to send again, oldest first */
  #retry: OutboxEntry[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  /** PUBACKs received since start */
  acked = 0;
  /** publishes refused without a disconnect, since start */
  refused = 0;

  constructor(outbox: Outbox, link: UpstreamLink, opts: PublisherOptions) {
    this.#outbox = outbox;
    this.#link = link;
    this.#maxInflight = opts.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.#logger = opts.logger;
    this.#backoff = new Backoff({ baseMs: opts.retryMs ?? 500, maxMs: opts.retryMaxMs ?? 30_000 });
    link.on('connect', () => {
      this.#restart();
      this.#pump();
    });
    link.on('close', () => this.#restart());
    outbox.on('appended', () => this.#pump());
  }

  /** A new connection replays from the oldest unacknowledged entry: refused ones included. */
  #restart(): void {
    this.#generation++;
    this.#inflight = 0;
    this.#lastSent = 0;
    this.#retry = [];
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #pump(): void {
    if (!this.#link.connected) return;
    if (!this.#retryTimer) {
      while (this.#retry.length > 0 && this.#inflight < this.#maxInflight)
        this.#send(this.#retry.shift() as OutboxEntry);
    }
    const room = this.#maxInflight - this.#inflight;
    if (room <= 0) return;
    for (const entry of this.#outbox.pending(this.#lastSent, room)) this.#send(entry);
  }

  #send(entry: OutboxEntry): void {
    const gen = this.#generation;
    this.#lastSent = Math.max(this.#lastSent, entry.id);
    this.#inflight++;
    this.#link.publish(entry.topic, entry.payload, { retain: entry.retain }, (err) => {
      if (gen !== this.#generation) return; // answered after a reconnect: the replay owns it now
      this.#inflight--;
      if (err) return this.#refused(entry, err);
      this.#backoff.reset();
      this.acked++;
      this.#outbox.ack(entry.id);
      this.#pump();
    });
  }

  /** The link answered with an error but stays connected: send the entry again after a backoff. */
  #refused(entry: OutboxEntry, err: Error): void {
    this.refused++;
    if (!this.#link.connected) return; // the close that follows replays it
    this.#retry.push(entry);
    this.#retry.sort((a, b) => a.id - b.id);
    if (this.#retryTimer) return;
    const delayMs = this.#backoff.next();
    this.#logger.warn(
      { id: entry.id, topic: entry.topic, err: err.message, delayMs },
      'publish refused; sending it again',
    );
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#pump();
    }, delayMs);
  }
}
