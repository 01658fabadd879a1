import { describe, expect, it } from 'vitest';
import { bandPower, meanOf, stdOf, toneAmplitude } from '../analysis/signal.js';
import { EXAMPLE_START_MS as S, samples, simulate, singleMachinePlant } from '../test-plants.js';

const pump = (faults: object[] = [], extra: object = {}) =>
  singleMachinePlant({
    id: 'pump-1',
    type: 'pump',
    sensors: {
      vibration: { rate: 5000 },
      pressure: { rate: 50 },
      flow: { rate: 10 },
      temperature: { rate: 10 },
      current: { rate: 10 },
      rpm: { rate: 10 },
    },
    faults: faults as never,
    ...extra,
  });
const motor = (faults: object[] = [], extra: object = {}) =>
  singleMachinePlant({
    id: 'motor-1',
    type: 'motor',
    sensors: { vibration: { rate: 5000 }, temperature: { rate: 10 }, current: { rate: 10 }, rpm: { rate: 10 } },
    faults: faults as never,
    ...extra,
  });

describe('fault signatures (each stated factor is what the models are built to give)', () => {
  it('bearing wear at severity 1 raises vibration band power above 2 kHz by at least 10×, healthy stays within 2×', () => {
    const faulty = simulate(pump([{ kind: 'bearing-wear', start: 5, duration: 20, severity: 1, rampS: 0 }]), 14);
    const healthy = simulate(pump(), 14);
    const hf = (rec: typeof faulty, a: number) =>
      bandPower(samples(rec, 'pump-1', 'vibration', a, a + 2), 5000, 2000, 2500);
    expect(hf(faulty, 10) / hf(faulty, 1)).toBeGreaterThan(10);
    expect(hf(healthy, 10) / hf(healthy, 1)).toBeLessThan(2);
    expect(hf(healthy, 10) / hf(healthy, 1)).toBeGreaterThan(0.5);
  });

  it('imbalance at severity s multiplies the 1× (shaft-speed) amplitude by 1 + 3s', () => {
    const rec = simulate(motor([{ kind: 'imbalance', start: 4, duration: 20, severity: 1, rampS: 0 }]), 10);
    const oneX = (a: number) => {
      const rpm = meanOf(samples(rec, 'motor-1', 'rpm', a, a + 2));
      return toneAmplitude(samples(rec, 'motor-1', 'vibration', a, a + 2), 5000, rpm / 60);
    };
    const ratio = oneX(6) / oneX(1);
    expect(ratio).toBeGreaterThan(3.3);
    expect(ratio).toBeLessThan(4.7);
  });

  it('overheating at severity 1 drives temperature towards +30 °C with the machine thermal lag', () => {
    const faults = [{ kind: 'overheating', start: 10, duration: 200, severity: 1, rampS: 0 }];
    const hot = simulate(motor(faults, { thermalTimeConstantS: 20 }), 80);
    const cool = simulate(motor([], { thermalTimeConstantS: 20 }), 80);
    const diff = (a: number) =>
      meanOf(samples(hot, 'motor-1', 'temperature', a, a + 1)) -
      meanOf(samples(cool, 'motor-1', 'temperature', a, a + 1));
    expect(Math.abs(diff(5))).toBeLessThan(0.1);
    expect(diff(30)).toBeGreaterThan(30 * (1 - Math.exp(-19 / 20)) - 1.5); // one time constant in: ~63 %
    expect(diff(30)).toBeLessThan(30 * (1 - Math.exp(-21 / 20)) + 1.5);
    expect(diff(75)).toBeGreaterThan(28);
  });

  it('cavitation at severity 1 raises pump pressure fluctuation (std) at least 5× and lowers flow', () => {
    const rec = simulate(pump([{ kind: 'cavitation', start: 10, duration: 20, severity: 1 }]), 25);
    const healthy = simulate(pump(), 25);
    expect(
      stdOf(samples(rec, 'pump-1', 'pressure', 12, 22)) / stdOf(samples(rec, 'pump-1', 'pressure', 0, 10)),
    ).toBeGreaterThan(5);
    expect(meanOf(samples(rec, 'pump-1', 'flow', 12, 22))).toBeLessThan(
      meanOf(samples(healthy, 'pump-1', 'flow', 12, 22)) * 0.95,
    );
  });

  it('sensor-stuck freezes one sensor at its last reading (zero variance), the others keep moving, and it recovers', () => {
    const rec = simulate(pump([{ kind: 'sensor-stuck', sensor: 'pressure', start: 5, duration: 5 }]), 15);
    const stuck = samples(rec, 'pump-1', 'pressure', 5, 10);
    const before = samples(rec, 'pump-1', 'pressure', 4, 5);
    expect(stuck).toHaveLength(250);
    expect(new Set(stuck).size).toBe(1);
    expect(stuck[0]).toBe(before[before.length - 1]);
    expect(stdOf(samples(rec, 'pump-1', 'current', 5, 10))).toBeGreaterThan(0);
    expect(new Set(samples(rec, 'pump-1', 'pressure', 10, 12)).size).toBeGreaterThan(50);
  });

  it('sensor-drift adds 10 % of the sensor span per minute × severity, and nothing else changes', () => {
    const drift = simulate(
      pump([{ kind: 'sensor-drift', sensor: 'temperature', start: 5, duration: 60, severity: 0.5 }]),
      40,
    );
    const clean = simulate(pump(), 40);
    const a = samples(drift, 'pump-1', 'temperature', 0, 40);
    const b = samples(clean, 'pump-1', 'temperature', 0, 40);
    for (let i = 0; i < a.length; i += 17) {
      const t = i * 100; // 10 Hz: ms after start
      const expected = t < 5000 ? 0 : (0.1 * 0.5 * 40 * (t - 5000)) / 60_000;
      expect((a[i] as number) - (b[i] as number)).toBeCloseTo(expected, 1);
    }
    expect(samples(drift, 'pump-1', 'pressure', 0, 40)).toEqual(samples(clean, 'pump-1', 'pressure', 0, 40));
  });

  it('dropout silences the machine (no batches, seq continues without a gap) or, with a sensor, drops only that sensor', () => {
    const whole = simulate(pump([{ kind: 'dropout', start: 3, duration: 2 }]), 8);
    const times = whole.raw.map((b) => b.t0);
    expect(times.filter((t) => t >= S + 3000 && t < S + 5000)).toHaveLength(0);
    expect(times).toHaveLength(60);
    expect(whole.raw.map((b) => b.seq)).toEqual([...Array(60).keys()]);
    const one = simulate(pump([{ kind: 'dropout', sensor: 'flow', start: 3, duration: 2 }]), 8);
    const during = one.raw.filter((b) => b.t0 >= S + 3000 && b.t0 < S + 5000);
    expect(during).toHaveLength(20);
    expect(during.every((b) => !('flow' in b.sensors) && 'pressure' in b.sensors)).toBe(true);
  });

  it('random faults arrive as a seeded Poisson stream with truth for each start and end', () => {
    const plant = singleMachinePlant({
      id: 'motor-9',
      type: 'motor',
      sensors: { temperature: { rate: 10 } },
      randomFaults: { ratePerHour: 120, durationS: [5, 20] },
    });
    const a = simulate(plant, 600, 3);
    const b = simulate(plant, 600, 3);
    expect(a.truth).toEqual(b.truth);
    const starts = a.truth.filter((t) => t.state === 'start');
    expect(starts.length).toBeGreaterThanOrEqual(8); // mean 20 in 10 min
    expect(starts.length).toBeLessThanOrEqual(35);
    expect(starts.every((s) => !['cavitation'].includes(s.fault))).toBe(true); // a motor cannot cavitate
    expect(new Set(starts.map((s) => s.fault)).size).toBeGreaterThan(2);
  });
});
