import { Rng } from '../prng.js';
import type { AmbientSpec } from '../plant/schema.js';
import type { MachineParams } from './params.js';

const TWO_PI = 2 * Math.PI;
const DAY_MS = 86_400_000;

/** Hall temperature around a site: a daily cycle (warmest at `peakHour` UTC) plus slow weather swings. */
export class Ambient {
  readonly #spec: AmbientSpec;
  readonly #phase1: number;
  readonly #phase2: number;

  constructor(spec: AmbientSpec, seed: number | string, siteId: string) {
    this.#spec = spec;
    const rng = new Rng(seed, siteId, 'ambient');
    this.#phase1 = rng.range(0, TWO_PI);
    this.#phase2 = rng.range(0, TWO_PI);
  }

  /** °C at `t` (ms epoch). */
  at(t: number): number {
    const hour = ((t % DAY_MS) / DAY_MS) * 24;
    const daily = this.#spec.dailyAmplitudeC * Math.cos((TWO_PI * (hour - this.#spec.peakHour)) / 24);
    const weather =
      0.8 * Math.sin((TWO_PI * t) / 11_880_000 + this.#phase1) +
      0.3 * Math.sin((TWO_PI * t) / 2_820_000 + this.#phase2);
    return this.#spec.meanC + daily + weather;
  }
}

const smoothstep = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x));

/**
 * Load 0..1 and shaft speed over time: a production cycle (two incommensurate sines) on top of
 * random step changes every `stepS` (orders, recipes, spindle programs), blended over 10 % of a step.
 * A pure function of time, so any start time and any batch order give the same values.
 */
export class OperatingProfile {
  readonly #p: MachineParams;
  readonly #seed: number | string;
  readonly #id: string;
  readonly #phase1: number;
  readonly #phase2: number;
  #cachedStep = Number.NaN;
  #cachedLevels: [number, number, number, number] = [0, 0, 0, 0];

  constructor(params: MachineParams, seed: number | string, machineId: string) {
    this.#p = params;
    this.#seed = seed;
    this.#id = machineId;
    const rng = new Rng(seed, machineId, 'load-phase');
    this.#phase1 = rng.range(0, TWO_PI);
    this.#phase2 = rng.range(0, TWO_PI);
  }

  /** [load offset, speed level] of step `j`. */
  #levels(j: number): [number, number, number, number] {
    if (j !== this.#cachedStep) {
      const prev = new Rng(this.#seed, this.#id, 'step', String(j - 1));
      const cur = new Rng(this.#seed, this.#id, 'step', String(j));
      this.#cachedLevels = [prev.range(-0.15, 0.15), prev.next(), cur.range(-0.15, 0.15), cur.next()];
      this.#cachedStep = j;
    }
    return this.#cachedLevels;
  }

  #blend(t: number): { offset: number; speedLevel: number } {
    const stepMs = this.#p.stepS * 1000;
    const j = Math.floor(t / stepMs);
    const [o0, s0, o1, s1] = this.#levels(j);
    const w = smoothstep((t - j * stepMs) / (0.1 * stepMs));
    return { offset: o0 + (o1 - o0) * w, speedLevel: s0 + (s1 - s0) * w };
  }

  /** Load 0.05..1 at `t` (ms epoch). */
  load(t: number): number {
    const cycleMs = this.#p.loadCycleS * 1000;
    const cycle =
      0.16 * Math.sin((TWO_PI * t) / cycleMs + this.#phase1) +
      0.07 * Math.sin((TWO_PI * t) / (cycleMs * 0.37) + this.#phase2);
    const l = this.#p.loadMean + cycle + this.#blend(t).offset;
    return l < 0.05 ? 0.05 : l > 1 ? 1 : l;
  }

  /** Shaft speed, rpm, at `t` under `load`. */
  rpm(t: number, load: number): number {
    const n = this.#p.nominalRpm;
    if (this.#p.type === 'cnc-spindle') return Math.round((n * (0.35 + 0.65 * this.#blend(t).speedLevel)) / 10) * 10;
    if (this.#p.vfd) return n * (0.7 + 0.3 * load);
    return n * (1 - 0.04 * load); // induction-motor slip
  }
}
