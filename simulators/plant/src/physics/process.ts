import type { Rng } from '../prng.js';
import type { SensorKind } from '../plant/schema.js';
import type { MachineParams } from './params.js';

/** The machine's state at one instant, interpolated within a batch. */
export interface ProcessPoint {
  /** ms epoch */
  t: number;
  load: number;
  rpm: number;
  tempC: number;
  bearingWear: number;
  imbalance: number;
  cavitation: number;
}

export const UNITS: Record<SensorKind, string> = {
  vibration: 'g',
  temperature: 'degC',
  current: 'A',
  pressure: 'bar',
  flow: 'L/min',
  rpm: 'rpm',
};

/** Decimal places each kind is reported with (the sensor's resolution). */
export const DECIMALS: Record<SensorKind, number> = {
  vibration: 5,
  temperature: 2,
  current: 2,
  pressure: 3,
  flow: 1,
  rpm: 1,
};

/** Default sensor noise (standard deviation, in the sensor's unit). */
export function defaultNoise(kind: SensorKind, p: MachineParams): number {
  switch (kind) {
    case 'vibration':
      return 0.002;
    case 'temperature':
      return 0.05;
    case 'current':
      return 0.01 * p.ratedCurrentA;
    case 'pressure':
      return 0.004 * p.pressureBar;
    case 'flow':
      return 0.004 * p.flowLpm;
    case 'rpm':
      return 0.0005 * p.nominalRpm;
  }
}

/** Span used to scale sensor drift: drift at severity 1 moves a reading by 10 % of this per minute. */
export function sensorSpan(kind: SensorKind, p: MachineParams): number {
  const spans: Record<SensorKind, number> = {
    vibration: 0.5,
    temperature: 40,
    current: p.ratedCurrentA,
    pressure: p.pressureBar,
    flow: p.flowLpm,
    rpm: p.nominalRpm,
  };
  return spans[kind];
}

/** Press stroke: 0 while the ram travels, rising to 1 while it forms the part (15–45 % of a stroke). */
export function strokeBump(t: number, strokesPerMin: number): number {
  if (strokesPerMin <= 0) return 0;
  const phase = ((t * strokesPerMin) / 60_000) % 1;
  if (phase < 0.15 || phase > 0.45) return 0;
  const s = Math.sin((Math.PI * (phase - 0.15)) / 0.3);
  return s * s;
}

function pressure(p: MachineParams, x: ProcessPoint, rng: Rng): number {
  const r = x.rpm / p.nominalRpm;
  if (p.type === 'press') return 3 + (p.pressureBar * (0.6 + 0.4 * x.load) - 3) * strokeBump(x.t, p.strokesPerMin);
  if (p.type !== 'pump') return p.pressureBar * (0.6 + 0.4 * r);
  let v = p.pressureBar * r * r * (1 - 0.3 * x.load * x.load) * (1 - 0.08 * x.cavitation);
  if (x.cavitation > 0) {
    // vapour bubbles collapsing: broadband fluctuation plus sharp negative transients
    v += p.pressureBar * x.cavitation * (0.05 * rng.normal() - (rng.next() < 0.08 ? 0.25 * Math.abs(rng.normal()) : 0));
  }
  return v;
}

function flow(p: MachineParams, x: ProcessPoint, rng: Rng): number {
  const r = x.rpm / p.nominalRpm;
  if (p.type === 'pump')
    return (
      p.flowLpm * x.load * r * (1 - 0.12 * x.cavitation) +
      (x.cavitation > 0 ? 0.03 * p.flowLpm * x.cavitation * rng.normal() : 0)
    );
  if (p.type === 'press') {
    const phase = ((x.t * p.strokesPerMin) / 60_000) % 1;
    return phase < 0.45 ? p.flowLpm * (0.3 + 0.7 * x.load) : 0.1 * p.flowLpm; // oil moves while the ram moves
  }
  return p.flowLpm * (0.9 + 0.1 * x.load); // coolant or air flow
}

/** The true (noise-free, fault-free) value a non-vibration sensor of `kind` would read. */
export function processValue(kind: SensorKind, p: MachineParams, x: ProcessPoint, rng: Rng): number {
  switch (kind) {
    case 'temperature':
      return x.tempC;
    case 'current': {
      const friction = 0.04 * x.bearingWear + 0.02 * x.imbalance;
      const stroke = p.type === 'press' ? 1 + 0.5 * strokeBump(x.t, p.strokesPerMin) : 1;
      return p.ratedCurrentA * (0.28 + 0.72 * x.load + friction) * stroke;
    }
    case 'pressure':
      return pressure(p, x, rng);
    case 'flow':
      return flow(p, x, rng);
    case 'rpm':
      return p.type === 'press' ? x.rpm * (1 - 0.03 * strokeBump(x.t, p.strokesPerMin)) : x.rpm;
    case 'vibration':
      return 0;
  }
}

/** Steady-state temperature, °C: ambient + copper/iron losses (∝ load²) + fault heat. */
export function steadyTemperature(
  p: MachineParams,
  ambientC: number,
  load: number,
  overheating: number,
  bearingWear: number,
  imbalance: number,
): number {
  return ambientC + p.riseC * (0.15 + 0.85 * load * load) + 30 * overheating + 6 * bearingWear + 2 * imbalance;
}
