import { performance } from 'node:perf_hooks';
import { buildTopic, encode, type DeviceAddress, type RawSampleBatch } from '@takt/contracts';
import type { MqttClient } from 'mqtt';
import { SimError } from '../errors.js';
import type { CsvSeries } from './csv.js';

export interface ReplayOptions {
  address: DeviceAddress;
  /** wall time runs this many times faster than the recording; default 1 */
  speed?: number;
  /** `scaled` (default): ts = replay start + (original − first) / speed; `original`: the recorded times */
  timestamps?: 'scaled' | 'original';
  /** QoS of the raw publishes; default 1 */
  qos?: 0 | 1;
  /** ms epoch the replay starts at; default now */
  nowMs?: number;
  signal?: AbortSignal;
}

/** Row times made non-decreasing (a clock that jumps back replays its rows right after the previous one). */
export function pacedTimes(series: CsvSeries): number[] {
  let last = Number.NEGATIVE_INFINITY;
  return series.rows.map((r) => (last = Math.max(last, r.time)));
}

/** The rows as raw batches, one per row, in file order. `rate` is the median sample rate (after scaling). */
export function replayBatches(series: CsvSeries, o: ReplayOptions): RawSampleBatch[] {
  const speed = o.speed ?? 1;
  if (!(speed > 0)) throw new SimError('BAD_ARGUMENT', `--speed must be a positive number, got ${speed}`, 'speed');
  const rows = series.rows;
  const paced = pacedTimes(series);
  const first = paced[0] as number;
  const gaps = paced
    .slice(1)
    .map((t, i) => t - (paced[i] as number))
    .filter((g) => g > 0)
    .sort((a, b) => a - b);
  const medianGap = gaps[Math.floor(gaps.length / 2)] ?? 1000;
  const scaled = (o.timestamps ?? 'scaled') === 'scaled';
  const rate = (1000 / medianGap) * (scaled ? speed : 1);
  const start = o.nowMs ?? Date.now();
  return rows.map((row, seq) => {
    const ts = scaled ? start + Math.round(((paced[seq] as number) - first) / speed) : row.time;
    const sensors: RawSampleBatch['sensors'] = {};
    series.columns.forEach((c, k) => (sensors[c] = { rate, values: [row.values[k] as number] }));
    return { schemaVersion: 1, deviceId: o.address.device, ts, seq, t0: ts, machineType: 'replay', sensors };
  });
}

/** Publishes the rows with their original spacing divided by `speed`; resolves once all are handed to the broker. */
export async function replaySeries(
  series: CsvSeries,
  client: MqttClient,
  o: ReplayOptions,
): Promise<{ published: number; wallMs: number }> {
  const speed = o.speed ?? 1;
  const topic = buildTopic({ ...o.address, channel: 'raw' });
  const batches = replayBatches(series, o);
  const paced = pacedTimes(series);
  const first = paced[0] as number;
  const wallStart = performance.now();
  let published = 0;
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < batches.length; i++) {
    if (o.signal?.aborted) break;
    const wait = wallStart + ((paced[i] as number) - first) / speed - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(client.publishAsync(topic, encode('raw', batches[i] as RawSampleBatch), { qos: o.qos ?? 1 }));
    published++;
    if (inFlight.length >= 256) await Promise.all(inFlight.splice(0)); // MQTT keeps one client's QoS 1 order
  }
  await Promise.all(inFlight);
  return { published, wallMs: performance.now() - wallStart };
}
