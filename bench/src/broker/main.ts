import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { startMosquitto, startTestBroker, type TestBrokerUser } from '@takt/testing';
import { ratioOf, toMarkdown, type BenchReport, type BenchRow } from '../report.js';
import { Resources } from '../resources.js';
import { bestOfCliLoad } from './cli-load.js';
import { deviceId, runLoad, type LoadShape, type LoadTarget } from './load.js';

/** messages per round of the mosquitto_pub / mosquitto_sub load (TAKT_BENCH_BROKER_CLI_MESSAGES) */
const CLI_MESSAGES = Number(process.env['TAKT_BENCH_BROKER_CLI_MESSAGES'] ?? 50_000);
const CLI_ROUNDS = 3;

const SHAPES: LoadShape[] = [
  { publishers: 1, subscribers: 1, qos: 0 },
  { publishers: 10, subscribers: 1, qos: 0 },
  { publishers: 1, subscribers: 10, qos: 0 },
  { publishers: 1, subscribers: 1, qos: 1 },
  { publishers: 10, subscribers: 1, qos: 1 },
  { publishers: 1, subscribers: 10, qos: 1 },
];
const MAX_PUBLISHERS = Math.max(...SHAPES.map((s) => s.publishers));

function mosquittoVersion(): string {
  try {
    return execFileSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }).split('\n')[0]?.trim() ?? 'mosquitto';
  } catch (err) {
    return ((err as { stdout?: string }).stdout ?? 'mosquitto').split('\n')[0]?.trim() ?? 'mosquitto';
  }
}

const label = (s: LoadShape) => `QoS ${s.qos}, ${s.publishers} pub × ${s.subscribers} sub`;

/**
 * takt-broker (users file, role ACLs and contract validation on) against Debian's mosquitto, same
 * closed-loop load generator, same run: delivered msg/s and publish→delivery latency per shape.
 */
export async function run(): Promise<BenchReport> {
  const devices: TestBrokerUser[] = Array.from({ length: MAX_PUBLISHERS }, (_, i) => ({
    username: deviceId(i),
    password: `secret-${i}`,
    role: 'device',
  }));
  const res = new Resources();
  const peerName = mosquittoVersion().replace(/^mosquitto version/, 'mosquitto');
  const rows: BenchRow[] = [];
  try {
    const takt = res.add('takt-broker', await startTestBroker({ users: devices }), (b) => b.close());
    // TCP_NODELAY like takt-broker's sockets, so neither side waits on Nagle's algorithm
    const mosquitto = res.add('mosquitto', await startMosquitto({ extraConfig: 'set_tcp_nodelay true' }), (b) =>
      b.close(),
    );
    const taktTarget: LoadTarget = {
      port: takt.port,
      pid: takt.process.pid,
      deviceLogin: (i) => ({ username: deviceId(i), password: `secret-${i}` }),
      serviceLogin: { username: 'service', password: 'service-secret' },
    };
    const mosqTarget: LoadTarget = { port: mosquitto.port, pid: mosquitto.process.pid };
    for (const shape of SHAPES) {
      const ours = await runLoad(taktTarget, shape);
      const peer = await runLoad(mosqTarget, shape);
      const target = shape.qos === 1 ? '>= 1.0 × mosquitto' : undefined;
      rows.push({
        metric: `throughput, ${label(shape)}`,
        unit: 'msg/s',
        ours: ours.throughput,
        peer: peer.throughput,
        peerName,
        ratio: ratioOf(ours.throughput, peer.throughput),
        ...(target ? { target } : {}),
      });
      rows.push({
        metric: `p50 latency, ${label(shape)}`,
        unit: 'ms',
        ours: ours.p50,
        peer: peer.p50,
        peerName,
        ratio: ratioOf(ours.p50, peer.p50),
      });
      rows.push({
        metric: `p99 latency, ${label(shape)}`,
        unit: 'ms',
        ours: ours.p99,
        peer: peer.p99,
        peerName,
        ratio: ratioOf(ours.p99, peer.p99),
      });
      rows.push({
        metric: `broker CPU per delivery, ${label(shape)}`,
        unit: 'µs',
        ours: ours.brokerCpuUs,
        peer: peer.brokerCpuUs,
        peerName,
        ratio: ratioOf(ours.brokerCpuUs, peer.brokerCpuUs),
        note: `load generator used ${ours.generatorCpu.toFixed(2)} / ${peer.generatorCpu.toFixed(2)} cores`,
      });
    }
    rows.push(...(await cliRows(taktTarget, mosqTarget, peerName)));
  } finally {
    await res.closeAll();
  }
  return {
    name: 'broker',
    rows,
    notes: [
      'Closed loop: each publisher keeps 100 messages in flight end to end (sent, not yet delivered to the first subscriber); 0.7 s warm-up, 3 s measured per shape and broker.',
      'Throughput counts deliveries (1 pub × 10 sub delivers each message 10 times). Latency: publish write to subscriber read, in the load generator.',
      'takt-broker runs with a users file (scrypt), the default role ACLs and contract validation of every takt/v1 payload; mosquitto runs anonymous, no ACL, persistence off, set_tcp_nodelay true (takt-broker sets TCP_NODELAY too).',
      'The stable figure is broker CPU per delivery (from /proc, independent of how much CPU other work left): throughput and latency swing with the load of the shared machine.',
      'Payloads are valid telemetry contract messages (~150 bytes). One Node process generates the load for both brokers on the same machine; CPU is shared with other work, so numbers are provisional.',
      `mosquitto_pub / mosquitto_sub rows: Debian's clients (libmosquitto: at most 20 QoS 1 messages in flight), ${CLI_MESSAGES.toLocaleString('en-US')} telemetry messages per round from \`mosquitto_pub -l -q 1\` (one per stdin line) to \`mosquitto_sub -q 1 -C n\` (persistent session, subscribed with \`-c -E\` before the publisher starts); best of ${CLI_ROUNDS} rounds, the brokers' rounds interleaved; takt-broker with a device login, the service login, ACLs and validation, mosquitto anonymous. Client CPU is read from /proc while they run (a little low).`,
    ],
  };
}

/** The rows of the second load generator, Debian's mosquitto_pub and mosquitto_sub, for both brokers. */
async function cliRows(takt: LoadTarget, mosquitto: LoadTarget, peerName: string): Promise<BenchRow[]> {
  const best = await bestOfCliLoad(
    [
      { name: 'takt', target: takt },
      { name: 'mosquitto', target: mosquitto },
    ],
    CLI_MESSAGES,
    CLI_ROUNDS,
  );
  const ours = best.get('takt');
  const peer = best.get('mosquitto');
  if (!ours || !peer) throw new Error('mosquitto_pub/mosquitto_sub load gave no result');
  const rates = (r: { all: number[] }) => r.all.map((v) => Math.round(v).toLocaleString('en-US')).join(', ');
  return [
    {
      metric: `throughput with mosquitto_pub -l / mosquitto_sub, QoS 1, 1 pub × 1 sub, best of ${CLI_ROUNDS}`,
      unit: 'msg/s',
      ours: ours.rate,
      peer: peer.rate,
      peerName,
      ratio: ratioOf(ours.rate, peer.rate),
      target: '>= 1.0 × mosquitto',
      note: `rounds: takt-broker ${rates(ours)}; mosquitto ${rates(peer)} msg/s`,
    },
    {
      metric: 'broker CPU per message with mosquitto_pub / mosquitto_sub, QoS 1 (best round)',
      unit: 'µs',
      ours: ours.brokerCpuUs,
      peer: peer.brokerCpuUs,
      peerName,
      ratio: ratioOf(ours.brokerCpuUs, peer.brokerCpuUs),
      note: `mosquitto_pub + mosquitto_sub used ${ours.clientsCpuUs.toFixed(1)} / ${peer.clientsCpuUs.toFixed(1)} µs per message`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await run();
  process.stdout.write(toMarkdown(report) + '\n');
}
