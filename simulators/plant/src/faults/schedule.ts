import { FAULT_KINDS, type FaultKind } from '@takt/contracts';
import { Rng } from '../prng.js';
import type { MachineSpec, RandomFaultsSpec } from '../plant/schema.js';

/** A fault with absolute times: what the truth channel and truth.csv report. */
export interface ScheduledFault {
  id: string;
  machineId: string;
  kind: FaultKind;
  /** ms epoch, inclusive */
  start: number;
  /** ms epoch, exclusive */
  end: number;
  /** level reached, 0..1 */
  severity: number;
  sensor?: string;
  /** ms to grow from 0 to `severity` */
  rampMs: number;
}

const GROWING: ReadonlySet<FaultKind> = new Set(['bearing-wear', 'imbalance', 'overheating']);
const HOUR_MS = 3_600_000;
const NONE: readonly ScheduledFault[] = Object.freeze([]);

/** Level of `f` at `t`: 0 outside [start, end), ramping linearly to its severity over `rampMs`. */
export function severityAt(f: ScheduledFault, t: number): number {
  if (t < f.start || t >= f.end) return 0;
  if (f.rampMs <= 0) return f.severity;
  const x = (t - f.start) / f.rampMs;
  return f.severity * (x >= 1 ? 1 : x);
}

/** Fault kinds a machine can show, given its type. */
export function applicableKinds(spec: MachineSpec): FaultKind[] {
  return FAULT_KINDS.filter((k) => k !== 'cavitation' || spec.type === 'pump');
}

const prefix = (machineId: string) => machineId.slice(0, 54);

/**
 * The faults of one machine: the plant file's fixed ones plus a seeded Poisson stream of random ones,
 * generated lazily as simulated time advances (so an endless run works and stays deterministic).
 */
export class MachineFaults {
  readonly machineId: string;
  readonly #faults: ScheduledFault[] = [];
  readonly #random: RandomFaultsSpec | undefined;
  readonly #rng: Rng;
  readonly #kinds: FaultKind[];
  readonly #sensors: string[];
  #nextRandom = Number.POSITIVE_INFINITY;
  #randomCount = 0;

  constructor(spec: MachineSpec, startMs: number, seed: number | string, plantRandom?: RandomFaultsSpec) {
    this.machineId = spec.id;
    this.#sensors = Object.keys(spec.sensors);
    spec.faults.forEach((f, i) => {
      this.#faults.push({
        id: f.id ?? `${prefix(spec.id)}-f${i}`,
        machineId: spec.id,
        kind: f.kind,
        start: startMs + Math.round(f.start * 1000),
        end: startMs + Math.round((f.start + f.duration) * 1000),
        severity: f.severity,
        ...(f.sensor === undefined ? {} : { sensor: f.sensor }),
        rampMs: Math.round((f.rampS ?? (GROWING.has(f.kind) ? f.duration / 2 : 0)) * 1000),
      });
    });
    this.#random = spec.type === 'camera' ? undefined : (spec.randomFaults ?? plantRandom);
    this.#rng = new Rng(seed, spec.id, 'random-faults');
    this.#kinds = (this.#random?.kinds ?? applicableKinds(spec)).filter((k) => applicableKinds(spec).includes(k));
    if (this.#random && this.#random.ratePerHour > 0 && this.#kinds.length > 0) {
      this.#nextRandom = startMs + this.#rng.exponential(HOUR_MS / this.#random.ratePerHour);
    }
  }

  #draw(at: number, r: RandomFaultsSpec): ScheduledFault {
    const kind = this.#rng.pick(this.#kinds);
    const durationMs = Math.round(this.#rng.range(r.durationS[0], r.durationS[1]) * 1000);
    const severity = Math.round(this.#rng.range(r.severity[0], r.severity[1]) * 1000) / 1000;
    const needsSensor =
      kind === 'sensor-stuck' || kind === 'sensor-drift' || (kind === 'dropout' && this.#rng.next() < 0.5);
    const sensor = needsSensor && this.#sensors.length > 0 ? this.#rng.pick(this.#sensors) : undefined;
    const start = Math.round(at);
    return {
      id: `${prefix(this.machineId)}-r${this.#randomCount++}`,
      machineId: this.machineId,
      kind,
      start,
      end: start + durationMs,
      severity,
      ...(sensor === undefined ? {} : { sensor }),
      rampMs: GROWING.has(kind) ? Math.round(durationMs / 2) : 0,
    };
  }

  /** Draws every random fault starting before `t`. */
  #extend(t: number): void {
    const r = this.#random;
    while (r && this.#nextRandom < t) {
      this.#faults.push(this.#draw(this.#nextRandom, r));
      this.#nextRandom += this.#rng.exponential(HOUR_MS / r.ratePerHour);
    }
  }

  /** Faults active at any moment of [from, to). */
  activeIn(from: number, to: number): readonly ScheduledFault[] {
    if (this.#faults.length === 0 && this.#nextRandom >= to) return NONE;
    this.#extend(to);
    return this.#faults.filter((f) => f.start < to && f.end > from);
  }

  /** Every fault that starts before `t`, in start order. */
  startedBefore(t: number): ScheduledFault[] {
    this.#extend(t);
    return this.#faults.filter((f) => f.start < t).sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
  }

  /** Start and end events with time in [from, to), in time order. */
  eventsIn(from: number, to: number): { fault: ScheduledFault; state: 'start' | 'end'; ts: number }[] {
    this.#extend(to);
    const events: { fault: ScheduledFault; state: 'start' | 'end'; ts: number }[] = [];
    for (const f of this.#faults) {
      if (f.start >= from && f.start < to) events.push({ fault: f, state: 'start', ts: f.start });
      if (f.end >= from && f.end < to) events.push({ fault: f, state: 'end', ts: f.end });
    }
    return events.sort((a, b) => a.ts - b.ts);
  }
}
