import type { Server } from 'node:http';
import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import { ContractError, decodePublish, isPublishOn } from '@takt/contracts';
import { DiskBlobStore } from '@takt/evidence-store';
import type { Logger } from '@takt/runtime';
import { isStoreError, TelemetryLineEncoder, TelemetryStore, toPoints } from '@takt/telemetry-store';
import { AckGate } from './ack-gate.js';
import { BatchWriter } from './batch-writer.js';
import { Batcher } from './batcher.js';
import type { IngestorConfig } from './config.js';
import { DeadLetterFile } from './dead-letter.js';
import { EvidenceRefusal, EvidenceSink } from './evidence-sink.js';
import { IngestorMetrics, serveMetrics, type IngestorGauges } from './metrics.js';
import { DiskSpool } from './spool.js';

/**
 * MQTT → InfluxDB. Subscribes QoS 1 on a persistent session, validates every publish against the
 * contracts, batches points, and acknowledges a message only once it is written, spooled to disk
 * or dead-lettered — so a crash at any moment loses nothing (the broker redelivers, writes are
 * idempotent).
 */
export class Ingestor {
  readonly metrics = new IngestorMetrics();
  /** base URL of `/metrics` and `/healthz` */
  metricsUrl = '';
  readonly #config: IngestorConfig;
  readonly #logger: Logger;
  readonly #store: TelemetryStore;
  readonly #client: MqttClient;
  readonly #gate: AckGate;
  readonly #batcher: Batcher;
  readonly #writer: BatchWriter;
  readonly #deadLetters: DeadLetterFile;
  readonly #evidence: EvidenceSink;
  /** telemetry straight from payload bytes to points; anything else takes decodePublish */
  readonly #telemetry = new TelemetryLineEncoder();
  #server: Server | undefined;
  readonly #schemaReady: Promise<void>;
  readonly #subscribed: Promise<void>;
  #onSubscribed: () => void = () => undefined;
  #stopping = false;
  #isSubscribed = false;

  private constructor(parts: {
    config: IngestorConfig;
    logger: Logger;
    store: TelemetryStore;
    spool: DiskSpool;
    client: MqttClient;
  }) {
    const { config, logger, store, spool, client } = parts;
    this.#config = config;
    this.#logger = logger;
    this.#store = store;
    this.#client = client;
    this.#gate = new AckGate(client);
    this.#deadLetters = new DeadLetterFile(config.deadLetterFile);
    this.#writer = new BatchWriter({
      write: (lines) => store.writeLines(lines),
      spool,
      deadLetters: this.#deadLetters,
      metrics: this.metrics,
      logger,
      onSafe: (tokens) => this.#gate.done(tokens),
      concurrency: config.batch.concurrency,
      memoryPoints: config.buffer.memoryPoints,
      retryMinMs: config.buffer.retryMinMs,
      retryMaxMs: config.buffer.retryMaxMs,
    });
    this.#batcher = new Batcher({
      maxPoints: config.batch.maxPoints,
      maxAgeMs: config.batch.maxAgeMs,
      onBatch: (b) => this.#writer.submit(b),
    });
    this.#evidence = new EvidenceSink({
      blobs: config.evidence ? new DiskBlobStore({ dir: config.evidence.dir }) : undefined,
      onStored: (points, token) => this.#batcher.add(points, token),
      onRefused: (err, topic, payload, token) => this.#deadLetter(err, topic, payload, token),
      metrics: this.metrics,
      logger,
      attempts: config.evidence?.attempts ?? 1,
      ...(config.evidence ? { perDevice: config.evidence.perDevice } : {}),
      retryMinMs: config.buffer.retryMinMs,
      retryMaxMs: config.buffer.retryMaxMs,
    });
    this.#schemaReady = this.#ensureSchema();
    this.#subscribed = new Promise((resolve) => (this.#onSubscribed = resolve));
  }

  /** Opens the spool, serves metrics, connects to influxd (schema in the background) and the broker. */
  static async start(config: IngestorConfig, logger: Logger): Promise<Ingestor> {
    const store = await TelemetryStore.connect({ ...config.influx, ensureSchema: false });
    const spool = await DiskSpool.open(config.buffer.spoolDir);
    const b = config.broker;
    const client = connect(b.url, {
      clientId: b.clientId,
      clean: false,
      username: b.username,
      password: b.password,
      keepalive: b.keepaliveS,
      reconnectPeriod: b.reconnectMs,
      protocolVersion: 4,
      manualConnect: true,
    });
    const self = new Ingestor({ config, logger, store, spool, client });
    try {
      const { server, url } = await serveMetrics(
        config.metrics.host,
        config.metrics.port,
        self.metrics,
        self.#gauges(spool),
      );
      self.#server = server;
      self.metricsUrl = url;
    } catch (err) {
      client.end(true);
      await store.close();
      throw err;
    }
    self.#wire();
    self.#writer.start();
    client.connect();
    return self;
  }

  #gauges(spool: DiskSpool): IngestorGauges {
    return {
      memoryPoints: () => this.#writer.memoryPoints,
      spoolPoints: () => spool.points,
      spoolSegments: () => spool.segments,
      pendingAcks: () => this.#gate.pending,
      mqttConnected: () => this.#client.connected && this.#isSubscribed,
      influxHealthy: () => this.#writer.healthy,
    };
  }

  /** Resolves once connected and subscribed (first CONNACK + SUBACK) and the InfluxDB schema exists. */
  async ready(): Promise<void> {
    await Promise.all([this.#subscribed, this.#schemaReady]);
  }

  /** Resolves when every received message is written and nothing is buffered or spooled. */
  async idle(): Promise<void> {
    await this.#evidence.idle();
    this.#batcher.flush();
    await this.#writer.idle();
  }

  /** Stops taking messages, makes every received one safe (written or spooled, then acked), disconnects. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    // evidence whose blob is being written gets its point into the last batch (or is dead-lettered)
    await this.#evidence.idle(timeoutMs);
    this.#batcher.flush();
    await this.#writer.close(timeoutMs);
    await this.#deadLetters.close();
    // a graceful DISCONNECT waits for requests in flight; a broker that stopped answering gets a hard close
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => this.#client.end(true, {}, () => resolve()), timeoutMs);
      this.#client.end(false, {}, () => {
        clearTimeout(force);
        resolve();
      });
    });
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    await this.#store.close();
  }

  #wire(): void {
    const client = this.#client;
    client.on('connect', (connack) => {
      this.#logger.info(
        { sessionPresent: connack.sessionPresent, filters: this.#config.broker.filters },
        'connected to broker',
      );
      const stream = client.stream;
      const timeoutMs = this.#config.broker.subscribeTimeoutMs;
      const deadline = setTimeout(() => {
        if (client.stream !== stream || !client.connected || this.#stopping) return;
        this.metrics.subscribeTimeouts++;
        this.#logger.error(
          { timeoutMs, filters: this.#config.broker.filters },
          'no SUBACK from the broker; dropping the connection to subscribe again',
        );
        stream.destroy();
      }, timeoutMs);
      deadline.unref();
      client.subscribe(this.#config.broker.filters, { qos: 1 }, (err, granted) => {
        clearTimeout(deadline);
        if (err) this.#logger.error({ err }, 'subscribe failed');
        else if (granted?.some((g) => g.qos > 2)) this.#logger.error({ granted }, 'broker refused a subscription');
        else {
          this.#isSubscribed = true;
          this.#onSubscribed();
        }
      });
    });
    client.on('message', (topic, payload, packet) => this.#receive(topic, payload, packet));
    client.on('error', (err) => this.#logger.warn({ err }, 'mqtt error'));
    client.on('close', () => (this.#isSubscribed = false));
    client.on('offline', () => this.#logger.warn('broker connection lost; reconnecting'));
  }

  #receive(topic: string, payload: Buffer, packet: IPublishPacket): void {
    this.metrics.messagesReceived++;
    const token = this.#gate.track(packet);
    let points = this.#telemetry.encode(topic, payload);
    if (points) {
      this.#batcher.add(points, token);
      return;
    }
    try {
      const decoded = decodePublish(topic, payload);
      if (isPublishOn(decoded, 'evidence')) {
        this.#evidence.accept(decoded, token, topic, payload);
        return;
      }
      points = toPoints(decoded);
    } catch (err) {
      this.#deadLetter(err, topic, payload, token);
      return;
    }
    this.#batcher.add(points, token);
  }

  #deadLetter(err: unknown, topic: string, payload: Buffer, token: number): void {
    const reason =
      err instanceof ContractError || isStoreError(err) || err instanceof EvidenceRefusal ? err.code : 'ERROR';
    this.metrics.deadLettered(reason);
    this.#deadLetters
      .add({ topic, reason, message: (err as Error).message, payload })
      .then(() => this.#gate.done(token))
      .catch((e: unknown) =>
        this.#logger.error(
          { err: e, file: this.#deadLetters.file },
          'cannot write the dead-letter file; message stays unacknowledged',
        ),
      );
  }

  async #ensureSchema(): Promise<void> {
    for (let attempt = 0; !this.#stopping; attempt++) {
      try {
        await this.#store.ensureSchema();
        return;
      } catch (err) {
        if (attempt === 0) this.#logger.warn({ err }, 'cannot create the InfluxDB schema yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** attempt)));
      }
    }
  }
}
