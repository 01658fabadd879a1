import type { TelemetryStore } from '@takt/telemetry-store';

export interface SeqCheck {
  device: string;
  channel: string;
  count: number;
  min: number;
  max: number;
  /** seqs missing between min and max */
  missing: number[];
}

/** Reads every stored seq of a device's channel and reports what is missing between the first and last. */
export async function checkSeqs(store: TelemetryStore, device: string, channel: string, from: number): Promise<SeqCheck> {
  const seqs = [...new Set(await store.querySeqs({ device, channel, from, to: Date.now() + 60_000 }))].sort((a, b) => a - b);
  const missing: number[] = [];
  for (let i = 1; i < seqs.length; i++) for (let s = seqs[i - 1]! + 1; s < seqs[i]!; s++) missing.push(s);
  return { device, channel, count: seqs.length, min: seqs[0] ?? -1, max: seqs[seqs.length - 1] ?? -1, missing };
}

/** Polls until `read` returns the same value twice in a row `intervalMs` apart (the pipeline drained). */
export async function untilStable<T>(read: () => Promise<T>, intervalMs = 2_000, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = JSON.stringify(await read());
  for (;;) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const value = await read();
    const now = JSON.stringify(value);
    if (now === last || Date.now() > deadline) return value;
    last = now;
  }
}
