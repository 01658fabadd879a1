import { connect, type MqttClient } from 'mqtt';
import { decodePublish, isPublishOn, topicFilter, type DeviceAddress } from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import { Backoff } from '../upstream/backoff.js';
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
  /**
   * ms, the ceiling of the first reconnect delay; default 1_000. Reconnects back off exponentially
   * with full jitter, as the upstream link's do: attempt n waits a random time in
   * [0, min(reconnectMaxMs, reconnectMs × 2ⁿ)), so boxes that lost the same broker spread out
   */
  reconnectMs?: number;
  /** ms, the highest reconnect delay; default 10_000 (raw samples are lost while the source is away, so it stays lower than upstream's 30 s) */
  reconnectMaxMs?: number;
  /** a number in [0, 1) for the reconnect jitter; default Math.random (tests fix it) */
  random?: () => number;
  selector: DeviceSelector;
  logger: Logger;
}

/** Subscription filters of a selector for some channels. */
export function selectorFilters(selector: DeviceSelector, channels: ('raw' | 'camera' | 'model/desired')[]): string[] {
  const scopes: Partial<DeviceAddress>[] = 'devices' in selector ? selector.devices : [selector.filter];
  return scopes.flatMap((s) => channels.map((channel) => topicFilter({ ...s, channel })));
}

/**
 * The plant-local MQTT intake: subscribes `raw` and `camera` of the devices it serves. A lost
 * broker is reconnected with a fresh client after a backoff with full jitter (see `reconnectMs`).
 */
export class MqttSource implements Source {
  readonly #opts: MqttSourceOptions;
  readonly #backoff: Backoff;
  #clientId = '';
  #client: MqttClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  rejected = 0;
  /** connections made, the first included */
  connects = 0;

  constructor(opts: MqttSourceOptions) {
    this.#opts = opts;
    this.#backoff = new Backoff({
      baseMs: opts.reconnectMs ?? 1_000,
      maxMs: opts.reconnectMaxMs ?? 10_000,
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  start(handlers: SourceHandlers): Promise<void> {
    const o = this.#opts;
    this.#clientId = o.clientId ?? `${o.username ?? 'takt-edge'}-source-${Math.random().toString(16).slice(2, 10)}`;
    this.#stopped = false;
    this.#open(handlers);
    return Promise.resolve();
  }

  #open(handlers: SourceHandlers): void {
    if (this.#stopped) return;
    const o = this.#opts;
    const client = connect(o.url, {
      username: o.username,
      password: o.password,
      clientId: this.#clientId,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      clean: true,
    });
    this.#client = client;
    const filters = selectorFilters(o.selector, ['raw', 'camera']);
    client.on('connect', () => {
      this.connects++;
      this.#backoff.reset();
      client.subscribe(
        filters,
        { qos: o.qos ?? 0 },
        (err) => err && o.logger.warn({ err: err.message }, 'source subscribe failed'),
      );
      o.logger.info({ url: o.url, filters }, 'source connected');
    });
    client.on('error', (err) => o.logger.warn({ err: err.message }, 'source connection error'));
    client.on('message', (topic, payload) => this.#onMessage(topic, payload, handlers));
    client.on('close', () => {
      if (client !== this.#client) return;
      this.#client = undefined;
      client.removeAllListeners();
      client.on('error', () => undefined); // the old client may still report its socket's end
      client.end(true);
      if (this.#stopped) return;
      const delayMs = this.#backoff.next();
      o.logger.debug({ url: o.url, delayMs }, 'source reconnect scheduled');
      this.#timer = setTimeout(() => this.#open(handlers), delayMs);
    });
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
    if (isPublishOn(decoded, 'raw')) handlers.raw({ site, line, device }, decoded.message);
    else if (isPublishOn(decoded, 'camera')) handlers.camera({ site, line, device }, decoded.message);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const c = this.#client;
    this.#client = undefined;
    if (c) await new Promise<void>((resolve) => c.end(true, {}, () => resolve()));
  }
}
