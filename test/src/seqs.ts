import type { TelemetryStore } from '@takt/telemetry-store';

export interface SeqCheck {
  device: string;
  channel: string;
  count: number;
  min: number;
  max: number;
  /** seqs missing between min and max */
  missing: number[];
  /** seqs stored on more than one point (at different times: one seq sent with two messages) */
  duplicates: number[];
}

/** Reads every stored seq of a device's channel and reports what is missing between the first and last. */
export async function checkSeqs(
  store: TelemetryStore,
  device: string,
  channel: string,
  from: number,
): Promise<SeqCheck> {
  const all = await store.querySeqs({ device, channel, from, to: Date.now() + 60_000 });
  const seqs = [...new Set(all)].sort((a, b) => a - b);
  const missing: number[] = [];
  for (let i = 1; i < seqs.length; i++) for (let s = seqs[i - 1]! + 1; s < seqs[i]!; s++) missing.push(s);
  const duplicates = [...new Set(all.filter((s, i) => i > 0 && all[i - 1] === s))];
  return {
    device,
    channel,
    count: seqs.length,
    min: seqs[0] ?? -1,
    max: seqs[seqs.length - 1] ?? -1,
    missing,
    duplicates,
  };
}

/** How `untilStable` compares and accepts values. */
export interface StableOptions<T> {
  /** what is compared between reads; leave out what never settles, such as the count of a channel that keeps flowing (heartbeats) */
  key?: (value: T) => unknown;
  /** a stable value is returned only when this holds too (e.g. no seq missing); otherwise polling goes on until the timeout */
  accept?: (value: T) => boolean;
}

/** Polls until `read` returns the same value twice in a row `intervalMs` apart (the pipeline drained), or `timeoutMs` passes. */
export async function untilStable<T>(
  read: () => Promise<T>,
  intervalMs = 2_000,
  timeoutMs = 60_000,
  options: StableOptions<T> = {},
): Promise<T> {
  const key = options.key ?? ((v: T) => v);
  const deadline = Date.now() + timeoutMs;
  let last = JSON.stringify(key(await read()));
  for (;;) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const value = await read();
    const now = JSON.stringify(key(value));
    if ((now === last && (options.accept?.(value) ?? true)) || Date.now() > deadline) return value;
    last = now;
  }
}

/**
 * Options for `untilStable` over seq checks: channels that stopped must keep their counts, every
 * channel its list of missing seqs, and nothing may be missing; the counts of `flowing` channels
 * (heartbeats go on after the simulator stops) are left out.
 */
export function drained(flowing: readonly string[] = ['heartbeat']): StableOptions<SeqCheck[]> {
  return {
    key: (checks) =>
      checks.map((c) =>
        flowing.includes(c.channel) ? { device: c.device, channel: c.channel, min: c.min, missing: c.missing } : c,
      ),
    accept: (checks) => checks.every((c) => c.missing.length === 0),
  };
}
