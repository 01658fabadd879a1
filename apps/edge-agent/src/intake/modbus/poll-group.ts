import { errorCode } from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import type { DeviceIntakeStatus } from '../intake-status.js';
import type { SampleBatcher } from '../sample-batcher.js';
import type { ModbusDevice, ModbusPoll } from './modbus-config.js';
import { ModbusExceptionError, type ModbusLink } from './modbus-link.js';
import { decodeValue, planReads, type ReadBlock } from './register-map.js';

export interface PollGroupOptions {
  link: ModbusLink;
  device: ModbusDevice;
  poll: ModbusPoll;
  /** name in logs and errors: `<device>/<poll name>` */
  name: string;
  /** extra tries of a timed-out read */
  retries: number;
  batcher: SampleBatcher;
  status: DeviceIntakeStatus;
  logger: Logger;
  /** a poll finished: the slot it was for and the values it read (benchmarks, tests) */
  onPoll?: (slot: number, values: Record<string, number>) => void;
}

/**
 * Reads one poll group at its own rate, on slots aligned to the wall clock (`intervalMs` apart). A slot
 * whose poll is still running or that the link cannot serve is missed; a block the server refuses
 * (exception) or whose value is not a finite number is counted as refused, and the other blocks still count.
 */
export class PollGroup {
  readonly #o: PollGroupOptions;
  readonly #blocks: ReadBlock[];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running: Promise<void> = Promise.resolve();
  /** last error message per block, so a standing fault is logged once and not every poll */
  readonly #lastError = new Map<ReadBlock, string>();
  /** the last value read per sensor, to tell a change (Modbus carries no timestamps: it changed at or before the poll) */
  readonly #last = new Map<string, number>();

  constructor(options: PollGroupOptions) {
    this.#o = options;
    this.#blocks = planReads(options.poll.registers);
  }

  start(): void {
    const every = this.#o.poll.intervalMs;
    this.#schedule(Math.ceil(Date.now() / every) * every);
  }

  #schedule(slot: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#tick(slot), Math.max(0, slot - Date.now()));
  }

  #tick(slot: number): void {
    this.#running = this.#pollSlot(slot).catch((err: Error) =>
      this.#o.logger.error({ poll: this.#o.name, err: err.message }, 'modbus poll failed'),
    );
    void this.#running.then(() => {
      const every = this.#o.poll.intervalMs;
      let next = slot + every;
      // slots that passed while this poll ran are missed, not polled late
      while (next + every <= Date.now()) next += every;
      if (next > slot + every) this.#o.batcher.miss();
      this.#schedule(next);
    });
  }

  async #pollSlot(slot: number): Promise<void> {
    const o = this.#o;
    if (!o.link.connected) {
      o.batcher.miss();
      o.status.missed();
      return;
    }
    const values: Record<string, number> = {};
    let failed: Error | undefined;
    for (const block of this.#blocks) {
      try {
        const data = await this.#read(block);
        this.#lastError.delete(block);
        for (const v of block.values) this.#accept(v.register.sensor, decodeValue(v, data), values, block);
      } catch (err) {
        failed = err as Error;
        this.#onBlockError(block, failed);
      }
    }
    o.onPoll?.(slot, values);
    if (Object.keys(values).length === 0) {
      o.batcher.miss();
      o.status.missed();
      return;
    }
    const changed: number[] = [];
    for (const [sensor, v] of Object.entries(values)) {
      if (this.#last.has(sensor) && this.#last.get(sensor) !== v) changed.push(slot);
      this.#last.set(sensor, v);
    }
    o.batcher.push(slot, values, changed);
    o.status.good(slot);
  }

  #accept(sensor: string, value: number, into: Record<string, number>, block: ReadBlock): void {
    if (Number.isFinite(value)) into[sensor] = value;
    else
      this.#o.status.refused(1, {
        code: 'MODBUS_BAD_VALUE',
        message: `${this.#describe(block)}: sensor "${sensor}" read ${value}`,
        at: Date.now(),
      });
  }

  async #read(block: ReadBlock): Promise<(number | boolean)[]> {
    const o = this.#o;
    for (let attempt = 0; ; attempt++) {
      try {
        return await o.link.read(o.device.unitId, block.table, block.address, block.length);
      } catch (err) {
        if (errorCode(err, '') !== 'MODBUS_TIMEOUT' || attempt >= o.retries || !o.link.connected) throw err;
      }
    }
  }

  #onBlockError(block: ReadBlock, err: Error): void {
    const o = this.#o;
    const code = errorCode(err, 'MODBUS_IO');
    const message = `${this.#describe(block)}: ${err.message}`;
    if (err instanceof ModbusExceptionError) o.status.refused(block.values.length, { code, message, at: Date.now() });
    if (this.#lastError.get(block) !== message)
      o.logger.warn({ poll: o.name, code, err: message }, 'modbus read failed');
    this.#lastError.set(block, message);
  }

  #describe(b: ReadBlock): string {
    const sensors = b.values.map((v) => v.register.sensor).join(', ');
    return `${this.#o.name} unit ${this.#o.device.unitId} ${b.table} ${b.address}..${b.address + b.length - 1} (${sensors})`;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    this.#o.batcher.flush();
  }
}
