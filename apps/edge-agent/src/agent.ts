import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodePublish,
  errorCode,
  isPublishOn,
  type DeviceAddress,
  type ExecutionProvider,
  type ModelManifest,
} from '@takt/contracts';
import { loadTrustedKeys } from '@takt/model-registry';
import type { Logger } from '@takt/runtime';
import { upstreamSchema, type AgentConfig } from './config.js';
import { EdgeError } from './errors.js';
import { DeviceModels } from './device/device-models.js';
import { DevicePipeline } from './device/device-pipeline.js';
import { StateReporter, type DeviceContext } from './device/device-state.js';
import { fieldbusSources, IntakeSources } from './intake/fieldbus.js';
import { Northbound } from './northbound/northbound.js';
import { selectorFilters, MqttSource } from './intake/mqtt-source.js';
import type { DeviceSelector, IntakeFault, IntakeStatus, Source } from './intake/source.js';
import { loadOrt, type Ort } from './inference/ort.js';
import { probeProvider } from './inference/provider-probe.js';
import { DiskOutbox } from './outbox/disk-outbox.js';
import { MemoryOutbox } from './outbox/memory-outbox.js';
import type { Outbox, OutboxEntry } from './outbox/outbox.js';
import { ModelStore } from './rollout/model-store.js';
import { RolloutController, type RolloutReport } from './rollout/rollout-controller.js';
import { UpstreamEmitter } from './upstream/emitter.js';
import { MqttLink } from './upstream/link.js';
import { UpstreamPublisher } from './upstream/publisher.js';

/** The running edge agent: intake → pipelines → outbox → upstream, plus rollouts and state. */
export class EdgeAgent {
  readonly config: AgentConfig;
  readonly outbox: Outbox;
  readonly #log: Logger;
  readonly #devices = new Map<string, DeviceContext>();
  readonly #timers: NodeJS.Timeout[] = [];
  #source!: Source;
  #link!: MqttLink;
  #north!: Northbound;
  #emitter!: UpstreamEmitter;
  #reporter!: StateReporter;
  #rollouts!: RolloutController;
  #provider: ExecutionProvider | undefined;
  #selector: DeviceSelector;

  private constructor(config: AgentConfig, outbox: Outbox, logger: Logger) {
    this.config = config;
    this.outbox = outbox;
    this.#log = logger;
    this.#selector = config.devices ? { devices: config.devices } : { filter: config.deviceFilter ?? {} };
  }

  /**
   * Opens the outbox, loads onnxruntime, probes providers, connects, restores models, starts intake.
   * `parts.outbox` replaces the configured outbox (fault-injection tests).
   */
  static async start(config: AgentConfig, logger: Logger, parts: { outbox?: Outbox } = {}): Promise<EdgeAgent> {
    await mkdir(config.dataDir, { recursive: true });
    const o = { ...config.outbox, evidenceMaxBytes: config.evidence.outboxMaxBytes };
    const outbox: Outbox =
      parts.outbox ??
      (o.kind === 'memory'
        ? new MemoryOutbox(o)
        : await DiskOutbox.open({ ...o, dir: join(config.dataDir, 'outbox') }));
    const agent = new EdgeAgent(config, outbox, logger);
    await agent.#start();
    return agent;
  }

  async #start(): Promise<void> {
    const c = this.config;
    const ort = await loadOrt(c.inference.onnxruntimePath);
    const probe = await probeProvider(ort, c.inference.providers, this.#log);
    this.#provider = probe.provider;
    if (probe.fallbacks.length > 0)
      this.#log.warn(
        { asked: c.inference.providers, using: probe.provider, fallbacks: probe.fallbacks },
        `execution provider fallback: using ${probe.provider}`,
      );
    const store = new ModelStore(c.dataDir);
    await store.open();
    const up =
      c.upstream ??
      upstreamSchema.parse({ url: c.source.url, username: c.source.username, password: c.source.password });
    this.#link = new MqttLink({
      ...up,
      subscriptions: selectorFilters(this.#selector, ['model/desired']),
      logger: this.#log,
    });
    this.#emitter = new UpstreamEmitter(this.outbox, this.#link);
    this.#reporter = new StateReporter(this.#emitter, this.outbox, () => this.#provider);
    this.#rollouts = await this.#rolloutController(ort, store);
    this.outbox.on('error', (err) => this.#onOutboxFault(err));
    this.outbox.on('shed', (e) => this.#onShed(e));
    this.#north = await Northbound.start(c, this.outbox, this.#log);
    new UpstreamPublisher(this.outbox, this.#link, { maxInflight: up.maxInflight, logger: this.#log });
    this.#link.on('message', (topic, payload) =>
      this.#onDesired(topic, payload).catch((err: Error) =>
        this.#log.error({ topic, err: err.message }, 'model/desired not handled'),
      ),
    );
    this.#link.start();
    if ('devices' in this.#selector) for (const a of this.#selector.devices) await this.#device(a);
    this.#source = new IntakeSources(
      [new MqttSource({ ...c.source, selector: this.#selector, logger: this.#log }), ...fieldbusSources(c, this.#log)],
      this.#log,
    );
    await this.#source.start({
      raw: (a, batch) => (this.#north.raw(batch), this.#withDevice(a, (d) => d.pipeline.onRaw(batch))),
      camera: (a, frame) => this.#withDevice(a, (d) => d.pipeline.onFrame(frame)),
      status: (a, status, fault) => this.#withDevice(a, (d) => this.#onIntake(d, status, fault)),
      latency: (_a, protocol, ms) => this.#north.latency(protocol, ms),
    });
    this.#every(c.heartbeatIntervalMs, (d) => void this.#reporter.heartbeat(d));
    this.#every(c.stateIntervalMs, (d) => this.#publishState(d));
    await writeFile(
      join(c.dataDir, 'agent.json'),
      JSON.stringify({ pid: process.pid, startedAt: Date.now(), provider: this.#provider }),
    );
  }

  async #rolloutController(ort: Ort, store: ModelStore): Promise<RolloutController> {
    const r = this.config.rollout;
    const trustedKeys = { ...(r.trustedKeysDir ? await loadTrustedKeys(r.trustedKeysDir) : {}), ...r.trustedKeys };
    return new RolloutController({
      ort,
      store,
      session: { providers: this.config.inference.providers, intraOpThreads: this.config.inference.intraOpThreads },
      trustedKeys,
      token: r.token,
      ...(r.registryUrl ? { registryUrl: r.registryUrl } : {}),
      maxArtifactBytes: r.maxArtifactBytes,
      downloadRetries: r.downloadRetries,
      downloadTimeoutMs: r.downloadTimeoutMs,
      smokeBudgetMs: this.config.inference.smokeBudgetMs,
      models: (id) => this.#devices.get(id)?.models ?? new DeviceModels(),
      report: (a, rep) =>
        void this.#onRollout(a, rep).catch((err: Error) =>
          this.#log.error({ device: a.device, err: err.message }, 'rollout report not published'),
        ),
      logger: this.#log,
    });
  }

  #every(ms: number, fn: (d: DeviceContext) => Promise<void> | void): void {
    const t = setInterval(() => {
      for (const d of this.#devices.values()) {
        Promise.resolve()
          .then(() => fn(d))
          .catch((err: Error) =>
            this.#log.warn({ device: d.address.device, err: err.message }, 'periodic publish failed'),
          );
      }
    }, ms);
    t.unref();
    this.#timers.push(t);
  }

  #pending = new Map<string, Promise<DeviceContext>>();

  /** Runs `fn` on the device's context; a failure is logged, never left as an unhandled rejection. */
  #withDevice(address: DeviceAddress, fn: (d: DeviceContext) => unknown): void {
    this.#device(address)
      .then(fn)
      .catch((err: Error) => this.#log.error({ device: address.device, err: err.message }, 'device input not handled'));
  }

  /**
   * The context of a device, created (models restored, first state published) on first sight. A
   * failed first state publish is recorded in the context, not cached as a failed device; a failed
   * creation is forgotten so the next sample tries again.
   */
  #device(address: DeviceAddress): Promise<DeviceContext> {
    const known = this.#pending.get(address.device);
    if (known) return known;
    const created = this.#createDevice(address);
    this.#pending.set(address.device, created);
    created.catch(() => {
      if (this.#pending.get(address.device) === created) this.#pending.delete(address.device);
    });
    return created;
  }

  async #createDevice(address: DeviceAddress): Promise<DeviceContext> {
    const models = this.#devices.get(address.device)?.models ?? new DeviceModels();
    const ctx: DeviceContext = { address, models, degraded: false, pipeline: undefined as unknown as DevicePipeline };
    ctx.pipeline = new DevicePipeline({
      address,
      models,
      emitter: this.#emitter,
      config: this.config,
      logger: this.#log,
      onError: (err) => this.#recordError(ctx, err),
      onModelFailure: (model, err, rolledBack) => this.#onModelFailure(ctx, model.manifest, err, rolledBack),
      evidence: { onCount: (reason, outcome) => this.#north.evidence(address.device, reason, outcome) },
    });
    this.#devices.set(address.device, ctx);
    await this.#rollouts.restore(address);
    await this.#publishState(ctx);
    return ctx;
  }

  /** A fieldbus intake reported on a device: its state carries it; a change of link or a new gap is published at once. */
  #onIntake(ctx: DeviceContext, status: IntakeStatus, fault?: IntakeFault): Promise<void> | undefined {
    const before = ctx.intake;
    ctx.intake = status;
    this.#north.intake(ctx.address.device, status);
    if (fault) ctx.lastError = { code: fault.code, message: fault.message, at: fault.at };
    if (before && before.gaps !== status.gaps)
      this.#log.warn(
        { device: ctx.address.device, endpoint: status.endpoint, gap: status.lastGap },
        'intake gap: no samples in between',
      );
    return !before || before.connected !== status.connected || before.gaps !== status.gaps
      ? this.#publishState(ctx)
      : undefined;
  }

  /** Publishes the device's retained state; a failure (outbox write) is recorded and logged, not thrown. */
  async #publishState(ctx: DeviceContext, status?: 'offline'): Promise<void> {
    try {
      await this.#reporter.state(ctx, status);
    } catch (err) {
      this.#recordError(ctx, err as Error);
    }
  }

  /** The outbox dropped an entry: evidence (shed first, by design) is counted for its device; anything else is a warning. */
  #onShed(e: OutboxEntry): void {
    if (e.channel !== 'evidence')
      return void this.#log.warn({ channel: e.channel, device: e.deviceId, seq: e.seq }, 'outbox full: entry shed');
    this.#devices.get(e.deviceId)?.pipeline.evidence?.shed(e);
    this.#log.debug({ device: e.deviceId, seq: e.seq }, 'evidence shed');
  }

  /** A failed outbox write concerns every device the box serves: each one's next state reports it. */
  #onOutboxFault(err: Error): void {
    this.#log.error({ err: err.message, ...this.outbox.stats() }, 'outbox write failed');
    for (const ctx of this.#devices.values())
      ctx.lastError = { code: errorCode(err, 'OUTBOX_WRITE_FAILED'), message: err.message, at: Date.now() };
  }

  #recordError(ctx: DeviceContext, err: Error): void {
    ctx.lastError = { code: errorCode(err, 'ERROR'), message: err.message, at: Date.now() };
    this.#log.warn({ device: ctx.address.device, err: err.message }, 'device pipeline error');
  }

  #onModelFailure(ctx: DeviceContext, m: ModelManifest, err: Error, rolledBack: boolean): void {
    this.#recordError(ctx, err);
    ctx.degraded = !rolledBack;
    ctx.rollout = {
      rolloutId: ctx.rollout?.rolloutId ?? 'runtime',
      name: m.name,
      version: m.version,
      status: 'rolled-back',
      reason: `failed at run time: ${err.message}`,
      at: Date.now(),
    };
    const saved = rolledBack ? this.#rollouts.persistRollback(ctx.address, m.kind) : Promise.resolve();
    void saved
      .catch((e: Error) =>
        this.#recordError(
          ctx,
          new EdgeError('MODEL_STORE_FAILED', `run-time rollback of ${m.name} v${m.version} not saved: ${e.message}`, {
            cause: e,
          }),
        ),
      )
      .then(() => this.#publishState(ctx));
  }

  async #onRollout(address: DeviceAddress, rep: RolloutReport): Promise<void> {
    const ctx = await this.#device(address);
    ctx.rollout = rep;
    if (rep.status === 'rejected' || rep.status === 'rolled-back')
      ctx.lastError = { code: rep.code ?? 'ROLLOUT_FAILED', message: rep.reason ?? rep.status, at: rep.at };
    if (rep.status === 'applied') ctx.degraded = false;
    await this.#publishState(ctx);
  }

  async #onDesired(topic: string, payload: Buffer): Promise<void> {
    let decoded;
    try {
      decoded = decodePublish(topic, payload);
    } catch (err) {
      this.#log.warn({ topic, err: (err as Error).message }, 'model/desired refused');
      return;
    }
    if (!isPublishOn(decoded, 'model/desired')) return;
    const { site, line, device } = decoded.topic;
    await this.#device({ site, line, device });
    await this.#rollouts.handle({ site, line, device }, decoded.message);
  }

  /** Waits until every device pipeline has processed what it was given (tests, benchmarks). */
  async idle(): Promise<void> {
    await Promise.all([...this.#devices.values()].map((d) => d.pipeline.idle()));
  }

  /** Stops intake, publishes a last state, waits briefly for the outbox to drain, closes everything. */
  async stop(drainMs = 2_000): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await this.#source.stop();
    await this.idle();
    for (const d of this.#devices.values()) await this.#publishState(d, 'offline');
    if (this.outbox.stats().depth > 0 && this.#link.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, drainMs);
        this.outbox.on('drained', () => (clearTimeout(t), resolve()));
      });
    }
    await this.#north.stop();
    await this.#link.stop();
    await this.outbox.close();
    for (const d of this.#devices.values()) await d.models.releaseAll();
  }
}
