import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BenchRow } from '../report.js';
import { anomalyFlags, flaggedRuns, trainer } from './cli.js';

/** NAB's probationary share: fit on it, score the whole file. */
const PROBATION = 0.15;

export interface NabFileResult {
  file: string;
  rows: number;
  windows: number;
  windowsHit: number;
  eventsOutside: number;
}

const utc = (t: string) =>
  Date.parse(
    `${t
      .trim()
      .replace(' ', 'T')
      .replace(/\.\d+$/, '')}Z`,
  );

/** Every NAB series with labelled windows, fitted on its first 15 % and scored whole through the CLI. */
export async function nabThroughCli(nabDir: string, work: string): Promise<NabFileResult[]> {
  const windows = JSON.parse(readFileSync(join(nabDir, 'labels', 'combined_windows.json'), 'utf8')) as Record<
    string,
    [string, string][]
  >;
  const results: NabFileResult[] = [];
  for (const group of readdirSync(join(nabDir, 'data'), { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const name of readdirSync(join(nabDir, 'data', group.name))
      .filter((f) => f.endsWith('.csv'))
      .sort()) {
      const key = `${group.name}/${name}`;
      const wins = windows[key];
      if (!wins) continue;
      const csv = join(nabDir, 'data', key);
      const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
      const head = join(work, `nab-head-${name}`);
      writeFileSync(head, `${lines.slice(0, 1 + Math.floor((lines.length - 1) * PROBATION)).join('\n')}\n`);
      const model = join(work, `nab-model-${basename(name, '.csv')}`);
      await trainer(['anomaly', 'fit', '--csv', head, '--time-column', 'timestamp', '--out', model]);
      const out = join(work, 'nab-score.csv');
      await trainer(['anomaly', 'score', '--model', model, '--csv', csv, '--time-column', 'timestamp', '--out', out]);
      const ts = lines.slice(1).map((l) => utc(l.slice(0, l.indexOf(','))));
      const spans = wins.map(([a, b]) => [utc(a), utc(b)] as const);
      const runs = flaggedRuns(anomalyFlags(out)).map(([a, b]) => [ts[a] as number, ts[b] as number] as const);
      const overlaps = (r: readonly [number, number], w: readonly [number, number]) => r[1] >= w[0] && r[0] <= w[1];
      results.push({
        file: key,
        rows: ts.length,
        windows: spans.length,
        windowsHit: spans.filter((w) => runs.some((r) => overlaps(r, w))).length,
        eventsOutside: runs.filter((r) => !spans.some((w) => overlaps(r, w))).length,
      });
    }
  }
  return results;
}

export function nabRows(results: NabFileResult[]): BenchRow[] {
  return results.map((r) => ({
    metric: `NAB ${r.file} (${r.rows} rows, fit on first 15 %): labelled windows with an alarm`,
    unit: `of ${r.windows}`,
    ours: r.windowsHit,
    note: `${r.eventsOutside} alarm events outside the windows`,
    ...(r.file.endsWith('machine_temperature_system_failure.csv') ? { target: 'all 4, <= 2 outside' } : {}),
  }));
}
