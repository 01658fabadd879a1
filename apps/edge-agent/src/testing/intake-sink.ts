import type { DeviceAddress, RawSampleBatch } from '@takt/contracts';
import type { IntakeFault, IntakeStatus, SourceHandlers } from '../intake/source.js';

/** Collects what a source hands the agent; tests wait on it by predicate (woken by each event, never a sleep). */
export class IntakeSink {
  batches: RawSampleBatch[] = [];
  statuses: { address: DeviceAddress; status: IntakeStatus; fault?: IntakeFault }[] = [];
  /** ms from a value change to its batch's handover, per device */
  latencies: { device: string; ms: number }[] = [];
  #waits: (() => void)[] = [];
  readonly handlers: SourceHandlers = {
    raw: (_a, b) => this.#add(() => this.batches.push(b)),
    camera: () => undefined,
    status: (address, status, fault) => this.#add(() => this.statuses.push({ address, status, fault })),
    latency: (address, _protocol, ms) => this.latencies.push({ device: address.device, ms }),
  };

  #add(f: () => void): void {
    f();
    for (const w of [...this.#waits]) w();
  }

  /** Batches of a device that carry a sensor. */
  of(device: string, sensor: string): RawSampleBatch[] {
    return this.batches.filter((b) => b.deviceId === device && b.sensors[sensor]);
  }

  /** Every value a device's sensor had in a batch. */
  values(device: string, sensor: string): number[] {
    return this.of(device, sensor).flatMap((b) => b.sensors[sensor]!.values);
  }

  faults(code: string): { address: DeviceAddress; status: IntakeStatus; fault?: IntakeFault }[] {
    return this.statuses.filter((s) => s.fault?.code === code);
  }

  until(what: string, pred: () => boolean, ms = 15_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(t);
        this.#waits = this.#waits.filter((w) => w !== check);
        resolve();
      };
      const t = setTimeout(() => {
        this.#waits = this.#waits.filter((w) => w !== check);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      this.#waits.push(check);
    });
  }
}
