import type { Rng } from '../prng.js';
import type { MachineParams } from './params.js';

const TWO_PI = 2 * Math.PI;
const LINE_HZ = 50;

/** What drives a vibration batch: speed at its start and end, load, and fault levels 0..1. */
export interface VibrationDrive {
  /** ms epoch of the first sample */
  t0: number;
  rpmStart: number;
  rpmEnd: number;
  load: number;
  imbalance: number;
  bearingWear: number;
  cavitation: number;
}

/**
 * Raw acceleration (g) of one accelerometer, sample by sample, with state carried across batches:
 * - 1× shaft tone ∝ speed² (unbalance force), growing by ×(1 + 3·imbalance) — imbalance at severity 1 quadruples it;
 * - 2× (misalignment), vane/tooth-pass and 2 × line-frequency tones;
 * - bearing defect: outer-race impacts at BPFO and inner-race impacts at BPFI, the latter amplitude-modulated by
 *   shaft rotation, each ringing a structural resonance (a 2nd-order resonator at `resonanceHz`, ζ = 0.02)
 *   plus weak BPFO/BPFI tones; wear also roughens the surfaces, raising the noise that excites the resonance;
 * - press hits once per stroke (presses only);
 * - broadband noise growing with load, and with cavitation.
 */
export class VibrationChannel {
  readonly #p: MachineParams;
  readonly #rng: Rng;
  readonly #fs: number;
  readonly #c1: number;
  readonly #c2: number;
  readonly #gain: number;
  #shaft = 0;
  #line = 0;
  #outer = 0;
  #inner = 0;
  #outerNext = 1;
  #innerNext = 1;
  #y1 = 0;
  #y2 = 0;

  constructor(params: MachineParams, rate: number, rng: Rng) {
    this.#p = params;
    this.#rng = rng;
    this.#fs = rate;
    const f0 = Math.min(params.resonanceHz, 0.45 * rate);
    const theta = (TWO_PI * f0) / rate;
    const r = Math.exp((-0.02 * TWO_PI * f0) / rate);
    this.#c1 = 2 * r * Math.cos(theta);
    this.#c2 = -r * r;
    this.#gain = Math.sin(theta); // an impulse of A rings at about amplitude A
    this.#shaft = rng.range(0, TWO_PI);
    this.#line = rng.range(0, TWO_PI);
  }

  /** Writes `out.length` samples starting where the previous batch ended. */
  fill(out: Float64Array, d: VibrationDrive): void {
    const p = this.#p;
    const rng = this.#rng;
    const n = out.length;
    const fs = this.#fs;
    const ratio = (d.rpmStart + d.rpmEnd) / (2 * p.nominalRpm);
    const a1 = p.a1 * ratio * ratio * (1 + 3 * d.imbalance);
    const a2 = 0.3 * p.a1 * ratio * ratio;
    const aPass = p.aPass * (0.5 + 0.5 * d.load) * ratio * ratio;
    const aLine = p.aLine * (0.5 + 0.5 * d.load);
    const noise = p.noiseG * (0.8 + 0.4 * d.load) + 0.12 * d.cavitation;
    const bw = d.bearingWear;
    const structural = p.noiseG * (0.6 + 4 * bw);
    const impact = 0.09 * bw;
    const tone = 0.15 * p.a1 * bw;
    const lineStep = (TWO_PI * 2 * LINE_HZ) / fs;
    let shaft = this.#shaft;
    let line = this.#line;
    let outer = this.#outer;
    let inner = this.#inner;
    let y1 = this.#y1;
    let y2 = this.#y2;
    // press hits land when the stroke is 30 % through, in step with the pressure curve
    let stroke = ((((d.t0 * p.strokesPerMin) / 60_000 - 0.3) % 1) + 1) % 1;
    const strokeStep = p.strokesPerMin / 60 / fs;
    for (let i = 0; i < n; i++) {
      const fr = (d.rpmStart + ((d.rpmEnd - d.rpmStart) * i) / n) / 60;
      shaft += (TWO_PI * fr) / fs;
      if (shaft > TWO_PI) shaft -= TWO_PI;
      line += lineStep;
      if (line > TWO_PI) line -= TWO_PI;
      let x = structural * rng.normal();
      if (bw > 0) {
        outer += (p.bpfo * fr) / fs;
        inner += (p.bpfi * fr) / fs;
        if (outer >= this.#outerNext) {
          outer -= this.#outerNext;
          this.#outerNext = 1 + 0.01 * rng.normal(); // rolling elements slip ~1 %
          x += impact;
        }
        if (inner >= this.#innerNext) {
          inner -= this.#innerNext;
          this.#innerNext = 1 + 0.01 * rng.normal();
          x += 0.6 * impact * (0.5 + 0.5 * Math.cos(shaft)); // inner race passes through the load zone once a turn
        }
      }
      if (strokeStep > 0) {
        stroke += strokeStep;
        if (stroke >= 1) {
          stroke -= 1;
          x += 0.4 * (0.6 + 0.4 * d.load); // the die closes: a press hit rings the frame
        }
      }
      const y = this.#gain * x + this.#c1 * y1 + this.#c2 * y2;
      y2 = y1;
      y1 = y;
      let v = a1 * Math.sin(shaft) + a2 * Math.sin(2 * shaft + 0.7) + noise * rng.normal() + y;
      if (aPass > 0) v += aPass * Math.sin(p.passCount * shaft + 1.3);
      if (aLine > 0) v += aLine * Math.sin(line);
      if (bw > 0) v += tone * (Math.sin(TWO_PI * outer) + 0.5 * Math.sin(TWO_PI * inner));
      out[i] = v;
    }
    this.#shaft = shaft;
    this.#line = line;
    this.#outer = outer;
    this.#inner = inner;
    this.#y1 = y1;
    this.#y2 = y2;
  }
}
