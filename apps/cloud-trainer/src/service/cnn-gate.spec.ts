import { describe, expect, it } from 'vitest';
import { classifierGate, frameLabel, HEALTHY_FAULT_CLASS, windowLabelOf, type EvidenceRecord } from './cnn-jobs.js';

const T = 1_767_225_600_000;
const rec = (over: Partial<EvidenceRecord>): EvidenceRecord => ({
  evidenceId: 'ev-1',
  deviceId: 'cam-1',
  ts: T,
  kind: 'frame',
  reason: 'sample',
  sha256: 'a'.repeat(64),
  ...over,
});
const engineer = (label: string) => ({ label, by: 'alice', at: T + 1, source: 'engineer' as const });

describe('CNN jobs: which label a piece of evidence carries', () => {
  it('a frame: the engineer or upload label wins; simulator truth only when allowed', () => {
    expect(frameLabel(rec({ truth: 'ok', label: engineer('scratch') }), true)).toEqual({
      label: 'scratch',
      source: 'engineer',
    });
    expect(frameLabel(rec({ truth: 'ok' }), true)).toEqual({ label: 'ok', source: 'simulator' });
    expect(frameLabel(rec({ truth: 'ok' }), false)).toBeUndefined();
    expect(frameLabel(rec({}), true)).toBeUndefined();
  });

  it('a window: a fault class or a false alarm from an engineer; a healthy sample is healthy; truth only when allowed', () => {
    const w = (over: Partial<EvidenceRecord>) =>
      rec({
        kind: 'window',
        reason: 'anomaly',
        window: { sensors: ['vibration'], eventId: 'evt-1', onset: T },
        ...over,
      });
    expect(windowLabelOf(w({ label: engineer('bearing-wear') }), false)).toEqual({
      fixed: { label: 'bearing-wear', source: 'engineer' },
      fromTruth: false,
    });
    expect(windowLabelOf(w({ label: engineer('false-alarm') }), true)).toEqual({
      fixed: { label: HEALTHY_FAULT_CLASS, source: 'engineer' },
      fromTruth: false,
    });
    // "true alarm" names no class: without truth the window teaches nothing
    expect(windowLabelOf(w({ label: engineer('true-alarm') }), false)).toBeUndefined();
    expect(windowLabelOf(w({ label: engineer('true-alarm') }), true)).toEqual({ fromTruth: true });
    expect(windowLabelOf(w({ reason: 'healthy' }), false)).toEqual({
      fixed: { label: HEALTHY_FAULT_CLASS, source: 'healthy-sample' },
      fromTruth: false,
    });
    expect(windowLabelOf(w({}), false)).toBeUndefined();
  });
});

describe('CNN promotion gate', () => {
  it('passes without a current model, and when the candidate is within the slack of the current one on the same samples', () => {
    expect(classifierGate({ version: 1, accuracy: 0.5 }, undefined, 20, 0.02)).toMatchObject({
      passed: true,
      reason: 'no current model',
    });
    const ok = classifierGate({ version: 3, accuracy: 0.89 }, { version: 2, accuracy: 0.9 }, 100, 0.02);
    expect(ok.passed).toBe(true);
    expect(ok.reason).toBe('as good as current v2: held-out accuracy 89.0% vs 90.0% on the same 100 samples');
  });

  it('refuses a candidate worse than the current model by more than the slack', () => {
    const bad = classifierGate({ version: 3, accuracy: 0.8 }, { version: 2, accuracy: 0.9 }, 100, 0.02);
    expect(bad).toMatchObject({ passed: false, current: { version: 2, accuracy: 0.9 } });
    expect(bad.reason).toMatch(/^worse than current v2/);
  });
});

describe('fault CNN validation split by recording', () => {
  it('holds out whole recordings (never a neighbour of a training window) and leaves every class something to learn from', async () => {
    const { groupSplit } = await import('../fault/fit.js');
    const groups = Array.from({ length: 200 }, (_, i) => `ev-${Math.floor(i / 10)}`); // 20 recordings of 10 overlapping windows
    const labels = Int32Array.from(groups, (_, i) => (Math.floor(i / 10) === 3 ? 1 : 0)); // class 1: one recording only
    const { train, val } = groupSplit(labels, groups, 2, 0.25);
    expect(train.length + val.length).toBe(200);
    const heldGroups = new Set(val.map((i) => groups[i]));
    for (const i of train) expect(heldGroups.has(groups[i] as string)).toBe(false);
    expect(val.length).toBeGreaterThan(0);
    expect(train.some((i) => labels[i] === 1)).toBe(true);
  });
});
