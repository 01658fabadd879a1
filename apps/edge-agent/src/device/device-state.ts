import type { DeviceAddress, DeviceState, ExecutionProvider } from '@takt/contracts';
import type { IntakeStatus } from '../intake/source.js';
import type { Outbox } from '../outbox/outbox.js';
import type { RolloutReport } from '../rollout/rollout-controller.js';
import type { UpstreamEmitter } from '../upstream/emitter.js';
import type { DeviceModels } from './device-models.js';
import type { DevicePipeline } from './device-pipeline.js';

export const AGENT_VERSION = '0.1.0';

/** One served device: its models, pipeline and what its retained `state` reports. */
export interface DeviceContext {
  address: DeviceAddress;
  models: DeviceModels;
  pipeline: DevicePipeline;
  lastError?: { code: string; message: string; at: number };
  rollout?: RolloutReport;
  degraded: boolean;
  /** what a fieldbus intake last reported on the device (OPC UA, Modbus) */
  intake?: IntakeStatus;
}

/** Publishes retained `state` (QoS 1, through the outbox) and best-effort `heartbeat` messages for devices. */
export class StateReporter {
  readonly #emitter: UpstreamEmitter;
  readonly #outbox: Outbox;
  readonly #startedAt = Date.now();
  readonly #provider: () => ExecutionProvider | undefined;

  constructor(emitter: UpstreamEmitter, outbox: Outbox, provider: () => ExecutionProvider | undefined) {
    this.#emitter = emitter;
    this.#outbox = outbox;
    this.#provider = provider;
  }

  async state(ctx: DeviceContext, status?: DeviceState['status']): Promise<void> {
    const stats = this.#outbox.stats();
    const r = ctx.rollout;
    const provider = ctx.models.provider() ?? this.#provider();
    await this.#emitter.emit(ctx.address, 'state', {
      status: status ?? (ctx.degraded ? 'degraded' : 'online'),
      models: ctx.models.list(),
      ...(provider ? { provider } : {}),
      outboxDepth: stats.depth,
      shed: stats.shed,
      ...(ctx.lastError
        ? {
            lastError: {
              code: ctx.lastError.code.slice(0, 64),
              message: ctx.lastError.message.slice(0, 1024),
              at: ctx.lastError.at,
            },
          }
        : {}),
      ...(r
        ? {
            rollout: {
              rolloutId: r.rolloutId,
              name: r.name,
              version: r.version,
              status: r.status,
              at: r.at,
              ...(r.reason ? { reason: r.reason } : {}),
            },
          }
        : {}),
      agentVersion: AGENT_VERSION,
      ...(ctx.intake ? { intake: ctx.intake } : {}),
      ...(ctx.pipeline.evidence ? { evidence: ctx.pipeline.evidence.counts() } : {}),
    });
  }

  /** Sends a best-effort heartbeat (QoS 0, not queued: see UpstreamEmitter.beacon); false while the link is down. */
  heartbeat(ctx: DeviceContext): boolean {
    const cpu = process.cpuUsage();
    const uptimeS = (Date.now() - this.#startedAt) / 1000;
    return this.#emitter.beacon(ctx.address, 'heartbeat', {
      uptimeS,
      outboxDepth: this.#outbox.stats().depth,
      rssBytes: process.memoryUsage().rss,
      cpuPercent: Math.min(10_000, uptimeS > 0 ? ((cpu.user + cpu.system) / 1e6 / uptimeS) * 100 : 0),
      windowsScored: ctx.pipeline.windowsScored,
    });
  }
}
