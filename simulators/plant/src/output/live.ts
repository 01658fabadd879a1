import { performance } from 'node:perf_hooks';
import { buildTopic, encode, type Channel, type DeviceAddress } from '@takt/contracts';
import type { MqttClient } from 'mqtt';
import type { Logger } from '@takt/runtime';
import type { BatchView } from '../machine.js';
import { PlantSimulation } from '../simulation.js';
import { RawEncoder } from './raw-json.js';
import { truthCsv } from './truth-file.js';

export interface LiveOptions {
  /** simulated seconds to run; default: until `signal` aborts */
  durationS?: number;
  /** simulated time per wall time; default 1 (real time) */
  speed?: number;
  /** rewritten with `machine,fault,start,end` whenever a fault starts or ends */
  truthFile?: string;
  /** validate every raw batch against the contract; default false (each machine's first only) */
  validateAll?: boolean;
  /** bytes queued on the socket before publishing waits for it to drain; default 4 MiB */
  highWaterBytes?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /**
   * sim time starts on the wall clock (`sim.startMs` is "now" when the simulation was made): the batches due
   * while the program was still starting (OPC UA and Modbus servers, the broker connection) leave at once, so
   * every timestamp — raw samples, fault truth — stays on the wall clock instead of lagging it by the start-up.
   * Default false: the first batch is due when the run starts (a `--start` in the past or future).
   */
  wallClock?: boolean;
  /** takes each raw batch first: true when its machine is served over OPC UA or Modbus, and the batch is not published */
  serve?: (view: BatchView) => boolean;
}

/** How well the run kept up: lag is how late a batch left versus its simulated completion time, ms. */
export interface LiveStats {
  machines: number;
  cameras: number;
  steps: number;
  rawPublished: number;
  cameraPublished: number;
  truthPublished: number;
  bytes: number;
  wallMs: number;
  simulatedMs: number;
  /** lag percentiles leave out the first min(20, 10 %) steps (JIT warm-up); lagMaxMs covers every step */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  finalLagMs: number;
  /** p99 lag under one batch period and the last step on time */
  keptUp: boolean;
}

interface SocketLike {
  writableLength?: number;
  cork?(): void;
  uncork?(): void;
  once(e: string, f: () => void): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percentile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
}

/** Publishes a plant in (scaled) real time: batches leave when their simulated period is over, never earlier. */
export async function runLive(sim: PlantSimulation, client: MqttClient, o: LiveOptions = {}): Promise<LiveStats> {
  const speed = o.speed ?? 1;
  const highWater = o.highWaterBytes ?? 4 << 20;
  const endMs = o.durationS === undefined ? Number.POSITIVE_INFINITY : sim.startMs + Math.round(o.durationS * 1000);
  const topics = new Map<Channel, WeakMap<DeviceAddress, string>>();
  const topic = (a: DeviceAddress, channel: Channel) => {
    let byAddress = topics.get(channel);
    if (!byAddress) topics.set(channel, (byAddress = new WeakMap()));
    let t = byAddress.get(a);
    if (t === undefined) byAddress.set(a, (t = buildTopic({ ...a, channel })));
    return t;
  };
  const encoder = new RawEncoder(o.validateAll);
  const stats = { rawPublished: 0, cameraPublished: 0, truthPublished: 0, bytes: 0 };
  const lags: number[] = [];
  const send = (t: string, payload: string | Buffer, qos: 0 | 1) => {
    stats.bytes += payload.length;
    client.publish(t, payload, { qos });
  };
  const sink = {
    truth: (a: DeviceAddress, m: Parameters<typeof encode<'truth'>>[1]) => {
      send(topic(a, 'truth'), encode('truth', m), 1);
      stats.truthPublished++;
      if (o.truthFile) truthCsv(o.truthFile, sim.faultsBefore(sim.now + sim.batchMs));
    },
    camera: (a: DeviceAddress, f: Parameters<typeof encode<'camera'>>[1]) => (
      send(topic(a, 'camera'), encode('camera', f), 0),
      stats.cameraPublished++
    ),
    raw: (v: Parameters<RawEncoder['encode']>[0]) =>
      void (o.serve?.(v) || (send(topic(v.address, 'raw'), encoder.encode(v), 0), stats.rawPublished++)),
  };
  const wallStart = performance.now() - (o.wallClock ? Math.max(0, Date.now() - sim.startMs) : 0);
  const dueAt = (simMs: number) => wallStart + (simMs - sim.startMs) / speed;
  // wallClock: the steps before the loop first has to wait are the catch-up, late by design; left out of the lag figures
  let catchUp = 0;
  let caughtUp = !o.wallClock;
  while (sim.now < endMs && !o.signal?.aborted) {
    const wait = dueAt(sim.now + sim.batchMs) - performance.now();
    if (wait > 0) {
      caughtUp = true;
      await sleep(wait);
    }
    if (o.signal?.aborted) break;
    const stream = (client as unknown as { stream?: SocketLike }).stream; // mqtt.js keeps its socket here
    stream?.cork?.(); // one write for the whole step instead of one per machine
    sim.step(sink);
    stream?.uncork?.();
    lags.push(performance.now() - dueAt(sim.now));
    if (!caughtUp) catchUp++;
    // a socket lost meanwhile (broker restart) never drains: mqtt.js reconnects on a new one
    if (stream?.writableLength !== undefined && stream.writableLength > highWater)
      await new Promise<void>((r) => (stream.once('drain', r), stream.once('close', r)));
    else if (lags.length % 50 === 0) await sleep(0); // let the socket and timers breathe when catching up
  }
  const warmup = Math.max(catchUp, Math.min(20, Math.floor(lags.length / 10))); // the first steps run before V8 has optimised the hot path
  const sorted = Float64Array.from(lags.slice(warmup)).sort();
  const lagP99Ms = percentile(sorted, 0.99);
  const finalLagMs = lags[lags.length - 1] ?? 0;
  const result: LiveStats = {
    machines: sim.machines.length,
    cameras: sim.cameras.length,
    steps: lags.length,
    ...stats,
    wallMs: performance.now() - wallStart,
    simulatedMs: sim.now - sim.startMs,
    lagP50Ms: percentile(sorted, 0.5),
    lagP99Ms,
    lagMaxMs: lags.slice(catchUp).reduce((m, l) => Math.max(m, l), 0),
    finalLagMs,
    keptUp: lagP99Ms < sim.batchMs && finalLagMs < sim.batchMs,
  };
  o.logger?.info(result, 'run finished');
  if (o.truthFile) truthCsv(o.truthFile, sim.faultsBefore());
  return result;
}
