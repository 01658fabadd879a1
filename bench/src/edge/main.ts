// Edge benchmark: K-means windows per second per core, camera frames per second fp32 vs int8,
// and fault-onset → anomaly-event latency through a real takt-edge process (p50/p95).
//   node --conditions=@takt/source --import tsx bench/src/edge/main.ts
// TAKT_BENCH_EDGE_CYCLES (default 6) fault onsets for the latency rows.
import { pathToFileURL } from 'node:url';
import { toMarkdown, type BenchReport } from '../report.js';
import { latencyRows } from './latency.js';
import { kmeansRows, visionRows } from './throughput.js';

export async function run(): Promise<BenchReport> {
  const rows = [
    ...(await kmeansRows()),
    ...(await visionRows()),
    ...(await latencyRows(Number(process.env['TAKT_BENCH_EDGE_CYCLES'] ?? 6))),
  ];
  return {
    name: 'edge',
    rows,
    notes: [
      'onnxruntime-node CPU provider, intraOpNumThreads 1 (one core); other engineers share the CPU, numbers are provisional',
      'K-means input: features of 1 s windows of a 5 kHz vibration + 4 slow sensors (40 features), 8 centroids; the int8 graph is the fixture CNN with QDQ around its convolutions (ORT CPU runs it slower than fp32 at this size)',
      'latency: agent process restored a signed K-means model fitted on healthy windows; synthetic 2 kHz vibration whose amplitude triples at the onset, published every 100 ms on a plant-local mosquitto; agent → takt-broker upstream',
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(toMarkdown(await run()));
}
