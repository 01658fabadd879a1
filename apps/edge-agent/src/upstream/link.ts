import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '@takt/runtime';
import { TypedEventEmitter } from '../typed-emitter.js';
import { Backoff } from './backoff.js';
import type { BeaconLink } from './emitter.js';

export interface LinkOptions {
  /** broker URL, e.g. `mqtt://cloud:1883` or `mqtts://…` */
  url: string;
  username?: string;
  password?: string;
  /** MQTT client id; default `takt-edge-<random>` */
  clientId?: string;
  /**
   * ms, the ceiling of the first reconnect delay; default 1_000. Reconnects back off exponentially
   * with full jitter: attempt n waits a random time in [0, min(reconnectMaxMs, reconnectMs × 2ⁿ)).
   */
  reconnectMs?: number;
  /** ms, the highest reconnect delay; default 30_000 */
  reconnectMaxMs?: number;
  /** a number in [0, 1) for the reconnect jitter; default Math.random (tests fix it) */
  random?: () => number;
  /** ms to wait for CONNACK; default 10_000 */
  connectTimeoutMs?: number;
  /**
   * ms a QoS 1 publish may wait for its PUBACK before the connection is dropped and the outbox
   * replays from its oldest unacknowledged entry (a broker that takes publishes but never
   * acknowledges them, a half-open connection the keepalive has not caught yet); default 30_000
   */
  pubackTimeoutMs?: number;
  /** MQTT keepalive, seconds; default 15 */
  keepaliveS?: number;
  /** filters subscribed (QoS 1) on every connect */
  subscriptions?: string[];
  logger: Logger;
}

export interface LinkEvents {
  connect: () => void;
  close: () => void;
  message: (topic: string, payload: Buffer) => void;
}

/** What the publisher needs of a link: QoS 1 publishes answered once, and connect/close events. */
export interface UpstreamLink {
  readonly connected: boolean;
  publish(topic: string, payload: Uint8Array, opts: { retain: boolean }, cb: PublishCallback): void;
  on<K extends keyof LinkEvents & string>(event: K, listener: LinkEvents[K]): this;
}

export type PublishCallback = (err?: Error) => void;

/**
 * One MQTT connection that reconnects on its own, with a fresh client per connection: every
 * publish callback is answered exactly once — PUBACK, or an error when the connection drops —
 * so the outbox, not the MQTT client's store, decides what is resent.
 */
export class MqttLink extends TypedEventEmitter<LinkEvents> implements UpstreamLink, BeaconLink {
  readonly #opts: LinkOptions;
  readonly #backoff: Backoff;
  readonly #clientId: string;
  #client: MqttClient | undefined;
  #connected = false;
  /** unanswered publishes → when they were sent (ms, performance.now()), oldest first */
  #pending = new Map<PublishCallback, number>();
  #timer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(opts: LinkOptions) {
    super();
    this.#opts = opts;
    // default bound to the user name: takt-broker refuses client ids that do not start with it
    this.#clientId = opts.clientId ?? `${opts.username ?? 'takt-edge'}-${Math.random().toString(16).slice(2, 10)}`;
    this.#backoff = new Backoff({
      baseMs: opts.reconnectMs ?? 1_000,
      maxMs: opts.reconnectMaxMs ?? 30_000,
      random: opts.random,
    });
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#stopped = false;
    this.#open();
  }

  #open(): void {
    if (this.#stopped) return;
    const o = this.#opts;
    const options: IClientOptions = {
      clientId: this.#clientId,
      username: o.username,
      password: o.password,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      keepalive: o.keepaliveS ?? 15,
      queueQoSZero: false,
    };
    const client = connect(o.url, options);
    this.#client = client;
    client.on('connect', () => {
      this.#connected = true;
      this.#backoff.reset();
      this.#watch(client);
      o.logger.info({ url: o.url }, 'upstream connected');
      if (o.subscriptions?.length)
        client.subscribe(
          o.subscriptions,
          { qos: 1 },
          (err) => err && o.logger.warn({ err: err.message }, 'subscribe failed'),
        );
      this.emit('connect');
    });
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
    client.on('error', (err) => o.logger.warn({ err: err.message }, 'upstream connection error'));
    client.on('close', () => this.#onClose(client));
  }

  #onClose(client: MqttClient): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    clearInterval(this.#watchdog);
    const wasConnected = this.#connected;
    this.#connected = false;
    const pending = [...this.#pending.keys()];
    this.#pending.clear();
    for (const cb of pending) cb(new Error('connection closed before PUBACK')); // before the client answers them its own way
    client.removeAllListeners();
    client.on('error', () => undefined); // the old client may still report its socket's end
    client.end(true);
    if (wasConnected) {
      this.#opts.logger.warn({ url: this.#opts.url, unacked: pending.length }, 'upstream connection lost');
      this.emit('close');
    }
    if (this.#stopped) return;
    const delayMs = this.#backoff.next();
    this.#opts.logger.debug({ url: this.#opts.url, delayMs }, 'upstream reconnect scheduled');
    this.#timer = setTimeout(() => this.#open(), delayMs);
  }

  /** Publishes QoS 1; `cb` gets the PUBACK (no error) or the connection loss, exactly once. */
  publish(topic: string, payload: Uint8Array, opts: { retain: boolean }, cb: PublishCallback): void {
    const client = this.#client;
    if (!client || !this.#connected) {
      cb(new Error('not connected'));
      return;
    }
    let done = false;
    const once: PublishCallback = (err) => {
      if (done) return;
      done = true;
      this.#pending.delete(once);
      cb(err);
    };
    this.#pending.set(once, performance.now());
    client.publish(
      topic,
      Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      { qos: 1, retain: opts.retain },
      (err) => once(err ?? undefined),
    );
  }

  /** Drops a connection whose oldest publish has waited longer than `pubackTimeoutMs` for its PUBACK. */
  #watch(client: MqttClient): void {
    const timeoutMs = this.#opts.pubackTimeoutMs ?? 30_000;
    clearInterval(this.#watchdog);
    this.#watchdog = setInterval(
      () => {
        const oldest = this.#pending.values().next().value;
        if (oldest === undefined || performance.now() - oldest <= timeoutMs || client !== this.#client) return;
        this.#opts.logger.warn(
          { url: this.#opts.url, unacked: this.#pending.size, timeoutMs },
          'no PUBACK in time: dropping the upstream connection',
        );
        this.#onClose(client);
      },
      Math.max(10, timeoutMs / 4),
    );
    this.#watchdog.unref();
  }

  /** Publishes QoS 0 now (a best-effort beacon); false, sending nothing, while disconnected. */
  publishNow(topic: string, payload: Uint8Array): boolean {
    const client = this.#client;
    if (!client || !this.#connected) return false;
    client.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), {
      qos: 0,
      retain: false,
    });
    return true;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#watchdog);
    const client = this.#client;
    if (!client) return;
    // with publishes unanswered a graceful end would wait for their PUBACKs, maybe forever: the outbox keeps them anyway
    const force = this.#pending.size > 0;
    await new Promise<void>((resolve) => client.end(force, {}, () => resolve()));
  }
}
