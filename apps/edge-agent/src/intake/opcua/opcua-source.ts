import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttributeIds,
  ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
  type ClientSession,
  type DataValue,
  type UserIdentityInfo,
} from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { Logger } from '@takt/runtime';
import { DeviceIntakeStatus } from '../intake-status.js';
import { SampleBatcher } from '../sample-batcher.js';
import type { Source, SourceHandlers } from '../source.js';
import type { OpcuaSourceConfig } from './opcua-config.js';
import { SampledDevice } from './sampled-device.js';

export interface OpcuaSourceOptions {
  config: OpcuaSourceConfig;
  /** `opcua[k]`, the config path errors name */
  where: string;
  /** default PKI folder when the config names none: <dataDir>/opcua-pki */
  dataDir: string;
  logger: Logger;
  /** a data change arrived (benchmarks, tests) */
  onValue?: (device: string, sensor: string, dv: DataValue) => void;
}

/**
 * OPC UA intake: one session to one server, one subscription with a monitored item per mapped node.
 * node-opcua's client reconnects with backoff, reactivates the session (or creates a new one and
 * re-creates the subscription and its items when the server restarted) and republishes what was missed.
 */
export class OpcuaSource implements Source {
  readonly #o: OpcuaSourceOptions;
  readonly #devices: SampledDevice[] = [];
  #client: OPCUAClient | undefined;
  #session: ClientSession | undefined;
  #connected = false;
  #stopped = false;
  rejected = 0;

  constructor(options: OpcuaSourceOptions) {
    this.#o = options;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(handlers: SourceHandlers): Promise<void> {
    const c = this.#o.config;
    c.devices.forEach((device, j) => {
      const address = { site: device.site, line: device.line, device: device.device };
      const status = new DeviceIntakeStatus(address, 'opcua', c.endpoint, handlers.status?.bind(handlers));
      let seq = 0;
      const units = Object.fromEntries(device.nodes.filter((n) => n.unit).map((n) => [n.sensor, n.unit!]));
      const batcher = new SampleBatcher({
        address,
        periodMs: device.samplingIntervalMs,
        batchMs: c.batchMs,
        machineType: device.machineType,
        units,
        nextSeq: () => seq++,
        emit: (b) => handlers.raw(address, b),
        onLatency: (ms) => handlers.latency?.(address, 'opcua', ms),
      });
      this.#devices.push(
        new SampledDevice(device, `${this.#o.where}.devices[${j}]`, status, batcher, () => this.#connected),
      );
    });
    for (const d of this.#devices) d.start();
    void this.#run();
    return Promise.resolve();
  }

  /** Connects (retrying in the background), opens the session and subscribes; a refused session is retried with backoff. */
  async #run(): Promise<void> {
    const c = this.#o.config;
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        const client = this.#createClient();
        this.#client = client;
        await client.connect(c.endpoint);
        this.#session = await client.createSession(this.#identity());
        this.#setConnected(true);
        await this.#subscribe(this.#session);
        this.#o.logger.info(
          { endpoint: c.endpoint, devices: c.devices.map((d) => d.device) },
          'opc ua intake subscribed',
        );
        return;
      } catch (err) {
        if (this.#stopped) return;
        const message = `${this.#o.where} ${c.endpoint}: ${(err as Error).message}`;
        for (const d of this.#devices) d.status.fault({ code: 'OPCUA_SESSION_FAILED', message, at: Date.now() });
        this.#o.logger.warn({ endpoint: c.endpoint, err: (err as Error).message, attempt }, 'opc ua session failed');
        await this.#client?.disconnect().catch(() => undefined);
        this.#setConnected(false);
        await new Promise((r) =>
          setTimeout(r, Math.min(c.reconnectMaxMs, c.reconnectMinMs * 2 ** Math.min(attempt, 20))),
        );
      }
    }
  }

  #createClient(): OPCUAClient {
    const c = this.#o.config;
    const client = OPCUAClient.create({
      applicationName: 'takt-edge',
      endpointMustExist: false,
      securityMode: MessageSecurityMode[c.securityMode],
      securityPolicy: SecurityPolicy[c.securityPolicy],
      connectionStrategy: {
        initialDelay: c.reconnectMinMs,
        maxDelay: c.reconnectMaxMs,
        maxRetry: Number.MAX_SAFE_INTEGER,
      },
      keepSessionAlive: true,
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: c.pkiDir ?? join(this.#o.dataDir, 'opcua-pki'),
        automaticallyAcceptUnknownCertificate: c.trustUnknownServers,
      }),
    });
    const down = (why: string) => () => {
      this.#setConnected(false, why);
    };
    client.on('connection_lost', down(`connection to ${c.endpoint} lost`));
    client.on('after_reconnection', () => this.#setConnected(true));
    client.on('connection_reestablished', () => this.#setConnected(true));
    return client;
  }

  #identity(): UserIdentityInfo {
    const a = this.#o.config.auth;
    if (a.kind === 'user') return { type: UserTokenType.UserName, userName: a.username, password: a.password };
    if (a.kind === 'certificate') {
      const certificateData = new X509Certificate(readFileSync(a.certificateFile)).raw;
      return { type: UserTokenType.Certificate, certificateData, privateKey: readFileSync(a.privateKeyFile, 'utf8') };
    }
    return { type: UserTokenType.Anonymous };
  }

  #setConnected(connected: boolean, why?: string): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    const fault = why ? { code: 'OPCUA_DISCONNECTED', message: why, at: Date.now() } : undefined;
    for (const d of this.#devices) d.status.link(connected, fault);
    if (!connected && why) this.#o.logger.warn({ endpoint: this.#o.config.endpoint }, why);
    if (connected) this.#o.logger.info({ endpoint: this.#o.config.endpoint }, 'opc ua connected');
  }

  async #subscribe(session: ClientSession): Promise<void> {
    const c = this.#o.config;
    const sub = ClientSubscription.create(session, {
      requestedPublishingInterval: c.publishingIntervalMs,
      requestedLifetimeCount: 120,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 10_000,
      publishingEnabled: true,
      priority: 10,
    });
    const namespaces = await session.readNamespaceArray();
    for (const d of this.#devices) {
      // one CreateMonitoredItems request per device and set of monitoring parameters, not one per node
      const groups = new Map<string, number[]>();
      d.device.nodes.forEach((n, i) => {
        const key = JSON.stringify([n.samplingIntervalMs ?? d.device.samplingIntervalMs, n.deadband ?? null]);
        groups.set(key, [...(groups.get(key) ?? []), i]);
      });
      for (const indexes of groups.values()) await this.#monitor(sub, namespaces, d, indexes);
    }
  }

  /** Monitors nodes `indexes` of a device (same sampling interval and deadband); a node that cannot be monitored is reported naming its entry. */
  async #monitor(sub: ClientSubscription, namespaces: string[], d: SampledDevice, indexes: number[]): Promise<void> {
    const where = (i: number) =>
      `${d.where}.nodes[${i}] (sensor "${d.device.nodes[i]!.sensor}", ${d.device.nodes[i]!.nodeId})`;
    const resolved = indexes.map((i) => ({ i, nodeId: resolveNamespace(d.device.nodes[i]!.nodeId, namespaces) }));
    for (const r of resolved)
      if (!r.nodeId)
        d.status.fault({
          code: 'OPCUA_NODE_UNKNOWN',
          message: `${where(r.i)}: namespace is not on the server`,
          at: Date.now(),
        });
    const known = resolved.filter((r): r is { i: number; nodeId: string } => r.nodeId !== undefined);
    if (known.length === 0) return;
    const first = d.device.nodes[known[0]!.i]!;
    const filter = first.deadband
      ? new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: first.deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
          deadbandValue: first.deadband.value,
        })
      : undefined;
    const group = await sub.monitorItems(
      known.map((r) => ({ nodeId: r.nodeId, attributeId: AttributeIds.Value })),
      {
        samplingInterval: first.samplingIntervalMs ?? d.device.samplingIntervalMs,
        discardOldest: true,
        queueSize: 100,
        ...(filter ? { filter } : {}),
      },
      TimestampsToReturn.Both,
    );
    group.monitoredItems.forEach((item, k) => {
      const status = item.statusCode;
      if (status.isGood()) return;
      const i = known[k]!.i;
      this.#o.logger.warn({ where: where(i), status: status.toString() }, 'opc ua node not monitored');
      d.status.fault({
        code: status.name === 'BadNodeIdUnknown' ? 'OPCUA_NODE_UNKNOWN' : 'OPCUA_MONITOR_FAILED',
        message: `${where(i)}: ${status.toString()}`,
        at: Date.now(),
      });
    });
    group.on('changed', (_item, dv: DataValue, k: number) => {
      const i = known[k]?.i;
      if (i === undefined) return;
      d.onValue(i, dv);
      this.#o.onValue?.(d.device.device, d.device.nodes[i]!.sensor, dv);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const d of this.#devices) d.stop();
    await this.#session?.close().catch(() => undefined);
    await this.#client?.disconnect().catch(() => undefined);
  }
}

/** `nsu=<uri>;…` → `ns=<index>;…` by the server's namespace array; undefined when the server lacks the namespace. */
export function resolveNamespace(nodeId: string, namespaces: string[]): string | undefined {
  const m = /^nsu=([^;]+);(.*)$/.exec(nodeId);
  if (!m) return nodeId;
  const index = namespaces.indexOf(m[1]!);
  return index < 0 ? undefined : `ns=${index};${m[2]}`;
}
