import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import {
  buildTopic,
  decodePublish,
  encode,
  SequenceCounter,
  topicFilter,
  type Channel,
  type DeviceAddress,
  type MessageInput,
} from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import type { Plant } from './plant.js';

export interface MqttFeedOptions {
  /** broker URL; required */
  url: string;
  username?: string;
  password?: string;
  /** also subscribe to `raw` batches; default false */
  liveRaw?: boolean;
  /** ms between reconnect attempts; default 2_000 */
  reconnectMs?: number;
}

/** Channels the dashboard follows, with the QoS it asks for: status and alerts must not be missed. */
const FOLLOWED: [Channel, 0 | 1][] = [
  ['state', 1],
  ['heartbeat', 0],
  ['anomaly', 1],
  ['telemetry', 0],
  ['features', 0],
  ['inspection', 1],
];

/**
 * The dashboard's own MQTT session (service credentials): it feeds every message it follows into
 * the `Plant`, and publishes engineers' `label` messages. Bad messages are counted and dropped.
 */
export class MqttFeed {
  readonly #client: MqttClient;
  readonly #seq = new SequenceCounter();
  #dropped = 0;

  private constructor(
    client: MqttClient,
    private readonly plant: Plant,
    private readonly logger: Logger,
  ) {
    this.#client = client;
  }

  /** Starts connecting (and keeps reconnecting); the dashboard serves while the broker is away. */
  static start(options: MqttFeedOptions, plant: Plant, logger: Logger): MqttFeed {
    const client = connect(options.url, {
      username: options.username,
      password: options.password,
      clientId: `${options.username ?? 'takt-dashboard'}-${randomBytes(4).toString('hex')}`, // bound to its broker user
      reconnectPeriod: options.reconnectMs ?? 2_000,
      connectTimeout: 10_000,
      clean: true,
    });
    const feed = new MqttFeed(client, plant, logger);
    const subs = options.liveRaw ? [...FOLLOWED, ['raw', 0] as [Channel, 0 | 1]] : FOLLOWED;
    client.on('connect', () => {
      client.subscribe(Object.fromEntries(subs.map(([c, qos]) => [topicFilter({ channel: c }), { qos }])), (err) => {
        if (err) logger.error({ err }, 'subscribe failed');
      });
      logger.info({ url: options.url }, 'mqtt connected');
    });
    client.on('message', (topic, payload) => feed.#onMessage(topic, payload));
    client.on('error', (err) => logger.warn({ err: err.message }, 'mqtt error'));
    return feed;
  }

  /** Resolves on the next CONNACK (at once when connected); rejects after `timeoutMs` (default 10_000). */
  waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.#client.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mqtt not connected after ${timeoutMs} ms`)), timeoutMs);
      this.#client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get connected(): boolean {
    return this.#client.connected;
  }

  /** messages refused by the contracts since start */
  get dropped(): number {
    return this.#dropped;
  }

  /** Publishes a `label` message for `address` (QoS 1, waits for PUBACK). Throws `ContractError` on a bad label. */
  async publishLabel(
    address: DeviceAddress,
    label: Omit<MessageInput<'label'>, 'schemaVersion' | 'deviceId' | 'seq'>,
  ): Promise<void> {
    const payload = encode('label', {
      ...label,
      schemaVersion: 1,
      deviceId: address.device,
      seq: this.#seq.next(address.device, 'label'),
    });
    await this.#client.publishAsync(buildTopic({ ...address, channel: 'label' }), payload, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.#client.endAsync();
  }

  #onMessage(topic: string, payload: Buffer): void {
    try {
      this.plant.apply(decodePublish(topic, payload));
    } catch (err) {
      this.#dropped++;
      if (this.#dropped % 1000 === 1)
        this.logger.warn({ topic, err: (err as Error).message, dropped: this.#dropped }, 'message refused');
    }
  }
}
