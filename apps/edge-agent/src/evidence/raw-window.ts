import { RAW_LIMITS, type RawSampleBatch, type SensorSeries } from '@takt/contracts';

/** ms since epoch just past the last sample of the batch's longest series. */
export function batchEnd(b: RawSampleBatch): number {
  let end = b.t0;
  for (const s of Object.values(b.sensors)) end = Math.max(end, b.t0 + (s.values.length * 1000) / s.rate);
  return end;
}

interface Held {
  batch: RawSampleBatch;
  end: number;
}

/**
 * The raw batches of one device over the last `keepMs` of data time — and further back while a
 * window is being collected (`holdFrom`) — in arrival order.
 */
export class RawHistory {
  readonly #keepMs: number;
  #held: Held[] = [];

  constructor(keepMs: number) {
    this.#keepMs = keepMs;
  }

  /** Adds a batch; drops those that ended before `end − keepMs` and before `holdFrom`. */
  push(batch: RawSampleBatch, holdFrom = Infinity): void {
    const end = batchEnd(batch);
    this.#held.push({ batch, end });
    const cutoff = Math.min(end - this.#keepMs, holdFrom);
    let drop = 0;
    while (drop < this.#held.length - 1 && (this.#held[drop] as Held).end <= cutoff) drop++;
    if (drop > 0) this.#held.splice(0, drop);
  }

  /** The batches overlapping [from, to). */
  between(from: number, to: number): RawSampleBatch[] {
    return this.#held.filter((h) => h.end > from && h.batch.t0 < to).map((h) => h.batch);
  }

  clear(): void {
    this.#held = [];
  }
}

/** A raw window as evidence carries it: every series starts at `t0`, evenly spaced at its rate. */
export interface AssembledWindow {
  t0: number;
  /** ms since epoch just past the last sample */
  end: number;
  sensors: Record<string, SensorSeries>;
  /** the batches had a hole (missing sensor, a time step off the sample grid): the window is only the part around the onset */
  cutAtGap: boolean;
  /** the window was over the size limit and lost batches at its ends */
  shortened: boolean;
  /** about the bytes its values take as JSON */
  bytes: number;
}

/**
 * Joins consecutive raw batches into one window around `onset`. Batches join only while every
 * sensor continues on its sample grid (same sensors, same rates, each batch starting where the
 * previous one's samples end, within half a sample or 1 ms): at a hole the window is cut, and the
 * stretch holding the onset (else the longest) is kept rather than pretending the samples are
 * evenly spaced. Over `maxBytes` of JSON values (or RAW_LIMITS.maxSamples in a series) whole batches
 * are dropped from whichever end is farther from the onset. Undefined when nothing is left.
 */
export function assembleWindow(
  batches: RawSampleBatch[],
  onset: number,
  maxBytes: number,
): AssembledWindow | undefined {
  const runs = contiguousRuns(batches);
  if (runs.length === 0) return undefined;
  const holding = runs.find(
    (r) => (r[0] as RawSampleBatch).t0 <= onset && onset < batchEnd(r[r.length - 1] as RawSampleBatch),
  );
  const run = holding ?? runs.reduce((a, b) => (b.length > a.length ? b : a));
  const fitted = fit(run, onset, maxBytes);
  if (fitted.batches.length === 0) return undefined;
  const first = fitted.batches[0] as RawSampleBatch;
  const sensors: Record<string, SensorSeries> = {};
  for (const [name, s] of Object.entries(first.sensors)) {
    sensors[name] = {
      rate: s.rate,
      ...(s.unit !== undefined ? { unit: s.unit } : {}),
      values: fitted.batches.flatMap((b) => (b.sensors[name] as SensorSeries).values),
    };
  }
  return {
    t0: first.t0,
    end: batchEnd(fitted.batches[fitted.batches.length - 1] as RawSampleBatch),
    sensors,
    cutAtGap: runs.length > 1,
    shortened: fitted.shortened,
    bytes: fitted.bytes,
  };
}

/** Splits batches into stretches in which every series continues on its sample grid. */
function contiguousRuns(batches: RawSampleBatch[]): RawSampleBatch[][] {
  const runs: RawSampleBatch[][] = [];
  let run: RawSampleBatch[] = [];
  let counts = new Map<string, number>();
  for (const b of batches) {
    if (run.length === 0 || !continues(run[0] as RawSampleBatch, counts, b)) {
      if (run.length > 0) runs.push(run);
      run = [];
      counts = new Map();
    }
    run.push(b);
    for (const [name, s] of Object.entries(b.sensors)) counts.set(name, (counts.get(name) ?? 0) + s.values.length);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function continues(first: RawSampleBatch, counts: Map<string, number>, b: RawSampleBatch): boolean {
  const names = Object.keys(b.sensors);
  if (names.length !== counts.size) return false;
  for (const name of names) {
    const s = b.sensors[name] as SensorSeries;
    const n = counts.get(name);
    if (n === undefined || first.sensors[name]?.rate !== s.rate) return false;
    const expected = first.t0 + (n * 1000) / s.rate;
    if (Math.abs(b.t0 - expected) > Math.max(1, 500 / s.rate)) return false;
  }
  return true;
}

/** Drops whole batches from the end farther from the onset until the values fit `maxBytes` and the sample limit. */
function fit(
  run: RawSampleBatch[],
  onset: number,
  maxBytes: number,
): { batches: RawSampleBatch[]; shortened: boolean; bytes: number } {
  const bytes = run.map((b) =>
    Object.entries(b.sensors).reduce((n, [name, s]) => n + JSON.stringify(s.values).length + name.length + 32, 0),
  );
  const samples = run.map((b) => Math.max(...Object.values(b.sensors).map((s) => s.values.length)));
  let lo = 0;
  let hi = run.length;
  let total = bytes.reduce((a, b) => a + b, 0);
  let most = samples.reduce((a, b) => a + b, 0); // a bound on the longest series
  while (hi > lo && (total > maxBytes || most > RAW_LIMITS.maxSamples)) {
    const before = onset - (run[lo] as RawSampleBatch).t0;
    const after = batchEnd(run[hi - 1] as RawSampleBatch) - onset;
    const i = before > after ? lo++ : --hi;
    total -= bytes[i] as number;
    most -= samples[i] as number;
  }
  return { batches: run.slice(lo, hi), shortened: lo > 0 || hi < run.length, bytes: total };
}
