import type { EvidenceReason, RawSampleBatch } from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import type { AgentConfig } from '../config.js';
import { AGENT_VERSION } from '../device/device-state.js';
import type { EvidenceOutcome } from '../evidence/evidence-collector.js';
import type { IntakeStatus } from '../intake/source.js';
import { EdgeMetrics } from '../metrics/edge-metrics.js';
import type { Outbox } from '../outbox/outbox.js';
import { SparkplugNode } from './sparkplug/sparkplug-node.js';

/** What the agent shows beyond its own upstream: a SCADA host over Sparkplug B, Prometheus over `/metrics`. */
export class Northbound {
  readonly metrics: EdgeMetrics | undefined;
  readonly metricsPort: number | undefined;
  readonly #sparkplug: SparkplugNode | undefined;

  private constructor(
    metrics: EdgeMetrics | undefined,
    metricsPort: number | undefined,
    sparkplug: SparkplugNode | undefined,
  ) {
    this.metrics = metrics;
    this.metricsPort = metricsPort;
    this.#sparkplug = sparkplug;
  }

  /** Starts what the config asks for (`sparkplug`, `metrics`); nothing when it asks for neither. */
  static async start(
    config: Pick<AgentConfig, 'sparkplug' | 'metrics' | 'dataDir'>,
    outbox: Outbox,
    logger: Logger,
  ): Promise<Northbound> {
    const metrics = config.metrics ? new EdgeMetrics({ version: AGENT_VERSION, outbox }) : undefined;
    const port = config.metrics && metrics ? await metrics.listen(config.metrics.host, config.metrics.port) : undefined;
    if (port !== undefined) logger.info({ url: `http://${config.metrics!.host}:${port}/metrics` }, 'metrics served');
    const sparkplug = config.sparkplug
      ? await SparkplugNode.start(config.sparkplug, outbox, logger, config.dataDir)
      : undefined;
    return new Northbound(metrics, port, sparkplug);
  }

  raw(batch: RawSampleBatch): void {
    this.metrics?.raw(batch);
  }

  intake(device: string, status: IntakeStatus): void {
    this.metrics?.intake(device, status);
  }

  latency(protocol: IntakeStatus['protocol'], ms: number): void {
    this.metrics?.latency(protocol, ms);
  }

  evidence(device: string, reason: EvidenceReason, outcome: EvidenceOutcome): void {
    this.metrics?.evidence(device, reason, outcome);
  }

  async stop(): Promise<void> {
    await this.#sparkplug?.stop();
    await this.metrics?.close();
  }
}
