import type { DeviceAddress } from '@takt/contracts';
import { MachineFaults, severityAt, type ScheduledFault } from './faults/schedule.js';
import { sensorKindOf } from './plant/load.js';
import type { MachineSpec, RandomFaultsSpec, SensorKind } from './plant/schema.js';
import { Rng } from './prng.js';
import type { Ambient } from './physics/environment.js';
import { OperatingProfile } from './physics/environment.js';
import { resolveParams, type MachineParams } from './physics/params.js';
import {
  DECIMALS,
  defaultNoise,
  processValue,
  sensorSpan,
  steadyTemperature,
  UNITS,
  type ProcessPoint,
} from './physics/process.js';
import { VibrationChannel } from './physics/vibration.js';

/** One sensor's buffer: filled in place every batch (no allocation on the hot path). */
export interface SensorChannel {
  name: string;
  kind: SensorKind;
  /** Hz */
  rate: number;
  unit: string;
  /** samples per batch */
  count: number;
  /** this batch's values, rounded to the sensor's resolution */
  values: Float64Array;
  decimals: number;
  noise: number;
  vibration?: VibrationChannel;
  /** value held while stuck, per stuck fault id */
  stuck: Map<string, number>;
  /** last value published (the reading a stuck sensor freezes at) */
  last: number;
}

/** One machine's batch, valid until the next call to `MachineSimulator.batch`. */
export interface BatchView {
  address: DeviceAddress;
  machineType: string;
  seq: number;
  /** ms epoch of the first sample */
  t0: number;
  /** ms epoch the batch is complete (t0 + batchMs) */
  ts: number;
  sensors: SensorChannel[];
}

interface FaultLevels {
  bearingWear: number;
  imbalance: number;
  overheating: number;
  cavitation: number;
}

const round = (v: number, decimals: number) => {
  const k = 10 ** decimals;
  return Math.round(v * k) / k;
};

/** Simulates one machine: operating profile, thermal state, sensors, faults → a raw batch every `batchMs`. */
export class MachineSimulator {
  readonly address: DeviceAddress;
  readonly spec: MachineSpec;
  readonly params: MachineParams;
  readonly faults: MachineFaults;
  readonly #channels: SensorChannel[];
  readonly #profile: OperatingProfile;
  readonly #ambient: Ambient;
  readonly #rng: Rng;
  readonly #batchMs: number;
  #tempC: number;
  #seq = 0;

  constructor(o: {
    spec: MachineSpec;
    site: string;
    line: string;
    ambient: Ambient;
    seed: number | string;
    startMs: number;
    batchMs: number;
    randomFaults?: RandomFaultsSpec;
  }) {
    this.spec = o.spec;
    this.address = { site: o.site, line: o.line, device: o.spec.id };
    this.params = resolveParams(o.spec);
    this.faults = new MachineFaults(o.spec, o.startMs, o.seed, o.randomFaults);
    this.#profile = new OperatingProfile(this.params, o.seed, o.spec.id);
    this.#ambient = o.ambient;
    this.#rng = new Rng(o.seed, o.spec.id, 'noise');
    this.#batchMs = o.batchMs;
    this.#channels = Object.entries(o.spec.sensors).map(([name, s]) => {
      const kind = sensorKindOf(name, s.kind) as SensorKind;
      const count = Math.round((s.rate * o.batchMs) / 1000);
      const channel: SensorChannel = {
        name,
        kind,
        rate: s.rate,
        unit: UNITS[kind],
        count,
        values: new Float64Array(count),
        decimals: DECIMALS[kind],
        noise: s.noise ?? defaultNoise(kind, this.params),
        stuck: new Map(),
        last: 0,
      };
      if (kind === 'vibration')
        channel.vibration = new VibrationChannel(this.params, s.rate, new Rng(o.seed, o.spec.id, 'vibration', name));
      return channel;
    });
    const load = this.#profile.load(o.startMs);
    this.#tempC = steadyTemperature(this.params, this.#ambient.at(o.startMs), load, 0, 0, 0);
  }

  #levels(active: readonly ScheduledFault[], t: number): FaultLevels {
    const l: FaultLevels = { bearingWear: 0, imbalance: 0, overheating: 0, cavitation: 0 };
    for (const f of active) {
      if (f.kind === 'bearing-wear') l.bearingWear = Math.max(l.bearingWear, severityAt(f, t));
      else if (f.kind === 'imbalance') l.imbalance = Math.max(l.imbalance, severityAt(f, t));
      else if (f.kind === 'overheating') l.overheating = Math.max(l.overheating, severityAt(f, t));
      else if (f.kind === 'cavitation') l.cavitation = Math.max(l.cavitation, severityAt(f, t));
    }
    return l;
  }

  /** Advances the thermal state over one batch (exact first-order step) and returns the start and end points. */
  #points(t0: number, levels: FaultLevels): [ProcessPoint, ProcessPoint] {
    const t1 = t0 + this.#batchMs;
    const load0 = this.#profile.load(t0);
    const load1 = this.#profile.load(t1);
    const mid = (load0 + load1) / 2;
    const target = steadyTemperature(
      this.params,
      this.#ambient.at(t0),
      mid,
      levels.overheating,
      levels.bearingWear,
      levels.imbalance,
    );
    const temp0 = this.#tempC;
    this.#tempC = target + (temp0 - target) * Math.exp(-this.#batchMs / (this.params.tauS * 1000));
    const common = { bearingWear: levels.bearingWear, imbalance: levels.imbalance, cavitation: levels.cavitation };
    return [
      { t: t0, load: load0, rpm: this.#profile.rpm(t0, load0), tempC: temp0, ...common },
      { t: t1, load: load1, rpm: this.#profile.rpm(t1, load1), tempC: this.#tempC, ...common },
    ];
  }

  #fillProcess(c: SensorChannel, a: ProcessPoint, b: ProcessPoint): void {
    const x: ProcessPoint = { ...a };
    for (let i = 0; i < c.count; i++) {
      const w = i / c.count;
      x.t = a.t + (i * 1000) / c.rate;
      x.load = a.load + (b.load - a.load) * w;
      x.rpm = a.rpm + (b.rpm - a.rpm) * w;
      x.tempC = a.tempC + (b.tempC - a.tempC) * w;
      c.values[i] = processValue(c.kind, this.params, x, this.#rng) + c.noise * this.#rng.normal();
    }
  }

  #fillVibration(c: SensorChannel, a: ProcessPoint, b: ProcessPoint, levels: FaultLevels): void {
    (c.vibration as VibrationChannel).fill(c.values, {
      t0: a.t,
      rpmStart: a.rpm,
      rpmEnd: b.rpm,
      load: a.load,
      imbalance: levels.imbalance,
      bearingWear: levels.bearingWear,
      cavitation: levels.cavitation,
    });
    if (c.noise > 0)
      for (let i = 0; i < c.count; i++) c.values[i] = (c.values[i] as number) + c.noise * this.#rng.normal();
  }

  /** Sensor faults: stuck holds the last good reading, drift adds a growing offset; returns false on dropout. */
  #applySensorFaults(c: SensorChannel, active: readonly ScheduledFault[], t0: number): boolean {
    let present = true;
    for (const f of active) {
      if (f.sensor !== c.name && !(f.kind === 'dropout' && f.sensor === undefined)) continue;
      for (let i = 0; i < c.count; i++) {
        const t = t0 + (i * 1000) / c.rate;
        const s = severityAt(f, t);
        if (s === 0) continue;
        if (f.kind === 'dropout') present = false;
        else if (f.kind === 'sensor-drift')
          c.values[i] = (c.values[i] as number) + (0.1 * s * sensorSpan(c.kind, this.params) * (t - f.start)) / 60_000;
        else if (f.kind === 'sensor-stuck') {
          if (!c.stuck.has(f.id)) c.stuck.set(f.id, i > 0 ? (c.values[i - 1] as number) : c.last);
          c.values[i] = c.stuck.get(f.id) as number;
        }
      }
    }
    return present;
  }

  /** The batch starting at `t0`, or `undefined` when a dropout silences every sensor (no seq is used then). */
  batch(t0: number): BatchView | undefined {
    const active = this.faults.activeIn(t0, t0 + this.#batchMs);
    const levels = this.#levels(active, t0);
    const [a, b] = this.#points(t0, levels);
    const present: SensorChannel[] = [];
    for (const c of this.#channels) {
      if (c.vibration) this.#fillVibration(c, a, b, levels);
      else this.#fillProcess(c, a, b);
      const ok = active.length === 0 || this.#applySensorFaults(c, active, t0);
      for (let i = 0; i < c.count; i++) c.values[i] = round(c.values[i] as number, c.decimals);
      c.last = c.values[c.count - 1] as number;
      if (ok) present.push(c);
    }
    if (present.length === 0) return undefined;
    return {
      address: this.address,
      machineType: this.spec.type,
      seq: this.#seq++,
      t0,
      ts: t0 + this.#batchMs,
      sensors: present,
    };
  }
}
