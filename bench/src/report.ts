/** One figure of a benchmark, next to the peer or limit it is judged against. */
export interface BenchRow {
  /** what was measured, e.g. "QoS 1 throughput, 1 pub × 1 sub" */
  metric: string;
  unit: string;
  /** our figure */
  ours: number;
  /** the peer's or the limit's figure, measured in the same run (omit when there is none) */
  peer?: number;
  /** what the peer is, e.g. "mosquitto 2.0.11", "raw InfluxDB HTTP writes" */
  peerName?: string;
  /** ours / peer */
  ratio?: number;
  /** the target, stated in the issue, e.g. ">= 1.0 × mosquitto" */
  target?: string;
  note?: string;
}

export interface BenchReport {
  /** area, e.g. "broker", "ingest", "inference", "edge", "trainer" */
  name: string;
  rows: BenchRow[];
  /** anything a reader needs: settings, caveats */
  notes?: string[];
}

export function ratioOf(ours: number, peer: number | undefined): number | undefined {
  return peer === undefined || peer === 0 ? undefined : Math.round((ours / peer) * 1000) / 1000;
}

const fmt = (v: number | undefined) =>
  v === undefined
    ? ''
    : Math.abs(v) >= 100
      ? Math.round(v).toLocaleString('en-US')
      : Number(v.toPrecision(3)).toString();

/** A markdown table of one report. */
export function toMarkdown(report: BenchReport): string {
  const lines = [
    `### ${report.name}`,
    '',
    '| metric | ours | peer / limit | ratio | target | note |',
    '|---|---:|---:|---:|---|---|',
    ...report.rows.map(
      (r) =>
        `| ${r.metric} | ${fmt(r.ours)} ${r.unit} | ${r.peer === undefined ? '' : `${fmt(r.peer)} ${r.unit} (${r.peerName ?? 'peer'})`} | ${fmt(r.ratio ?? ratioOf(r.ours, r.peer))} | ${r.target ?? ''} | ${r.note ?? ''} |`,
    ),
  ];
  if (report.notes?.length) lines.push('', ...report.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}
