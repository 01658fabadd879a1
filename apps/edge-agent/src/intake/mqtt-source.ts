import { connect, type MqttClient } from 'mqtt';
import { decodePublish, topicFilter, type DeviceAddress } from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import type { DeviceSelector, Source, SourceHandlers } from './source.js';

export interface MqttSourceOptions {
  /** plant-local broker URL */
  url: string;
  username?: string;
  password?: string;
  /** default `<username>-source-<random>` (takt-broker binds client ids to user names) */
  clientId?: string;
  /** subscription QoS for raw and camera; default 0 (plant-local, high rate) */
  qos?: 0 | 1;
  selector: DeviceSelector;
  logger: Logger;
}

/** Subscription filters of a selector for some channels. */
export function selectorFilters(selector: DeviceSelector, channels: ('raw' | 'camera' | 'model/desired')[]): string[] {
  const scopes: Partial<DeviceAddress>[] = 'devices' in selector ? selector.devices : [selector.filter];
  return scopes.flatMap((s) => channels.map((channel) => topicFilter({ ...s, channel })));
}

/** The plant-local MQTT intake: subscribes `raw` and `camera` of the devices it serves. */
export class MqttSource implements Source {
  readonly #opts: MqttSourceOptions;
  #client: MqttClient | undefined;
  rejected = 0;

  constructor(opts: MqttSourceOptions) {
    this.#opts = opts;
  }

  start(handlers: SourceHandlers): Promise<void> {
    const o = this.#opts;
    const clientId = o.clientId ?? `${o.username ?? 'takt-edge'}-source-${Math.random().toString(16).slice(2, 10)}`;
    const client = connect(o.url, { username: o.username, password: o.password, clientId, reconnectPeriod: 1_000, connectTimeout: 10_000, clean: true });
    this.#client = client;
    const filters = selectorFilters(o.selector, ['raw', 'camera']);
    client.on('connect', () => {
      client.subscribe(filters, { qos: o.qos ?? 0 }, (err) => err && o.logger.warn({ err: err.message }, 'source subscribe failed'));
      o.logger.info({ url: o.url, filters }, 'source connected');
    });
    client.on('error', (err) => o.logger.warn({ err: err.message }, 'source connection error'));
    client.on('message', (topic, payload) => this.#onMessage(topic, payload, handlers));
    return Promise.resolve();
  }

  #onMessage(topic: string, payload: Buffer, handlers: SourceHandlers): void {
    let decoded;
    try {
      decoded = decodePublish(topic, payload);
    } catch (err) {
      this.rejected++;
      this.#opts.logger.warn({ topic, err: (err as Error).message }, 'source message refused');
      return;
    }
    const { site, line, device } = decoded.topic;
    if (decoded.topic.channel === 'raw') handlers.raw({ site, line, device }, decoded.message as Parameters<SourceHandlers['raw']>[1]);
    else if (decoded.topic.channel === 'camera') handlers.camera({ site, line, device }, decoded.message as Parameters<SourceHandlers['camera']>[1]);
  }

  async stop(): Promise<void> {
    const c = this.#client;
    if (c) await new Promise<void>((resolve) => c.end(true, {}, () => resolve()));
  }
}
