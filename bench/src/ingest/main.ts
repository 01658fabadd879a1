// Ingest benchmark: in one run against one private influxd, (a) the raw ceiling — batched
// line-protocol HTTP writes straight into InfluxDB — and (b) the same points published over MQTT
// through takt-broker and takt-ingest until the last one is queryable. Zero loss is checked by count.
//   node --conditions=@takt/source --import tsx bench/src/ingest/main.ts
// TAKT_BENCH_INGEST_POINTS (default 200000), TAKT_BENCH_INGEST_PUBLISHERS (default 4),
// TAKT_BENCH_INGEST_BATCH (telemetry intervals per message in the batched runs, default 10).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MqttClient } from 'mqtt';
import { freePort } from '@takt/runtime';
import {
  connectClient,
  spawnTakt,
  startInfluxd,
  startMosquitto,
  startTestBroker,
  tempDir,
  type InfluxdServer,
} from '@takt/testing';
import { ratioOf, toMarkdown, type BenchReport, type BenchRow } from '../report.js';
import { Resources } from '../resources.js';
import { CpuMeter } from '../cpu.js';
import { countPoints, createDatabase, influxClientWrite, rawHttpWrite, toPoints } from './influx-paths.js';
import { pinned, scaleOutLayout, type CoreLayout } from './pinning.js';
import { cpuNote, cpuRows, lossNote, pinnedRow } from './rows.js';
import { buildWorkload, type Workload } from './workload.js';

const POINTS = Number(process.env['TAKT_BENCH_INGEST_POINTS'] ?? 200_000);
const PUBLISHERS = Number(process.env['TAKT_BENCH_INGEST_PUBLISHERS'] ?? 4);
const BATCH = Number(process.env['TAKT_BENCH_INGEST_BATCH'] ?? 10);
const DEVICES = 100;
const SENSORS = 8;
/** (points per request, requests in flight) tried for the raw ceiling; the best one is the ceiling */
const RAW_SETTINGS: [number, number][] = [
  [5_000, 1],
  [5_000, 2],
  [5_000, 4],
  [10_000, 4],
];
const INGEST = { maxPoints: 5_000, maxAgeMs: 250, concurrency: 4 };

export interface RawCeiling {
  best: number;
  batch: number;
  concurrency: number;
  /** influxd CPU µs per point at the best setting */
  influxCpuUs: number;
  all: string[];
}

async function rawCeiling(influx: InfluxdServer, w: Workload, prefix = 'raw'): Promise<RawCeiling> {
  let best: RawCeiling = { best: 0, batch: 0, concurrency: 0, influxCpuUs: NaN, all: [] };
  const all: string[] = [];
  for (const [i, [batch, concurrency]] of RAW_SETTINGS.entries()) {
    const db = `${prefix}_${i}`;
    await createDatabase(influx.url, db);
    const cpu = new CpuMeter({ influxd: influx.process.pid });
    const rate = await rawHttpWrite(influx.url, db, w.lines, batch, concurrency);
    const influxCpuUs = ((cpu.delta()['influxd'] as number) * 1e6) / w.lines.length;
    if ((await countPoints(influx.url, db)) !== w.lines.length) throw new Error(`raw write into ${db} lost points`);
    all.push(`${batch}×${concurrency}: ${Math.round(rate).toLocaleString('en-US')} pts/s`);
    if (rate > best.best) best = { best: rate, batch, concurrency, influxCpuUs, all: [] };
  }
  return { ...best, all };
}

/** Publishes every message, QoS 1, split over the publishers, `window` unacknowledged per publisher. */
async function publishAll(publishers: MqttClient[], w: Workload, window = 1_000): Promise<void> {
  await Promise.all(
    publishers.map(async (client, p) => {
      const mine: number[] = [];
      for (let i = p; i < w.payloads.length; i += publishers.length) mine.push(i);
      for (let i = 0; i < mine.length; i += window) {
        await Promise.all(
          mine
            .slice(i, i + window)
            .map((j) => client.publishAsync(w.topics[j] as string, w.payloads[j] as Buffer, { qos: 1 })),
        );
      }
    }),
  );
}

interface BenchBroker {
  url: string;
  pid: number | undefined;
  auth: { username?: string; password?: string };
  close(): Promise<void>;
}

/** takt-broker as shipped (auth, ACL, contract validation on). */
async function taktBroker(): Promise<BenchBroker> {
  const b = await startTestBroker();
  return {
    url: b.url,
    pid: b.process.pid,
    auth: { username: 'service', password: 'service-secret' },
    close: () => b.close(),
  };
}

/** mosquitto (C, no validation, unlimited in-flight), to separate the ingestor's cost from the broker's. */
async function mosquitto(): Promise<BenchBroker> {
  const b = await startMosquitto({ extraConfig: 'max_inflight_messages 0' });
  return { url: b.url, pid: b.process.pid, auth: {}, close: () => b.close() };
}

/**
 * Polls the ingestor's written-points counter (cheap: no query load on influxd while it is being
 * measured) until every point is written or the counter stops growing for `stallMs`; returns the
 * count and when it last grew (performance.now() ms). influxd 1.x answers a /write only once the
 * points are queryable, so "written" is "queryable"; the caller checks the count in influxd after.
 */
async function waitWritten(
  metricsUrl: string,
  total: number,
  stallMs = 20_000,
): Promise<{ written: number; at: number }> {
  let written = 0;
  let at = performance.now();
  while (written < total && performance.now() - at < stallMs) {
    await new Promise((r) => setTimeout(r, 20));
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    const now = Number(/^takt_ingest_points_written_total (\d+)$/m.exec(text)?.[1] ?? 0);
    if (now > written) at = performance.now();
    written = now;
  }
  return { written, at };
}

export interface PipelineResult {
  rate: number;
  publishRate: number;
  stored: number;
  seconds: number;
  /** CPU µs per point of each process: influxd, broker, ingestor, publishers (this process) */
  cpuUs: Record<string, number>;
}

async function pipeline(
  influx: InfluxdServer,
  w: Workload,
  db: string,
  startBroker: () => Promise<BenchBroker>,
  layout?: CoreLayout,
): Promise<PipelineResult> {
  const res = new Resources();
  try {
    const dir = res.add('temp folder', tempDir('takt-bench-ingest-'), (d) => d.remove());
    const broker = res.add('broker', await startBroker(), (b) => b.close());
    const port = await freePort();
    const configFile = join(dir.path, 'ingest.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        broker: { url: broker.url, ...broker.auth, clientId: `${broker.auth.username ?? 'bench'}-ingest` },
        influx: { url: influx.url, database: db },
        batch: INGEST,
        buffer: { spoolDir: join(dir.path, 'spool') },
        deadLetterFile: join(dir.path, 'dead.jsonl'),
        metrics: { host: '127.0.0.1', port },
      }),
    );
    const ingestor = res.add(
      'takt-ingest',
      spawnTakt('apps/ingestor', ['--config', configFile], {
        ready: async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
        env: { TAKT_LOG_LEVEL: 'warn' },
      }),
      (p) => p.close(),
    );
    await ingestor.start();
    const publishers: MqttClient[] = [];
    for (let p = 0; p < PUBLISHERS; p++)
      publishers.push(
        res.add(
          `publisher ${p}`,
          await connectClient(broker.url, { ...broker.auth, clientId: `${broker.auth.username ?? 'bench'}-pub-${p}` }),
          (c) => c.endAsync(),
        ),
      );
    const cpu = new CpuMeter({
      influxd: influx.process.pid,
      broker: broker.pid,
      ingestor: ingestor.pid,
      self: undefined,
    });
    const t0 = performance.now();
    const pins: [number | undefined, string][] = layout
      ? [
          [influx.process.pid, layout.influxd],
          [broker.pid, layout.pipeline],
          [ingestor.pid, layout.pipeline],
          [process.pid, layout.pipeline],
        ]
      : [];
    const { published, at } = await pinned(pins, async () => {
      await publishAll(publishers, w);
      const published = performance.now();
      return { published, ...(await waitWritten(`http://127.0.0.1:${port}`, w.lines.length)) };
    });
    const used = cpu.delta();
    const seconds = (at - t0) / 1000;
    const stored = await countPoints(influx.url, db);
    const perPoint = (s: number) => (s * 1e6) / w.lines.length;
    const cpuUs = {
      influxd: perPoint(used['influxd'] as number),
      broker: perPoint(used['broker'] as number),
      ingestor: perPoint(used['ingestor'] as number),
      publishers: perPoint(used['self'] as number),
    };
    return {
      rate: stored / seconds,
      publishRate: w.payloads.length / ((published - t0) / 1000),
      stored,
      seconds,
      cpuUs,
    };
  } finally {
    await res.closeAll();
  }
}

const sum = (c: Record<string, number>) =>
  Object.values(c)
    .filter(Number.isFinite)
    .reduce((a, b) => a + b, 0);

export async function run(): Promise<BenchReport> {
  const influx = await startInfluxd();
  try {
    const now = Date.now();
    const w = buildWorkload(POINTS, DEVICES, SENSORS, now);
    const wb = buildWorkload(POINTS, DEVICES, SENSORS, now, BATCH);
    const raw = await rawCeiling(influx, w);
    const ceiling = `raw HTTP /write ceiling, ${raw.batch} pts × ${raw.concurrency}`;
    await createDatabase(influx.url, 'client');
    const client = await influxClientWrite(influx.url, 'client', toPoints(w.lines), raw.batch, raw.concurrency);
    const p = await pipeline(influx, w, 'takt', taktBroker);
    const pb = await pipeline(influx, wb, 'takt_batched', taktBroker);
    const m = await pipeline(influx, w, 'takt_mosquitto', mosquitto);
    const mb = await pipeline(influx, wb, 'takt_mosquitto_batched', mosquitto);
    // the scale-out layout: influxd alone on one core, the pipeline on the other, against the raw ceiling pinned the same way
    const layout = scaleOutLayout();
    const pinnedRaw = layout
      ? await pinned(
          [
            [influx.process.pid, layout.influxd],
            [process.pid, layout.pipeline],
          ],
          () => rawCeiling(influx, w, 'pinned_raw'),
        )
      : undefined;
    const pp = layout ? await pipeline(influx, wb, 'takt_pinned', taktBroker, layout) : undefined;
    const pts = POINTS.toLocaleString('en-US');
    const rows: BenchRow[] = [
      ...cpuRows(pb, p, BATCH),
      ...(layout && pinnedRaw && pp ? [pinnedRow(layout, pinnedRaw, pp, wb.lines.length, BATCH)] : []),
      {
        metric: `influx npm client writePoints, ${raw.batch} pts × ${raw.concurrency} in flight`,
        unit: 'pts/s',
        ours: client,
        peer: raw.best,
        peerName: 'raw HTTP /write',
        ratio: ratioOf(client, raw.best),
        note: 'why the store writes line protocol over HTTP itself',
      },
      {
        metric: `MQTT → takt-broker → takt-ingest → InfluxDB, ${pts} points, ${BATCH} per message (telemetryBatch ${BATCH})`,
        unit: 'pts/s',
        ours: pb.rate,
        peer: raw.best,
        peerName: ceiling,
        ratio: ratioOf(pb.rate, raw.best),
        target: '>= 0.9 × raw, zero loss',
        note: `${lossNote(wb.lines.length, pb.stored)}; ${pb.seconds.toFixed(1)} s publish-to-queryable; ${Math.round(pb.publishRate).toLocaleString('en-US')} msgs/s published; ${cpuNote(pb.cpuUs)}`,
      },
      {
        metric: `MQTT → takt-broker → takt-ingest → InfluxDB, ${pts} points, 1 per message (the edge's default)`,
        unit: 'pts/s',
        ours: p.rate,
        peer: raw.best,
        peerName: ceiling,
        ratio: ratioOf(p.rate, raw.best),
        note: `${lossNote(w.lines.length, p.stored)}; ${p.seconds.toFixed(1)} s publish-to-queryable; ${cpuNote(p.cpuUs)}`,
      },
      {
        metric: `QoS 1 publish rate into takt-broker, 1 point per message (${PUBLISHERS} publishers)`,
        unit: 'msgs/s',
        ours: p.publishRate,
        note: 'upper bound for that run: every point is one MQTT message',
      },
      {
        metric: `same points, mosquitto instead of takt-broker, ${BATCH} per message`,
        unit: 'pts/s',
        ours: mb.rate,
        peer: raw.best,
        peerName: 'raw HTTP /write ceiling',
        ratio: ratioOf(mb.rate, raw.best),
        note: `${lossNote(wb.lines.length, mb.stored)}; mosquitto publish rate ${Math.round(mb.publishRate).toLocaleString('en-US')} msgs/s; ${cpuNote(mb.cpuUs)}`,
      },
      {
        metric: 'same points, mosquitto instead of takt-broker, 1 per message (ingestor-bound)',
        unit: 'pts/s',
        ours: m.rate,
        peer: raw.best,
        peerName: 'raw HTTP /write ceiling',
        ratio: ratioOf(m.rate, raw.best),
        note: `${lossNote(w.lines.length, m.stored)}; mosquitto publish rate ${Math.round(m.publishRate).toLocaleString('en-US')} msgs/s; ${cpuNote(m.cpuUs)}`,
      },
    ];
    return {
      name: 'ingest',
      rows,
      notes: [
        `${pts} telemetry points, ${DEVICES} devices × ${SENSORS} sensors; one point per message (the edge agent's default), or ${BATCH} consecutive intervals of a device per message (its \`telemetryBatch\`: the latest in \`values\`, the rest in \`earlier\`).`,
        `Raw ceiling settings tried (points per request × requests in flight): ${raw.all.join('; ')}; influxd used ${raw.influxCpuUs.toFixed(1)} CPU µs per point at the best one.`,
        `Where the time goes: every process shares the same cores, so with the pipeline CPU-bound its rate is at most the raw rate × influxd's CPU per point / the whole pipeline's CPU per point (batched run: ${raw.influxCpuUs.toFixed(1)} / ${sum(pb.cpuUs).toFixed(1)} µs → ${(raw.influxCpuUs / sum(pb.cpuUs)).toFixed(2)}; 1 per message: ${(raw.influxCpuUs / sum(p.cpuUs)).toFixed(2)}). The timing waits on the ingestor's written-points counter, then checks the count in influxd once.`,
        'Scale-out layout: every thread of influxd pinned with `taskset -a` to its CPU, every thread of takt-broker, takt-ingest and this process (the 4 publishers; the HTTP writer of the pinned raw ceiling) to the other; on two cores the load generator has nowhere else to go. CPU per stored point rows: broker + ingestor CPU from /proc over the runs below, against what influxd spent storing the same points.',
        `Ingestor: batches of ${INGEST.maxPoints} points or ${INGEST.maxAgeMs} ms, ${INGEST.concurrency} writes in flight; broker with contract validation on.`,
        "Everything (influxd, broker, ingestor, publishers) shares this machine's cores with other work: figures are provisional.",
      ],
    };
  } finally {
    await influx.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run()
    .then((r) => console.log(toMarkdown(r)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
