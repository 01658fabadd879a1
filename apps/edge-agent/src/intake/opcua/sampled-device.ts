import type { DataValue } from 'node-opcua-client';
import type { DeviceIntakeStatus } from '../intake-status.js';
import type { SampleBatcher } from '../sample-batcher.js';
import type { OpcuaDevice } from './opcua-config.js';

/** Severity bits of a StatusCode: 00 good, 01 uncertain, 10 bad [OPC UA Part 4 §7.39]. */
const severity = (code: number): 'good' | 'uncertain' | 'bad' =>
  (['good', 'uncertain', 'bad', 'bad'] as const)[code >>> 30]!;

/**
 * One device read over OPC UA: holds each node's last good value (subscriptions report changes, and a
 * deadband hides small ones) and samples the held values on a fixed clock into evenly spaced raw batches.
 * A value with a bad or uncertain status never reaches a batch: the sensor drops out until a good value
 * comes, and the refusal is counted in the device's intake status.
 */
export class SampledDevice {
  readonly device: OpcuaDevice;
  /** `opcua[k].devices[j]`, the config path errors name */
  readonly where: string;
  readonly #status: DeviceIntakeStatus;
  readonly #batcher: SampleBatcher;
  readonly #held = new Map<string, number>();
  /** sensors whose held value changed since the last sample → when it changed (source timestamp) */
  readonly #fresh = new Map<string, number>();
  readonly #connected: () => boolean;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** last refusal message per node, so a standing bad status is logged once, not per sample */
  readonly #lastBad = new Map<number, string>();

  constructor(
    device: OpcuaDevice,
    where: string,
    status: DeviceIntakeStatus,
    batcher: SampleBatcher,
    connected: () => boolean,
  ) {
    this.device = device;
    this.where = where;
    this.#status = status;
    this.#batcher = batcher;
    this.#connected = connected;
  }

  get status(): DeviceIntakeStatus {
    return this.#status;
  }

  /** A data change notification of node `i`. */
  onValue(i: number, dv: DataValue): void {
    const node = this.device.nodes[i]!;
    const sev = severity(dv.statusCode.value);
    const raw: unknown = dv.value?.value;
    const value =
      typeof raw === 'number'
        ? raw * node.scale + node.offset
        : typeof raw === 'boolean'
          ? Number(raw) * node.scale + node.offset
          : NaN;
    if (sev === 'good' && Number.isFinite(value)) {
      this.#held.set(node.sensor, value);
      this.#fresh.set(node.sensor, (dv.sourceTimestamp ?? dv.serverTimestamp)?.getTime() ?? Date.now());
      this.#lastBad.delete(i);
      return;
    }
    this.#held.delete(node.sensor);
    const why = sev !== 'good' ? `status ${dv.statusCode.toString()}` : `value ${String(raw)} is not a finite number`;
    const message = `${this.where}.nodes[${i}] (sensor "${node.sensor}", ${node.nodeId}): ${why}`;
    this.#status.refused(1, { code: sev !== 'good' ? 'OPCUA_BAD_STATUS' : 'OPCUA_BAD_VALUE', message, at: Date.now() });
    this.#lastBad.set(i, message);
  }

  /** Samples what is held every samplingIntervalMs, on slots aligned to the wall clock. */
  start(): void {
    const every = this.device.samplingIntervalMs;
    this.#schedule(Math.ceil(Date.now() / every) * every);
  }

  #schedule(slot: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(
      () => {
        this.#sample(slot);
        const every = this.device.samplingIntervalMs;
        let next = slot + every;
        while (next + every <= Date.now()) next += every; // an event loop that stalled misses slots, it does not invent them
        if (next > slot + every) this.#batcher.miss();
        this.#schedule(next);
      },
      Math.max(0, slot - Date.now()),
    );
  }

  #sample(slot: number): void {
    if (!this.#connected() || this.#held.size === 0) {
      this.#batcher.miss();
      this.#status.missed();
      return;
    }
    this.#batcher.push(
      slot,
      Object.fromEntries(
        this.device.nodes.filter((n) => this.#held.has(n.sensor)).map((n) => [n.sensor, this.#held.get(n.sensor)!]),
      ),
      [...this.#fresh.values()],
    );
    this.#fresh.clear();
    this.#status.good(slot);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#batcher.flush();
  }
}
