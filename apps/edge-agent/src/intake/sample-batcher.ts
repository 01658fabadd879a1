import { SCHEMA_VERSION, type DeviceAddress, type RawSampleBatch } from '@takt/contracts';

export interface SampleBatcherOptions {
  address: DeviceAddress;
  /** ms between readings (the series' rate is 1000 / periodMs) */
  periodMs: number;
  /** ms of readings per batch; a batch leaves once it holds this much */
  batchMs: number;
  machineType?: string;
  /** units of the sensors, by sensor name */
  units?: Record<string, string>;
  /** next `seq` of the device's raw batches (shared by every batcher of one device) */
  nextSeq: () => number;
  emit: (batch: RawSampleBatch) => void;
  /** ms from each value change in the batch to the batch's handover (what the PLC changed → the window has it) */
  onLatency?: (ms: number) => void;
}

/**
 * Turns periodic readings of one device (a Modbus poll group, sampled OPC UA values) into evenly
 * spaced RawSampleBatches. A missed reading or a change in the set of sensors read closes the batch,
 * so every series in a batch is contiguous from its `t0` and a gap in the readings stays a gap.
 */
export class SampleBatcher {
  readonly #o: SampleBatcherOptions;
  readonly #rate: number;
  #t0 = 0;
  #next = 0;
  #count = 0;
  #series: Record<string, number[]> = {};
  #key = '';
  /** when the values that changed in the pending batch changed (source timestamps, or the poll that saw them) */
  #changes: number[] = [];

  constructor(options: SampleBatcherOptions) {
    this.#o = options;
    this.#rate = 1000 / options.periodMs;
  }

  /** A reading taken at `t` (ms since epoch, the slot it was scheduled for); `changedAt`: when its changed values changed. */
  push(t: number, values: Record<string, number>, changedAt: readonly number[] = []): void {
    const names = Object.keys(values);
    if (names.length === 0) return this.miss();
    const key = names.join('\u0000');
    if (this.#count > 0 && (key !== this.#key || Math.abs(t - this.#next) > this.#o.periodMs / 2)) this.flush();
    if (this.#count === 0) {
      this.#t0 = t;
      this.#key = key;
      this.#series = Object.fromEntries(names.map((n) => [n, []]));
    }
    for (const n of names) this.#series[n]!.push(values[n]!);
    this.#count++;
    for (const c of changedAt) this.#changes.push(c);
    this.#next = this.#t0 + this.#count * this.#o.periodMs;
    if (this.#count * this.#o.periodMs >= this.#o.batchMs) this.flush();
  }

  /** No reading for a slot: what is held leaves now, the next reading starts a new batch. */
  miss(): void {
    this.flush();
  }

  /** Sends what is held as one batch. */
  flush(): void {
    if (this.#count === 0) return;
    const o = this.#o;
    const sensors: RawSampleBatch['sensors'] = {};
    for (const [name, values] of Object.entries(this.#series)) {
      const unit = o.units?.[name];
      sensors[name] = { rate: this.#rate, values, ...(unit ? { unit } : {}) };
    }
    this.#count = 0;
    this.#series = {};
    const changes = this.#changes;
    this.#changes = [];
    o.emit({
      schemaVersion: SCHEMA_VERSION,
      deviceId: o.address.device,
      ts: Date.now(),
      seq: o.nextSeq(),
      t0: this.#t0,
      ...(o.machineType ? { machineType: o.machineType } : {}),
      sensors,
    });
    if (o.onLatency) for (const c of changes) o.onLatency(Date.now() - c);
  }
}
