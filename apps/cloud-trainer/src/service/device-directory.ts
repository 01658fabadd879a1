import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import {
  buildTopic,
  decodePublish,
  encode,
  topicFilter,
  tryParseTopic,
  type AnomalyEvent,
  type DesiredModel,
  type DeviceAddress,
  type DeviceState,
  type MessageInput,
} from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import type { TelemetryStore } from '@takt/telemetry-store';

/** What the directory tells its listeners about. */
export interface DeviceDirectoryEvents {
  state: (address: DeviceAddress, state: DeviceState) => void;
  anomaly: (address: DeviceAddress, event: AnomalyEvent) => void;
}

export interface DeviceDirectoryOptions {
  /** broker URL, e.g. `mqtt://broker:1883` */
  url: string;
  /** a `service` user: subscribes to every device's state, heartbeat, anomaly and model/desired */
  username: string;
  password: string;
  logger: Logger;
  /** ms to wait for the first connection and SUBACK before starting without them; default 5_000 */
  firstConnectMs?: number;
}

const WATCHED = ['state', 'heartbeat', 'anomaly', 'model/desired'] as const;

/**
 * The trainer's view of the fleet over MQTT: every device's address (site/line) and retained
 * `state`, its last heartbeat, its retained `model/desired`, and anomaly events as they happen.
 * Publishes `model/desired` (retained, QoS 1) for rollouts.
 */
export class DeviceDirectory {
  readonly #client: MqttClient;
  readonly #log: Logger;
  readonly #addresses = new Map<string, DeviceAddress>();
  readonly #states = new Map<string, DeviceState>();
  readonly #heartbeats = new Map<string, number>();
  readonly #desired = new Map<string, DesiredModel>();
  readonly #seq = new Map<string, number>();
  readonly #listeners: { [K in keyof DeviceDirectoryEvents]: DeviceDirectoryEvents[K][] } = { state: [], anomaly: [] };

  private constructor(client: MqttClient, logger: Logger) {
    this.#client = client;
    this.#log = logger;
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
  }

  /**
   * Connects and subscribes, waiting up to `firstConnectMs` for the first SUBACK so the service
   * starts with the fleet's retained states in view; when the broker is down it returns anyway and
   * keeps retrying in the background (`connected` says which).
   */
  static async connect(opts: DeviceDirectoryOptions): Promise<DeviceDirectory> {
    const client = connect(opts.url, {
      username: opts.username,
      password: opts.password,
      clientId: `${opts.username ?? 'takt-trainer'}-${randomBytes(4).toString('hex')}` /* bound to its broker user */,
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
      clean: true,
    });
    const dir = new DeviceDirectory(client, opts.logger);
    let subscribed: () => void = () => undefined;
    const firstSubscribe = new Promise<boolean>((resolve) => {
      subscribed = () => resolve(true);
      setTimeout(() => resolve(false), opts.firstConnectMs ?? 5_000).unref();
    });
    client.on('connect', () => {
      dir.#log.info({ url: opts.url }, 'connected to the broker');
      client.subscribe(
        WATCHED.map((channel) => topicFilter({ channel })),
        { qos: 1 },
        (err) => {
          if (err) dir.#log.error({ err: err.message }, 'subscribe failed');
          else subscribed();
        },
      );
    });
    client.on('error', (err) => dir.#log.warn({ err: err.message }, 'broker connection error'));
    if (!(await firstSubscribe))
      dir.#log.warn({ url: opts.url }, 'broker not reachable yet; retrying in the background');
    return dir;
  }

  /** Seeds addresses and states of devices that reported before (from InfluxDB), for devices whose retained state is gone. */
  async seedFromStore(store: TelemetryStore): Promise<void> {
    for (const s of await store.queryLatestStates()) {
      if (!this.#addresses.has(s.deviceId))
        this.#addresses.set(s.deviceId, { site: s.site, line: s.line, device: s.deviceId });
    }
  }

  on<K extends keyof DeviceDirectoryEvents>(event: K, listener: DeviceDirectoryEvents[K]): void {
    this.#listeners[event].push(listener);
  }

  get connected(): boolean {
    return this.#client.connected;
  }

  address(device: string): DeviceAddress | undefined {
    return this.#addresses.get(device);
  }

  /** Every device seen in `state` (or seeded), sorted by id. */
  devices(): string[] {
    return [...this.#addresses.keys()].sort();
  }

  state(device: string): DeviceState | undefined {
    return this.#states.get(device);
  }

  /** ms of the device's last heartbeat (or state), or undefined. */
  lastSeen(device: string): number | undefined {
    return this.#heartbeats.get(device);
  }

  /** The retained `model/desired` the broker holds for a device, as last seen. */
  desired(device: string): DesiredModel | undefined {
    return this.#desired.get(device);
  }

  /** Publishes a retained desired model to a device (QoS 1); the envelope's ts and seq are filled in. */
  async publishDesired(
    device: string,
    body: Omit<DesiredModel, 'schemaVersion' | 'deviceId' | 'ts' | 'seq'>,
  ): Promise<DesiredModel> {
    const address = this.#need(device);
    const message: MessageInput<'model/desired'> = {
      schemaVersion: 1,
      deviceId: device,
      ts: Date.now(),
      seq: this.#nextSeq(device),
      ...body,
    };
    const payload = encode('model/desired', message);
    await this.#client.publishAsync(buildTopic({ ...address, channel: 'model/desired' }), payload, {
      qos: 1,
      retain: true,
    });
    const sent = message as DesiredModel;
    this.#desired.set(device, sent);
    return sent;
  }

  /** Clears a device's retained desired model (empty retained payload). */
  async clearDesired(device: string): Promise<void> {
    const address = this.#need(device);
    await this.#client.publishAsync(buildTopic({ ...address, channel: 'model/desired' }), Buffer.alloc(0), {
      qos: 1,
      retain: true,
    });
    this.#desired.delete(device);
  }

  async close(): Promise<void> {
    await this.#client.endAsync();
  }

  #need(device: string): DeviceAddress {
    const address = this.#addresses.get(device);
    if (!address) throw new Error(`device ${device} has no known site/line`);
    return address;
  }

  #nextSeq(device: string): number {
    const seq = Math.max(this.#seq.get(device) ?? 0, (this.#desired.get(device)?.seq ?? -1) + 1);
    this.#seq.set(device, seq + 1);
    return seq;
  }

  #onMessage(topic: string, payload: Buffer): void {
    const parts = tryParseTopic(topic);
    if (!parts) return;
    const address = { site: parts.site, line: parts.line, device: parts.device };
    if (parts.channel === 'model/desired' && payload.length === 0) {
      this.#desired.delete(parts.device);
      return;
    }
    let decoded;
    try {
      decoded = decodePublish(topic, payload);
    } catch (err) {
      this.#log.debug({ topic, err: (err as Error).message }, 'message ignored');
      return;
    }
    const msg = decoded.message;
    if (parts.channel === 'model/desired') this.#desired.set(parts.device, msg as DesiredModel);
    else if (parts.channel === 'heartbeat') {
      if (!this.#addresses.has(parts.device)) this.#addresses.set(parts.device, address);
      this.#heartbeats.set(parts.device, Date.now());
    } else if (parts.channel === 'state') {
      this.#addresses.set(parts.device, address);
      this.#states.set(parts.device, msg as DeviceState);
      this.#heartbeats.set(parts.device, Date.now());
      for (const l of this.#listeners.state) l(address, msg as DeviceState);
    } else if (parts.channel === 'anomaly') for (const l of this.#listeners.anomaly) l(address, msg as AnomalyEvent);
  }
}
