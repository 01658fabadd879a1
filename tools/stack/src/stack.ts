import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startInfluxd, startRedis, type InfluxdServer, type RedisServer } from '@takt/runtime';
import {
  brokerComponent,
  dashboardComponent,
  edgeComponent,
  ingestorComponent,
  portOr,
  simulatorComponent,
  stackPaths,
  type Component,
  type DeviceAddress,
  type StackPaths,
} from './components.js';
import type { LaunchMode } from './launcher.js';
import { devicesByLine } from './plant.js';
import { lineIntake, readServeMap, serveArgs, type ServeMap } from './serve.js';
import { ensureEdgeUsers, ensureSecrets, type StackSecrets } from './secrets.js';
import { signerComponent, trainerComponent } from './trainer.js';
import { seedImages } from './seed.js';

export interface StackOptions {
  /** folder for configs, logs, data and secrets */
  dir: string;
  /** run programs from sources (tests) or builds (npm start); default 'dist' */
  mode?: LaunchMode;
  /** plant file the simulator runs and edge agents serve */
  plantFile: string;
  /** simulator seed; default 1 */
  seed?: number;
  /** start the simulator; default true */
  simulator?: boolean;
  /** broker processes; 2 or more share a private redis-server (cluster mode); default 1 */
  brokers?: number;
  /** ingestors and the topic filters each subscribes; default one with every channel */
  ingestors?: { filters?: string[]; base?: string }[];
  /**
   * keep broker sessions and retained messages in a private redis-server, so they survive a broker
   * restart (always on with 2+ brokers); default false (in memory)
   */
  redisPersistence?: boolean;
  /** base config file for every broker (its settings are overridden by the stack's) */
  brokerBase?: string;
  /**
   * serve the lines the plant file marks (`"serve": "opcua" | "modbus"`) over OPC UA and Modbus: the
   * simulator starts before the edge agents, which read those lines over the fieldbus; default false
   */
  serve?: boolean;
  /** edge agents and their devices; default one per plant line */
  edges?: { name: string; devices: DeviceAddress[]; broker?: number }[];
  dashboard?: boolean;
  trainer?: boolean;
  /** fixed ports (npm start); 0/undefined picks free ones */
  ports?: { broker?: number; dashboard?: number; trainer?: number; influx?: number; opcua?: number; modbus?: number };
  /** dashboard password of the demo users; default random (see secrets.json) */
  demoPassword?: string;
  /** extra trainer settings merged into its config */
  trainerConfig?: Record<string, unknown>;
  /** extra settings merged into every edge agent's config (e.g. `evidence`) */
  edgeConfig?: Record<string, unknown>;
  /**
   * seed the vision model: once the trainer is up, write a labelled simulator image set (`takt-sim images`) and
   * upload it with `takt-trainer evidence upload`, as a user would; once per stack folder
   */
  seedImages?: { count: number; size: number; seed?: number };
  /** called as each component comes up */
  onProgress?: (what: string) => void;
}

/** A whole Takt plant on one machine, started in dependency order and stopped in reverse. */
export class Stack {
  readonly options: StackOptions;
  readonly paths: StackPaths;
  secrets!: StackSecrets;
  influx!: InfluxdServer;
  redis?: RedisServer;
  readonly brokers: (Component & { url: string; port: number; metricsPort: number })[] = [];
  readonly ingestors: Component[] = [];
  readonly edges: (Component & { devices: DeviceAddress[] })[] = [];
  trainer?: Component & { url: string };
  dashboard?: Component & { url: string };
  simulator?: Component;
  /** endpoints the simulator serves (with `serve`) */
  serving?: ServeMap['endpoints'];
  readonly #started: { name: string; stop: () => Promise<void> }[] = [];

  constructor(options: StackOptions) {
    this.options = options;
    this.paths = stackPaths(options.dir);
  }

  get mode(): LaunchMode {
    return this.options.mode ?? 'dist';
  }

  async #up(c: Component): Promise<void> {
    this.options.onProgress?.(`starting ${c.name}`);
    try {
      await c.process.start();
    } catch (err) {
      // a component that will not start is often waiting on another one: show what the others logged
      (err as Error).message += this.#otherLogs(c.name);
      throw err;
    }
    this.#started.push({ name: c.name, stop: () => c.process.close() });
  }

  /** The last lines of every other component's log file, for an error message. */
  #otherLogs(except: string, lines = 15): string {
    if (!existsSync(this.paths.logs)) return '';
    const out: string[] = [];
    for (const f of readdirSync(this.paths.logs).sort()) {
      if (!f.endsWith('.log') || f === `${except}.log`) continue;
      const tail = readFileSync(join(this.paths.logs, f), 'utf8').trimEnd().split('\n').slice(-lines);
      out.push(`\n--- last ${tail.length} lines of ${f}:\n${tail.join('\n')}`);
    }
    return out.join('');
  }

  /** Starts every component in order; if one fails, stops the ones already running before rethrowing (nothing is left behind). */
  async start(): Promise<this> {
    try {
      return await this.#start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async #start(): Promise<this> {
    const o = this.options;
    this.secrets = await ensureSecrets(this.paths.dir, o.demoPassword);
    this.influx = await startInfluxd({
      dataDir: join(this.paths.data, 'influxdb'),
      port: o.ports?.influx || undefined,
      detached: true,
    });
    this.#started.push({ name: 'influxd', stop: () => this.influx.close() });
    const brokerCount = o.brokers ?? 1;
    if (brokerCount > 1 || o.redisPersistence) {
      this.redis = await startRedis();
      this.#started.push({ name: 'redis', stop: () => this.redis!.close() });
    }
    for (let i = 0; i < brokerCount; i++) {
      const port = await portOr(i === 0 ? o.ports?.broker : undefined);
      const metricsPort = await portOr(undefined);
      const b = brokerComponent(this.paths, this.mode, {
        name: `broker-${i + 1}`,
        port,
        metricsPort,
        usersFile: join(this.paths.dir, 'broker-users.json'),
        redisUrl: this.redis?.url,
        base: o.brokerBase,
      });
      await this.#up(b);
      this.brokers.push({ ...b, url: `mqtt://127.0.0.1:${port}`, port, metricsPort });
    }
    const brokerUrl = (i = 0) => this.brokers[i % this.brokers.length]!.url;
    // evidence blobs: one folder the ingestors write and the trainer reads (an S3-compatible store past one machine)
    const evidenceDir = join(this.paths.data, 'evidence');
    for (const [i, spec] of (o.ingestors ?? [{}]).entries()) {
      const c = ingestorComponent(this.paths, this.mode, {
        name: `ingestor-${i + 1}`,
        brokerUrl: brokerUrl(i),
        password: this.secrets.broker.ingestor,
        influxUrl: this.influx.url,
        metricsPort: await portOr(undefined),
        filters: spec.filters,
        base: spec.base,
        evidenceDir,
      });
      await this.#up(c);
      this.ingestors.push(c);
    }
    if (o.trainer) {
      const signer = signerComponent(this.paths, this.mode, this.secrets);
      await this.#up(signer);
      const port = await portOr(o.ports?.trainer);
      const extra = o.trainerConfig ?? {};
      const evidence = { dir: evidenceDir, ...(extra['evidence'] as Record<string, unknown> | undefined) };
      const c = trainerComponent(this.paths, this.mode, {
        signerSocket: signer.socket,
        port,
        brokerUrl: brokerUrl(),
        password: this.secrets.broker.trainer,
        influxUrl: this.influx.url,
        secrets: this.secrets,
        extra: { ...extra, evidence },
      });
      await this.#up(c);
      this.trainer = { ...c, url: `http://127.0.0.1:${port}` };
      if (o.seedImages) {
        this.options.onProgress?.('seeding the vision model: uploading a labelled simulator image set');
        await seedImages(this.paths, this.mode, {
          ...o.seedImages,
          trainerUrl: this.trainer.url,
          token: this.secrets.tokens.operator,
        });
      }
    }
    if (o.dashboard) {
      const port = await portOr(o.ports?.dashboard);
      const trainer = this.trainer
        ? {
            url: this.trainer.url,
            readerToken: this.secrets.tokens.reader,
            operatorToken: this.secrets.tokens.operator,
          }
        : undefined;
      const c = dashboardComponent(this.paths, this.mode, {
        port,
        usersFile: join(this.paths.dir, 'dashboard-users.json'),
        brokerUrl: brokerUrl(),
        password: this.secrets.broker.dashboard,
        influxUrl: this.influx.url,
        trainer,
      });
      await this.#up(c);
      this.dashboard = { ...c, url: `http://127.0.0.1:${port}` };
    }
    const serve = o.serve
      ? {
          opcua: await portOr(o.ports?.opcua),
          modbus: await portOr(o.ports?.modbus),
          mapFile: join(this.paths.dir, 'serve-map.json'),
        }
      : undefined;
    const simulator = () =>
      simulatorComponent(this.paths, this.mode, {
        plantFile: o.plantFile,
        brokerUrl: brokerUrl(),
        password: this.secrets.broker.simulator,
        seed: o.seed ?? 1,
        ...(serve ? { args: serveArgs(serve) } : {}),
      });
    // a served plant comes first: the agents' intake config names its endpoints
    if (serve && (o.simulator ?? true)) {
      await this.#up((this.simulator = simulator()));
      this.serving = readServeMap(serve.mapFile).endpoints;
    }
    const map = serve && this.serving ? readServeMap(serve.mapFile) : undefined;
    const edges =
      o.edges ?? devicesByLine(o.plantFile).map((l, i) => ({ name: `edge-${l.line}`, devices: l.devices, broker: i }));
    await ensureEdgeUsers(this.paths.dir, this.secrets, edges);
    for (const e of edges) {
      const c = edgeComponent(this.paths, this.mode, {
        name: e.name,
        brokerUrl: brokerUrl(e.broker ?? 0),
        password: this.secrets.edges[e.name] as string,
        devices: e.devices,
        trustedKeysDir: join(this.paths.dir, 'keys'),
        registryToken: this.secrets.tokens.reader,
        ...(this.trainer ? { registryUrl: this.trainer.url } : {}),
        intake: lineIntake(map, e.devices),
        ...(o.edgeConfig ? { extra: o.edgeConfig } : {}),
      });
      await this.#up(c);
      this.edges.push({ ...c, devices: e.devices });
    }
    if ((o.simulator ?? true) && !this.simulator) await this.#up((this.simulator = simulator()));
    return this;
  }

  /** Stops everything, last started first. */
  async stop(): Promise<void> {
    for (const c of this.#started.splice(0).reverse()) {
      this.options.onProgress?.(`stopping ${c.name}`);
      await c.stop().catch(() => undefined);
    }
  }
}
