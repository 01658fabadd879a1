import { ratioOf, type BenchRow } from '../report.js';
import type { PipelineResult, RawCeiling } from './main.js';
import type { CoreLayout } from './pinning.js';

export const cpuNote = (c: Record<string, number>) =>
  `CPU µs/point: ${Object.entries(c)
    .filter(([, v]) => Number.isFinite(v))
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ')}`;

export const lossNote = (total: number, stored: number) => (total === stored ? 'zero loss' : `LOST ${total - stored}`);

/** Takt's own CPU per stored point (broker + ingestor) against influxd's for the same points in the same run. */
export function cpuRows(batched: PipelineResult, single: PipelineResult, batch: number): BenchRow[] {
  const row = (r: PipelineResult, what: string, target: string): BenchRow => {
    const ours = (r.cpuUs['broker'] as number) + (r.cpuUs['ingestor'] as number);
    const influxd = r.cpuUs['influxd'] as number;
    return {
      metric: `CPU per stored point, takt-broker + takt-ingest, ${what}`,
      unit: 'µs',
      ours,
      peer: influxd,
      peerName: 'influxd storing the same points',
      ratio: ratioOf(ours, influxd),
      target,
      note: `broker ${(r.cpuUs['broker'] as number).toFixed(1)} + ingestor ${(r.cpuUs['ingestor'] as number).toFixed(1)} µs/point; from /proc over the run below`,
    };
  };
  return [row(batched, `${batch} per message`, '<= 1.0 × influxd'), row(single, '1 per message', '<= 2.0 × influxd')];
}

/** The scale-out layout on one machine: the pipeline pinned beside influxd, against the raw ceiling pinned the same way. */
export function pinnedRow(
  layout: CoreLayout,
  raw: RawCeiling,
  r: PipelineResult,
  points: number,
  batch: number,
): BenchRow {
  return {
    metric: `scale-out layout (taskset): influxd on CPU ${layout.influxd}; takt-broker, takt-ingest and the publishers on CPU ${layout.pipeline}; ${batch} per message`,
    unit: 'pts/s',
    ours: r.rate,
    peer: raw.best,
    peerName: `raw /write ceiling, influxd on CPU ${layout.influxd}, writer on CPU ${layout.pipeline}, ${raw.batch} pts × ${raw.concurrency}`,
    ratio: ratioOf(r.rate, raw.best),
    target: '>= 0.9 × pinned raw, zero loss',
    note: `${lossNote(points, r.stored)}; ${r.seconds.toFixed(1)} s publish-to-queryable; ${cpuNote(r.cpuUs)}; pinned raw settings: ${raw.all.join('; ')} (influxd ${raw.influxCpuUs.toFixed(1)} µs/point at the best)`,
  };
}
