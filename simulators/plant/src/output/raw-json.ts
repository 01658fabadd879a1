import { encode, SCHEMA_VERSION, type RawSampleBatch } from '@takt/contracts';
import type { BatchView } from '../machine.js';

/** The batch as a contracts message (fresh arrays; safe to keep). */
export function rawMessage(view: BatchView): RawSampleBatch {
  const sensors: RawSampleBatch['sensors'] = {};
  for (const c of view.sensors) sensors[c.name] = { rate: c.rate, unit: c.unit, values: Array.from(c.values) };
  return {
    schemaVersion: SCHEMA_VERSION,
    deviceId: view.address.device,
    ts: view.ts,
    seq: view.seq,
    t0: view.t0,
    machineType: view.machineType,
    sensors,
  };
}

/**
 * The batch serialised straight from its buffers — byte for byte what `encode('raw', rawMessage(view))`
 * gives (same key order, same number formatting; the spec checks it), without building and validating
 * an object per batch. The hot path of `run` at a thousand machines.
 */
export function rawJson(view: BatchView): string {
  let s = `{"schemaVersion":${SCHEMA_VERSION},"deviceId":"${view.address.device}","ts":${view.ts},"seq":${view.seq},"t0":${view.t0},"machineType":"${view.machineType}","sensors":{`;
  for (let k = 0; k < view.sensors.length; k++) {
    const c = view.sensors[k] as BatchView['sensors'][number];
    s += `${k > 0 ? ',' : ''}"${c.name}":{"rate":${c.rate},"unit":"${c.unit}","values":[`;
    const v = c.values;
    for (let i = 0; i < v.length; i++) s += i > 0 ? `,${v[i] as number}` : `${v[i] as number}`;
    s += ']}';
  }
  return `${s}}}`;
}

/**
 * Serialises batches: each machine's first batch (or every batch with `validateAll`) goes through
 * the contract's `encode('raw', …)`, and must equal the fast path byte for byte; the rest take `rawJson`.
 */
export class RawEncoder {
  readonly #checked = new Set<string>();
  constructor(private readonly validateAll = false) {}

  encode(view: BatchView): string {
    const fast = rawJson(view);
    if (this.validateAll || !this.#checked.has(view.address.device)) {
      const checked = encode('raw', rawMessage(view)).toString();
      if (checked !== fast) throw new Error(`fast raw serialiser drifted from the contract for ${view.address.device}`);
      this.#checked.add(view.address.device);
    }
    return fast;
  }
}
