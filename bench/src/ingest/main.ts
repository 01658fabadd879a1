// Ingest benchmark: in one run against one private influxd, (a) the raw ceiling — batched
// line-protocol HTTP writes straight into InfluxDB — and (b) the same points published over MQTT
// through takt-broker and takt-ingest until the last one is queryable. Zero loss is checked by count.
//   node --conditions=@takt/source --import tsx bench/src/ingest/main.ts
// TAKT_BENCH_INGEST_POINTS (default 200000), TAKT_BENCH_INGEST_PUBLISHERS (default 4).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MqttClient } from 'mqtt';
import { freePort } from '@takt/runtime';
import { connectClient, spawnTakt, startInfluxd, startMosquitto, startTestBroker, tempDir, type InfluxdServer } from '@takt/testing';
import { ratioOf, toMarkdown, type BenchReport, type BenchRow } from '../report.js';
import { Resources } from '../resources.js';
import { countPoints, createDatabase, influxClientWrite, rawHttpWrite, toPoints } from './influx-paths.js';
import { buildWorkload, type Workload } from './workload.js';

const POINTS = Number(process.env['TAKT_BENCH_INGEST_POINTS'] ?? 200_000);
const PUBLISHERS = Number(process.env['TAKT_BENCH_INGEST_PUBLISHERS'] ?? 4);
const DEVICES = 100;
const SENSORS = 8;
/** (points per request, requests in flight) tried for the raw ceiling; the best one is the ceiling */
const RAW_SETTINGS: [number, number][] = [[5_000, 1], [5_000, 2], [5_000, 4], [10_000, 4]];
const INGEST = { maxPoints: 5_000, maxAgeMs: 250, concurrency: 4 };

async function rawCeiling(influx: InfluxdServer, w: Workload): Promise<{ best: number; batch: number; concurrency: number; all: string[] }> {
  let best = { best: 0, batch: 0, concurrency: 0 };
  const all: string[] = [];
  for (const [i, [batch, concurrency]] of RAW_SETTINGS.entries()) {
    const db = `raw_${i}`;
    await createDatabase(influx.url, db);
    const rate = await rawHttpWrite(influx.url, db, w.lines, batch, concurrency);
    if ((await countPoints(influx.url, db)) !== w.lines.length) throw new Error(`raw write into ${db} lost points`);
    all.push(`${batch}×${concurrency}: ${Math.round(rate).toLocaleString('en-US')} pts/s`);
    if (rate > best.best) best = { best: rate, batch, concurrency };
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
        await Promise.all(mine.slice(i, i + window).map((j) => client.publishAsync(w.topics[j] as string, w.payloads[j] as Buffer, { qos: 1 })));
      }
    }),
  );
}

interface BenchBroker {
  url: string;
  auth: { username?: string; password?: string };
  close(): Promise<void>;
}

/** takt-broker as shipped (auth, ACL, contract validation on). */
async function taktBroker(): Promise<BenchBroker> {
  const b = await startTestBroker();
  return { url: b.url, auth: { username: 'service', password: 'service-secret' }, close: () => b.close() };
}

/** mosquitto (C, no validation, unlimited in-flight), to separate the ingestor's cost from the broker's. */
async function mosquitto(): Promise<BenchBroker> {
  const b = await startMosquitto({ extraConfig: 'max_inflight_messages 0' });
  return { url: b.url, auth: {}, close: () => b.close() };
}

/**
 * Polls the point count until every point is queryable or the count stops growing for `stallMs`
 * (points lost); returns the count and when it last grew (performance.now() ms).
 */
async function waitStored(url: string, db: string, total: number, stallMs = 20_000): Promise<{ stored: number; at: number }> {
  let stored = 0;
  let at = performance.now();
  while (stored < total && performance.now() - at < stallMs) {
    await new Promise((r) => setTimeout(r, 50));
    const now = await countPoints(url, db);
    if (now > stored) at = performance.now();
    stored = now;
  }
  return { stored, at };
}

async function pipeline(influx: InfluxdServer, w: Workload, db: string, startBroker: () => Promise<BenchBroker>): Promise<{ rate: number; publishRate: number; stored: number; seconds: number }> {
  const res = new Resources();
  try {
    const dir = res.add('temp folder', tempDir('takt-bench-ingest-'), (d) => d.remove());
    const broker = res.add('broker', await startBroker(), (b) => b.close());
    const port = await freePort();
    const configFile = join(dir.path, 'ingest.json');
    writeFileSync(configFile, JSON.stringify({
      broker: { url: broker.url, ...broker.auth, clientId: 'bench-ingest' },
      influx: { url: influx.url, database: db },
      batch: INGEST,
      buffer: { spoolDir: join(dir.path, 'spool') },
      deadLetterFile: join(dir.path, 'dead.jsonl'),
      metrics: { host: '127.0.0.1', port },
    }));
    const ingestor = res.add(
      'takt-ingest',
      spawnTakt('apps/ingestor', ['--config', configFile], { ready: async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, env: { TAKT_LOG_LEVEL: 'warn' } }),
      (p) => p.close(),
    );
    await ingestor.start();
    const publishers: MqttClient[] = [];
    for (let p = 0; p < PUBLISHERS; p++) publishers.push(res.add(`publisher ${p}`, await connectClient(broker.url, { ...broker.auth, clientId: `bench-pub-${p}` }), (c) => c.endAsync()));
    const t0 = performance.now();
    await publishAll(publishers, w);
    const published = performance.now();
    const { stored, at } = await waitStored(influx.url, db, w.lines.length);
    const seconds = (at - t0) / 1000;
    return { rate: stored / seconds, publishRate: w.payloads.length / ((published - t0) / 1000), stored, seconds };
  } finally {
    await res.closeAll();
  }
}

export async function run(): Promise<BenchReport> {
  const influx = await startInfluxd();
  try {
    const w = buildWorkload(POINTS, DEVICES, SENSORS, Date.now());
    const raw = await rawCeiling(influx, w);
    await createDatabase(influx.url, 'client');
    const client = await influxClientWrite(influx.url, 'client', toPoints(w.lines), raw.batch, raw.concurrency);
    const p = await pipeline(influx, w, 'takt', taktBroker);
    const m = await pipeline(influx, w, 'takt_mosquitto', mosquitto);
    const lost = w.lines.length - p.stored;
    const lostM = w.lines.length - m.stored;
    const rows: BenchRow[] = [
      { metric: `influx npm client writePoints, ${raw.batch} pts × ${raw.concurrency} in flight`, unit: 'pts/s', ours: client, peer: raw.best, peerName: 'raw HTTP /write', ratio: ratioOf(client, raw.best), note: 'why the store writes line protocol over HTTP itself' },
      {
        metric: `MQTT → takt-broker → takt-ingest → InfluxDB, ${POINTS.toLocaleString('en-US')} msgs (1 point each)`,
        unit: 'pts/s',
        ours: p.rate,
        peer: raw.best,
        peerName: `raw HTTP /write ceiling, ${raw.batch} pts × ${raw.concurrency}`,
        ratio: ratioOf(p.rate, raw.best),
        target: '>= 0.9 × raw, zero loss',
        note: `${lost === 0 ? 'zero loss' : `LOST ${lost}`}; ${p.seconds.toFixed(1)} s publish-to-queryable`,
      },
      { metric: `QoS 1 publish rate into takt-broker during the run (${PUBLISHERS} publishers)`, unit: 'msgs/s', ours: p.publishRate, note: 'upper bound for the pipeline: every point is one MQTT message' },
      {
        metric: 'same points, mosquitto instead of takt-broker (ingestor-bound)',
        unit: 'pts/s',
        ours: m.rate,
        peer: raw.best,
        peerName: 'raw HTTP /write ceiling',
        ratio: ratioOf(m.rate, raw.best),
        note: `${lostM === 0 ? 'zero loss' : `LOST ${lostM}`}; mosquitto publish rate ${Math.round(m.publishRate).toLocaleString('en-US')} msgs/s`,
      },
    ];
    return {
      name: 'ingest',
      rows,
      notes: [
        `${POINTS.toLocaleString('en-US')} telemetry points, ${DEVICES} devices × ${SENSORS} sensors, one point per message (the telemetry contract carries one timestamp per message).`,
        `Raw ceiling settings tried (points per request × requests in flight): ${raw.all.join('; ')}.`,
        `Ingestor: batches of ${INGEST.maxPoints} points or ${INGEST.maxAgeMs} ms, ${INGEST.concurrency} writes in flight; broker with contract validation on.`,
        'Everything (influxd, broker, ingestor, publishers) shares this machine\'s cores with other work: figures are provisional.',
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
