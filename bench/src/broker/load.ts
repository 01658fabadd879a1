import { createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildTopic, decodePublish, topicFilter } from '@takt/contracts';
import {
  connectPacket,
  DISCONNECT,
  PacketReader,
  PacketType,
  publishPacket,
  pubackPacket,
  readPublish,
  subscribePacket,
  type WirePacket,
} from './wire.js';
import { cpuSeconds } from '../cpu.js';

/** One publisher × subscriber shape at one QoS. */
export interface LoadShape {
  publishers: number;
  subscribers: number;
  qos: 0 | 1;
}

export interface LoadOptions {
  /** ms of load before measuring; default 700 */
  warmupMs?: number;
  /** ms measured; default 3000 */
  durationMs?: number;
  /** messages per publisher sent but not yet seen by the first subscriber (closed loop); default 100 */
  window?: number;
}

export interface LoadTarget {
  port: number;
  /** the broker's process id, to read its CPU time from /proc */
  pid?: number;
  /** credentials for publisher `i` (a device) and for subscribers (a service); undefined: anonymous */
  deviceLogin?: (i: number) => { username: string; password: string };
  serviceLogin?: { username: string; password: string };
}

export interface LoadResult {
  /** messages delivered to subscribers per second (fan-out counted) */
  throughput: number;
  /** ms from publish to delivery */
  p50: number;
  p99: number;
  delivered: number;
  /** broker CPU time (user + system) per delivered message, µs; NaN without /proc */
  brokerCpuUs: number;
  /** load generator CPU time over wall time while measuring, 0..cores */
  generatorCpu: number;
}

export const deviceId = (i: number) => `press-${String(i + 1).padStart(2, '0')}`;
const SEQ_AT = '{"seq":'.length;

/** A valid telemetry message with `seq` first, so the reader finds it without parsing JSON. */
function telemetryPayload(device: string, seq: number): Buffer {
  return Buffer.from(
    `{"seq":${seq},"schemaVersion":1,"deviceId":"${device}","ts":${Date.now()},"intervalMs":1000,"values":{"temperature":41.5,"current":12.1,"pressure":3.2}}`,
  );
}

function seqOf(payload: Buffer): number {
  let n = 0;
  for (let i = SEQ_AT; i < payload.length; i++) {
    const c = payload[i] as number;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

class WireConnection {
  readonly socket: Socket;
  readonly #reader = new PacketReader();
  onPacket: (p: WirePacket) => void = () => undefined;

  constructor(port: number) {
    this.socket = createConnection({ port, host: '127.0.0.1', noDelay: true });
    this.socket.on('data', (chunk: Buffer) => {
      for (const p of this.#reader.push(chunk)) this.onPacket(p);
    });
  }

  /** Sends CONNECT (and an optional first packet) and resolves on the answer of the given type. */
  async handshake(connect: Buffer, then: { packet: Buffer; answer: number } | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.onPacket = (p) => {
        if (p.type !== PacketType.CONNACK) return;
        if (p.body[1] !== 0) return reject(new Error(`CONNACK ${p.body[1]}`));
        if (!then) return resolve();
        this.onPacket = (q) => (q.type === then.answer ? resolve() : undefined);
        this.socket.write(then.packet);
      };
      this.socket.write(connect);
    });
  }

  close(): void {
    this.socket.end(DISCONNECT);
    this.socket.destroy();
  }
}

const RING = 1 << 18;

class Publisher {
  readonly sendTimes = new Float64Array(RING);
  readonly topic: Buffer;
  seq = 0;
  outstanding = 0;
  running = true;
  #blocked = false;

  constructor(
    readonly conn: WireConnection,
    readonly device: string,
    readonly qos: 0 | 1,
    readonly window: number,
  ) {
    this.topic = Buffer.from(buildTopic({ site: 'bench', line: 'line-1', device, channel: 'telemetry' }));
    conn.socket.on('drain', () => {
      this.#blocked = false;
      this.pump();
    });
  }

  pump(): void {
    if (this.#blocked) return;
    const s = this.conn.socket;
    s.cork();
    while (this.running && this.outstanding < this.window) {
      const seq = ++this.seq;
      this.sendTimes[seq & (RING - 1)] = performance.now();
      this.outstanding++;
      if (!s.write(publishPacket(this.topic, telemetryPayload(this.device, seq), this.qos, (seq % 65_535) + 1))) {
        this.#blocked = true;
        break;
      }
    }
    s.uncork();
  }
}

/** Latency samples and delivery counts of one run. */
class Tally {
  readonly samples = new Float64Array(1 << 21);
  count = 0;
  delivered = 0;
  measuring = false;

  record(latency: number): void {
    if (!this.measuring) return;
    this.delivered++;
    if (this.count < this.samples.length) this.samples[this.count++] = latency;
  }

  percentile(p: number): number {
    const sorted = this.samples.subarray(0, this.count).sort();
    return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number) : NaN;
  }
}

function subscriberHandler(
  conn: WireConnection,
  isFirst: boolean,
  byTopic: Map<string, Publisher>,
  tally: Tally,
): (p: WirePacket) => void {
  return (p) => {
    if (p.type !== PacketType.PUBLISH) return;
    const msg = readPublish(p);
    if (msg.qos) conn.socket.write(pubackPacket(msg.messageId));
    const pub = byTopic.get(msg.topic);
    if (!pub) return;
    tally.record(performance.now() - (pub.sendTimes[seqOf(msg.payload) & (RING - 1)] as number));
    if (isFirst) {
      pub.outstanding--;
      pub.pump();
    }
  };
}

/** Runs one closed-loop load shape against a broker and measures delivery rate and latency. */
export async function runLoad(target: LoadTarget, shape: LoadShape, options: LoadOptions = {}): Promise<LoadResult> {
  const { warmupMs = 700, durationMs = 3000, window = 100 } = options;
  decodePublish(
    buildTopic({ site: 'bench', line: 'line-1', device: deviceId(0), channel: 'telemetry' }),
    telemetryPayload(deviceId(0), 1),
  ); // the payload is a valid contract message
  const tally = new Tally();
  const byTopic = new Map<string, Publisher>();
  const conns: WireConnection[] = [];
  try {
    for (let s = 0; s < shape.subscribers; s++) {
      const conn = new WireConnection(target.port);
      conns.push(conn);
      const login = target.serviceLogin;
      await conn.handshake(
        connectPacket(`${login?.username ?? 'bench'}-sub-${s}-${process.pid}`, login?.username, login?.password),
        {
          packet: subscribePacket(1, topicFilter({ site: 'bench', channel: 'telemetry' }), shape.qos),
          answer: PacketType.SUBACK,
        },
      );
      conn.onPacket = subscriberHandler(conn, s === 0, byTopic, tally);
    }
    const pubs: Publisher[] = [];
    for (let i = 0; i < shape.publishers; i++) {
      const conn = new WireConnection(target.port);
      conns.push(conn);
      const login = target.deviceLogin?.(i);
      await conn.handshake(
        connectPacket(`${login?.username ?? 'bench'}-pub-${i}-${process.pid}`, login?.username, login?.password),
        undefined,
      );
      const pub = new Publisher(conn, deviceId(i), shape.qos, window);
      byTopic.set(pub.topic.toString(), pub);
      pubs.push(pub);
    }
    for (const pub of pubs) pub.pump();
    await new Promise((r) => setTimeout(r, warmupMs));
    tally.measuring = true;
    const t0 = performance.now();
    const cpu0 = cpuSeconds(target.pid);
    const gen0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, durationMs));
    tally.measuring = false;
    const seconds = (performance.now() - t0) / 1000;
    const gen = process.cpuUsage(gen0);
    const brokerCpu = cpuSeconds(target.pid) - cpu0;
    for (const pub of pubs) pub.running = false;
    return {
      throughput: tally.delivered / seconds,
      p50: tally.percentile(0.5),
      p99: tally.percentile(0.99),
      delivered: tally.delivered,
      brokerCpuUs: (brokerCpu * 1e6) / tally.delivered,
      generatorCpu: (gen.user + gen.system) / 1e6 / seconds,
    };
  } finally {
    for (const c of conns) c.close();
  }
}
