/** One fault-CNN verdict on a device's newest raw window, as a `features` message carried it. */
export interface FaultPoint {
  /** end of the window the verdict is about, ms epoch */
  ts: number;
  label: string;
  confidence: number;
  model: { name: string; version: number };
}

/** The fault CNN's recent verdicts per device (oldest first), bounded per device and in devices. */
export class FaultLog {
  readonly #byDevice = new Map<string, FaultPoint[]>();

  constructor(
    private readonly perDevice = 120,
    private readonly maxDevices = 10_000,
  ) {}

  add(deviceId: string, point: FaultPoint): void {
    let list = this.#byDevice.get(deviceId);
    if (!list) {
      if (this.#byDevice.size >= this.maxDevices) {
        const oldest = this.#byDevice.keys().next().value;
        if (oldest !== undefined) this.#byDevice.delete(oldest);
      }
      this.#byDevice.set(deviceId, (list = []));
    }
    const at = list.findLastIndex((p) => p.ts <= point.ts); // oldest first, even out of order
    if (list[at]?.ts === point.ts) list[at] = point;
    else list.splice(at + 1, 0, point);
    if (list.length > this.perDevice) list.splice(0, list.length - this.perDevice);
  }

  /** the device's verdicts, oldest first; empty when no fault CNN has reported */
  history(deviceId: string): FaultPoint[] {
    return [...(this.#byDevice.get(deviceId) ?? [])];
  }

  latest(deviceId: string): FaultPoint | undefined {
    return this.#byDevice.get(deviceId)?.at(-1);
  }
}
