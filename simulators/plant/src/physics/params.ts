import type { MachineSpec, MachineType } from '../plant/schema.js';

/** Physical constants of one machine, from its plant entry and its type's defaults. */
export interface MachineParams {
  type: MachineType;
  /** rpm at nominal operation */
  nominalRpm: number;
  /** A at full load */
  ratedCurrentA: number;
  /** mean load 0..1 */
  loadMean: number;
  /** s, production cycle period */
  loadCycleS: number;
  /** s between load (or spindle program) steps */
  stepS: number;
  /** s, thermal time constant */
  tauS: number;
  /** °C above ambient at full load */
  riseC: number;
  /** Hz, structural resonance */
  resonanceHz: number;
  /** vanes/blades (vane-pass tone) or cutter flutes (tooth-pass tone); 0 = none */
  passCount: number;
  /** speed follows load (variable-frequency drive) */
  vfd: boolean;
  /** bearing defect frequencies as multiples of shaft speed */
  bpfo: number;
  bpfi: number;
  /** g, 1× amplitude at nominal speed, healthy */
  a1: number;
  /** g, vane/tooth-pass amplitude */
  aPass: number;
  /** g, 2 × line-frequency (100 Hz) electromagnetic tone */
  aLine: number;
  /** g, broadband noise (standard deviation) */
  noiseG: number;
  /** bar, discharge (pump) / peak hydraulic (press) / lube (others) pressure at nominal */
  pressureBar: number;
  /** L/min at full load */
  flowLpm: number;
  /** press strokes per minute (press only) */
  strokesPerMin: number;
}

type TypeDefaults = Omit<MachineParams, 'type' | 'loadMean' | 'loadCycleS' | 'resonanceHz'>;

// Bearing multiples: 6205 deep-groove (9 balls, d 7.94 mm, D 39.04 mm, 0°) → BPFO 3.585, BPFI 5.415;
// 7014 angular-contact spindle bearing (18 balls, 25°) → BPFO 7.9, BPFI 10.1.
const DEFAULTS: Record<Exclude<MachineType, 'camera'>, TypeDefaults> = {
  pump: {
    nominalRpm: 2950,
    ratedCurrentA: 30,
    stepS: 300,
    tauS: 180,
    riseC: 35,
    passCount: 6,
    vfd: true,
    bpfo: 3.585,
    bpfi: 5.415,
    a1: 0.06,
    aPass: 0.03,
    aLine: 0.01,
    noiseG: 0.01,
    pressureBar: 6,
    flowLpm: 600,
    strokesPerMin: 0,
  },
  motor: {
    nominalRpm: 1480,
    ratedCurrentA: 45,
    stepS: 240,
    tauS: 240,
    riseC: 40,
    passCount: 0,
    vfd: false,
    bpfo: 3.585,
    bpfi: 5.415,
    a1: 0.05,
    aPass: 0,
    aLine: 0.02,
    noiseG: 0.008,
    pressureBar: 2.5,
    flowLpm: 20,
    strokesPerMin: 0,
  },
  fan: {
    nominalRpm: 980,
    ratedCurrentA: 12,
    stepS: 300,
    tauS: 200,
    riseC: 25,
    passCount: 8,
    vfd: true,
    bpfo: 3.585,
    bpfi: 5.415,
    a1: 0.07,
    aPass: 0.02,
    aLine: 0.01,
    noiseG: 0.01,
    pressureBar: 0.05,
    flowLpm: 3000,
    strokesPerMin: 0,
  },
  press: {
    nominalRpm: 1450,
    ratedCurrentA: 55,
    stepS: 180,
    tauS: 300,
    riseC: 30,
    passCount: 0,
    vfd: false,
    bpfo: 3.585,
    bpfi: 5.415,
    a1: 0.04,
    aPass: 0,
    aLine: 0.02,
    noiseG: 0.015,
    pressureBar: 180,
    flowLpm: 120,
    strokesPerMin: 24,
  },
  'cnc-spindle': {
    nominalRpm: 12000,
    ratedCurrentA: 18,
    stepS: 45,
    tauS: 150,
    riseC: 25,
    passCount: 4,
    vfd: true,
    bpfo: 7.9,
    bpfi: 10.1,
    a1: 0.03,
    aPass: 0.05,
    aLine: 0,
    noiseG: 0.012,
    pressureBar: 4,
    flowLpm: 15,
    strokesPerMin: 0,
  },
};

/** Fills a machine's physical constants from its plant entry and its type's defaults. */
export function resolveParams(spec: MachineSpec): MachineParams {
  const type = spec.type === 'camera' ? 'motor' : spec.type; // a camera station's conveyor: never simulated as sensors
  const d = DEFAULTS[type];
  return {
    ...d,
    type: spec.type,
    nominalRpm: spec.nominalRpm ?? d.nominalRpm,
    ratedCurrentA: spec.ratedCurrentA ?? d.ratedCurrentA,
    loadMean: spec.loadMean ?? 0.6,
    loadCycleS: spec.loadCycleS ?? 120,
    tauS: spec.thermalTimeConstantS ?? d.tauS,
    riseC: spec.temperatureRiseC ?? d.riseC,
    resonanceHz: spec.resonanceHz ?? 2300,
  };
}
