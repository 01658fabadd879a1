import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import sparkplug from 'sparkplug-payload';
import type { DeviceAddress } from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import type { Outbox, OutboxEntry } from '../../outbox/outbox.js';
import type { SparkplugConfig } from './sparkplug-config.js';
import { metricsOf, type SpMetric } from './sparkplug-metrics.js';

const codec = sparkplug.get('spBv1.0')!;
const NS = 'spBv1.0';
/** The node metric a host writes true to ask for rebirth [Sparkplug 3.0 §6.4.15, tck-id-operational-behavior-edge-node-rebirth]. */
export const REBIRTH = 'Node Control/Rebirth';

type MessageType = 'NBIRTH' | 'NDEATH' | 'DBIRTH' | 'DDATA' | 'DDEATH' | 'NCMD';

/**
 * A Sparkplug B edge node publishing the agent's devices to a SCADA host: NBIRTH (with bdSeq and the
 * rebirth control) on every connect, then a DBIRTH per device once its first metrics are known (again
 * when a new metric appears), DDATA as telemetry, anomaly events and state leave the agent, DDEATH and
 * NDEATH on a clean stop; the broker publishes the NDEATH will (same bdSeq) when the node drops.
 * `seq` runs 0–255 over every message after NBIRTH; a host's rebirth request starts again from NBIRTH.
 */
export class SparkplugNode {
  readonly #c: SparkplugConfig;
  readonly #log: Logger;
  readonly #devices = new Map<string, { address: DeviceAddress; metrics: Map<string, SpMetric>; born: boolean }>();
  readonly #client: MqttClient;
  #bdSeq = 0;
  #seq = 0;
  #online = false;
  #hostOnline: boolean;

  /** Starts a node whose first session's bdSeq follows the one saved in `dataDir` (a restarted agent is a new sequence). */
  static async start(
    config: SparkplugConfig,
    outbox: Pick<Outbox, 'on'>,
    logger: Logger,
    dataDir: string,
  ): Promise<SparkplugNode> {
    const file = join(dataDir, 'sparkplug-bdseq');
    const last = Number((await readFile(file, 'utf8').catch(() => '-1')).trim());
    const bdSeq = Number.isInteger(last) && last >= 0 ? (last + 1) % 256 : 0;
    await writeFile(file, String(bdSeq));
    return new SparkplugNode(config, outbox, logger, bdSeq);
  }

  private constructor(config: SparkplugConfig, outbox: Pick<Outbox, 'on'>, logger: Logger, bdSeq: number) {
    this.#c = config;
    this.#log = logger;
    this.#bdSeq = bdSeq;
    this.#hostOnline = config.primaryHostId === undefined;
    this.#client = connect(config.url, {
      username: config.username,
      password: config.password,
      clean: true,
      reconnectPeriod: config.reconnectMs,
      will: this.#will(),
    });
    // a new session is a new birth-death sequence: the will of the next connect carries the next bdSeq
    this.#client.on('connect', () => this.#onConnect());
    this.#client.on('close', () => {
      if (this.#online) this.#log.warn({ url: config.url }, 'sparkplug broker connection lost');
      if (this.#online) this.#nextSession();
      this.#online = false;
    });
    this.#client.on('error', (err) => this.#log.warn({ url: config.url, err: err.message }, 'sparkplug broker error'));
    this.#client.on('message', (topic, payload) => this.#onCommand(topic, payload));
    outbox.on('appended', (e) => this.#onEntry(e));
  }

  #topic(type: MessageType, device?: string): string {
    return `${NS}/${this.#c.groupId}/${type}/${this.#c.edgeNodeId}${device ? `/${device}` : ''}`;
  }

  #will(): { topic: string; payload: Buffer; qos: 1; retain: false } {
    const payload = Buffer.from(
      codec.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'bdSeq', type: 'Int64', value: this.#bdSeq }] }),
    );
    return { topic: this.#topic('NDEATH'), payload, qos: 1, retain: false };
  }

  /** The next session is a new birth-death sequence: its will (sent at the next CONNECT) carries bdSeq + 1. */
  #nextSession(): void {
    this.#bdSeq = (this.#bdSeq + 1) % 256;
    this.#client.options.will = this.#will();
  }

  #onConnect(): void {
    const subs = [this.#topic('NCMD'), ...(this.#c.primaryHostId ? [`${NS}/STATE/${this.#c.primaryHostId}`] : [])];
    this.#client.subscribe(
      subs,
      { qos: 1 },
      (err) => err && this.#log.warn({ err: err.message }, 'sparkplug subscribe failed'),
    );
    this.#online = true;
    if (this.#hostOnline) this.#birth();
  }

  /** NBIRTH, then a DBIRTH per device with known metrics; `seq` starts again at 0. */
  #birth(): void {
    this.#seq = 0;
    const now = Date.now();
    this.#publish('NBIRTH', undefined, [
      { name: 'bdSeq', type: 'Int64', value: this.#bdSeq, timestamp: now },
      { name: REBIRTH, type: 'Boolean', value: false, timestamp: now },
    ]);
    for (const d of this.#devices.values()) {
      d.born = false;
      if (d.metrics.size > 0) this.#deviceBirth(d);
    }
    this.#log.info(
      { groupId: this.#c.groupId, edgeNodeId: this.#c.edgeNodeId, bdSeq: this.#bdSeq, devices: this.#devices.size },
      'sparkplug birth',
    );
  }

  #deviceBirth(d: { address: DeviceAddress; metrics: Map<string, SpMetric>; born: boolean }): void {
    this.#publish('DBIRTH', d.address.device, [...d.metrics.values()]);
    d.born = true;
  }

  #publish(type: MessageType, device: string | undefined, metrics: SpMetric[]): void {
    const seq = type === 'NBIRTH' ? 0 : (this.#seq = (this.#seq + 1) % 256);
    if (type === 'NBIRTH') this.#seq = 0;
    const payload = codec.encodePayload({ timestamp: Date.now(), seq, metrics });
    this.#client.publish(this.#topic(type, device), Buffer.from(payload), { qos: 0 });
  }

  #onEntry(e: OutboxEntry): void {
    let metrics: SpMetric[];
    try {
      metrics = metricsOf(e.channel, e.payload);
    } catch (err) {
      this.#log.debug({ topic: e.topic, err: (err as Error).message }, 'sparkplug: message not mapped');
      return;
    }
    if (metrics.length === 0) return;
    const [, , site = '', line = '', device = e.deviceId] = e.topic.split('/');
    let d = this.#devices.get(device);
    if (!d) this.#devices.set(device, (d = { address: { site, line, device }, metrics: new Map(), born: false }));
    const isNew = metrics.some((m) => !d.metrics.has(m.name));
    for (const m of metrics) d.metrics.set(m.name, m);
    if (!this.#online || !this.#hostOnline) return;
    if (!d.born || isNew)
      this.#deviceBirth(d); // a metric must be born before it is reported
    else this.#publish('DDATA', device, metrics);
  }

  #onCommand(topic: string, payload: Buffer): void {
    if (this.#c.primaryHostId && topic === `${NS}/STATE/${this.#c.primaryHostId}`) return this.#onHostState(payload);
    try {
      const p = codec.decodePayload(payload);
      if (p.metrics?.some((m) => m.name === REBIRTH && m.value === true)) {
        this.#log.info({ topic }, 'sparkplug rebirth requested');
        if (this.#hostOnline) this.#birth();
      }
    } catch (err) {
      this.#log.warn({ topic, err: (err as Error).message }, 'sparkplug command refused');
    }
  }

  /** Primary host STATE (Sparkplug 3.0: JSON `{"online": bool, "timestamp": ms}`, retained). */
  #onHostState(payload: Buffer): void {
    let online = false;
    try {
      online = (JSON.parse(payload.toString()) as { online?: unknown }).online === true;
    } catch {
      online = payload.toString() === 'ONLINE'; // Sparkplug 2.2 hosts
    }
    const was = this.#hostOnline;
    this.#hostOnline = online;
    if (online && !was && this.#online) this.#birth();
  }

  /** DDEATH per device, NDEATH (the will's bdSeq), disconnect; the next session uses bdSeq + 1. */
  async stop(): Promise<void> {
    if (this.#online && this.#hostOnline) {
      for (const d of this.#devices.values()) if (d.born) this.#publish('DDEATH', d.address.device, []);
      await this.#client.publishAsync(
        this.#topic('NDEATH'),
        Buffer.from(
          codec.encodePayload({
            timestamp: Date.now(),
            metrics: [{ name: 'bdSeq', type: 'Int64', value: this.#bdSeq }],
          }),
        ),
        { qos: 1 },
      );
    }
    await this.#client.endAsync();
  }
}
