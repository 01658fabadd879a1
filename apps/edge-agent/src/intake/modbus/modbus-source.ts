import type { Logger } from '@takt/runtime';
import { DeviceIntakeStatus } from '../intake-status.js';
import { SampleBatcher } from '../sample-batcher.js';
import type { Source, SourceHandlers } from '../source.js';
import type { ModbusSourceConfig } from './modbus-config.js';
import { ModbusLink } from './modbus-link.js';
import { PollGroup } from './poll-group.js';

export interface ModbusSourceOptions {
  config: ModbusSourceConfig;
  logger: Logger;
  /** a poll finished (benchmarks, tests) */
  onPoll?: (device: string, slot: number, values: Record<string, number>) => void;
}

/**
 * Modbus intake: one connection (TCP, or RTU on a serial line through the same code path), its devices'
 * poll groups each at their own rate, samples handed over as raw batches of the device.
 */
export class ModbusSource implements Source {
  readonly #o: ModbusSourceOptions;
  readonly #link: ModbusLink;
  readonly #groups: PollGroup[] = [];
  readonly #statuses: DeviceIntakeStatus[] = [];
  rejected = 0;

  constructor(options: ModbusSourceOptions) {
    this.#o = options;
    const c = options.config;
    this.#link = new ModbusLink({
      url: c.url,
      timeoutMs: c.timeoutMs,
      reconnectMinMs: c.reconnectMinMs,
      reconnectMaxMs: c.reconnectMaxMs,
      maxInFlight: c.maxInFlight,
      logger: options.logger,
    });
  }

  get connected(): boolean {
    return this.#link.connected;
  }

  start(handlers: SourceHandlers): Promise<void> {
    const { config: c, logger } = this.#o;
    for (const device of c.devices) {
      const address = { site: device.site, line: device.line, device: device.device };
      const status = new DeviceIntakeStatus(address, 'modbus', c.url, handlers.status?.bind(handlers));
      this.#statuses.push(status);
      let seq = 0;
      const units = Object.fromEntries(
        device.polls.flatMap((p) => p.registers.filter((r) => r.unit).map((r) => [r.sensor, r.unit!])),
      );
      device.polls.forEach((poll, i) => {
        const batcher = new SampleBatcher({
          address,
          periodMs: poll.intervalMs,
          batchMs: c.batchMs,
          machineType: device.machineType,
          units,
          nextSeq: () => seq++,
          emit: (b) => handlers.raw(address, b),
          onLatency: (ms) => handlers.latency?.(address, 'modbus', ms),
        });
        const name = `${device.device}/${poll.name ?? `poll-${i}`}`;
        const onPoll =
          this.#o.onPoll &&
          ((slot: number, values: Record<string, number>) => this.#o.onPoll?.(device.device, slot, values));
        this.#groups.push(
          new PollGroup({ link: this.#link, device, poll, name, retries: c.retries, batcher, status, logger, onPoll }),
        );
      });
    }
    this.#link.on('up', () => this.#statuses.forEach((s) => s.link(true)));
    this.#link.on('down', (err) =>
      this.#statuses.forEach((s) =>
        s.link(false, { code: 'MODBUS_DISCONNECTED', message: err.message, at: Date.now() }),
      ),
    );
    this.#link.start();
    for (const g of this.#groups) g.start();
    logger.info(
      { url: c.url, devices: c.devices.map((d) => d.device), polls: this.#groups.length },
      'modbus intake started',
    );
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#groups.map((g) => g.stop()));
    await this.#link.stop();
  }
}
