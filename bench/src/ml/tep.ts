import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRow } from '../report.js';
import { pcaBaseline } from './pca-baseline.js';
import { anomalyFlags, flaggedShare, readManifest, trainer } from './cli.js';

/** Faults 3, 9 and 15 are practically undetectable and left out of averages (see tep/README.md). */
const UNDETECTABLE = new Set([3, 9, 15]);
const ONSET_ROW = 160;
const FAULTS = Array.from({ length: 21 }, (_, i) => i + 1);
const faultFile = (dir: string, f: number) => join(dir, `test_fault_${String(f).padStart(2, '0')}.csv`);

export interface TepResult {
  falseAlarm: number;
  preOnsetFalseAlarm: number;
  detection: Record<number, number>;
  meanDetection: number;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const summarise = (falseAlarm: number, pre: number[], detection: Record<number, number>): TepResult => ({
  falseAlarm,
  preOnsetFalseAlarm: mean(pre),
  detection,
  meanDetection: mean(FAULTS.filter((f) => !UNDETECTABLE.has(f)).map((f) => detection[f] as number)),
});

/** `takt-trainer anomaly fit` on train_normal.csv, `anomaly score` on the test files, with the defaults (or `extra` flags). */
export async function tepThroughCli(
  dir: string,
  work: string,
  extra: string[] = [],
): Promise<TepResult & { fitMs: number; detector: string }> {
  const model = join(work, `tep-model${extra.join('')}`);
  const common = ['--time-column', 'time', '--exclude-columns', 'fault'];
  await trainer(['anomaly', 'fit', '--csv', join(dir, 'train_normal.csv'), ...common, ...extra, '--out', model]);
  const flags = async (csv: string) => {
    const out = join(work, 'tep-score.csv');
    await trainer(['anomaly', 'score', '--model', model, '--csv', csv, ...common, '--out', out]);
    return anomalyFlags(out);
  };
  const falseAlarm = flaggedShare(await flags(join(dir, 'test_normal.csv')));
  const pre: number[] = [];
  const detection: Record<number, number> = {};
  for (const f of FAULTS) {
    const fl = await flags(faultFile(dir, f));
    pre.push(flaggedShare(fl, 0, ONSET_ROW));
    detection[f] = flaggedShare(fl, ONSET_ROW);
  }
  const m = readManifest(model);
  return {
    ...summarise(falseAlarm, pre, detection),
    fitMs: m.training.durationMs ?? NaN,
    detector: m.detector ?? 'kmeans',
  };
}

function readTep(file: string): number[][] {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const header = (lines[0] as string).split(',');
  const cols = header.map((h, i) => i).filter((i) => header[i] !== 'time' && header[i] !== 'fault');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return cols.map((c) => Number(cells[c]));
  });
}

/** The textbook detector as the naive baseline: PCA (90 % variance) with T² and SPE at their 99th percentile on the training rows. */
export function tepBaseline(dir: string): TepResult {
  const flag = pcaBaseline(readTep(join(dir, 'train_normal.csv')));
  const share = (f: Uint8Array, a = 0, b = f.length) => flaggedShare(f, a, b);
  const pre: number[] = [];
  const detection: Record<number, number> = {};
  for (const f of FAULTS) {
    const fl = flag(readTep(faultFile(dir, f)));
    pre.push(share(fl, 0, ONSET_ROW));
    detection[f] = share(fl, ONSET_ROW);
  }
  return summarise(share(flag(readTep(join(dir, 'test_normal.csv')))), pre, detection);
}

const pct = (v: number) => Math.round(v * 1000) / 10;

export function tepRows(
  ours: TepResult & { fitMs: number; detector: string },
  base: TepResult,
  label = 'defaults',
): BenchRow[] {
  return [
    {
      metric: `TEP false alarms on test_normal.csv (${label}, detector ${ours.detector})`,
      unit: '% rows',
      ours: pct(ours.falseAlarm),
      peer: pct(base.falseAlarm),
      peerName: 'PCA T²/SPE 99 % limits',
      target: '<= 5 %',
    },
    {
      metric: `TEP false alarms before onset, mean of 21 fault files (${label})`,
      unit: '% rows',
      ours: pct(ours.preOnsetFalseAlarm),
      peer: pct(base.preOnsetFalseAlarm),
      peerName: 'PCA T²/SPE 99 %',
    },
    {
      metric: `TEP mean detection rate, 18 faults without 3, 9, 15 (${label})`,
      unit: '% rows',
      ours: pct(ours.meanDetection),
      peer: pct(base.meanDetection),
      peerName: 'PCA T²/SPE 99 %',
      target: '>= 85 %',
    },
    {
      metric: `TEP detection per fault (${label})`,
      unit: '',
      ours: NaN,
      note: Object.entries(ours.detection)
        .map(([f, v]) => `${f}: ${pct(v)} (${pct(base.detection[Number(f)] as number)})`)
        .join(', '),
    },
  ];
}
