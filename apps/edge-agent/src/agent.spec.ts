import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTopic,
  decodePublish,
  isPublishOn,
  SeqTracker,
  topicFilter,
  type DeviceState,
  type RawSampleBatch,
} from '@takt/contracts';
import type { ManagedProcess } from '@takt/runtime';
import {
  connectClient,
  spawnTakt,
  startMosquitto,
  startRedis,
  startTestBroker,
  tempDir,
  type MosquittoServer,
  type RedisServer,
  type TestBroker,
} from '@takt/testing';

const addr = { site: 'plant-1', line: 'line-1', device: 'pump-1' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes a RawSampleBatch every 100 ms: 1 kHz vibration, 10 Hz temperature, contiguous in data time. */
function startRawFeed(client: MqttClient): { stop: () => void; sent: () => number } {
  let t0 = Math.floor(Date.now() / 100) * 100;
  let seq = 0;
  const timer = setInterval(() => {
    const vib = Array.from({ length: 100 }, (_, i) => Math.sin((t0 + i) * 0.9) + 0.05 * Math.sin((t0 + i) * 0.13));
    const batch: RawSampleBatch = {
      schemaVersion: 1,
      deviceId: addr.device,
      ts: t0 + 100,
      seq: seq++,
      t0,
      sensors: { vibration: { rate: 1000, values: vib }, temperature: { rate: 10, values: [40 + (seq % 7) * 0.1] } },
    };
    client.publish(buildTopic({ ...addr, channel: 'raw' }), JSON.stringify(batch));
    t0 += 100;
  }, 100);
  return { stop: () => clearInterval(timer), sent: () => seq };
}

/** Collects upstream messages per channel; seq trackers per channel. */
function collect(client: MqttClient) {
  const seqs = new Map<string, SeqTracker>();
  const states: DeviceState[] = [];
  client.on('message', (topic, payload) => {
    const d = decodePublish(topic, payload);
    const ch = d.topic.channel;
    if (!['telemetry', 'features', 'heartbeat', 'state', 'anomaly'].includes(ch)) return;
    if (!seqs.has(ch)) seqs.set(ch, new SeqTracker());
    seqs.get(ch)?.add(d.message.seq);
    if (isPublishOn(d, 'state')) states.push(d.message);
  });
  client.subscribe(topicFilter({ ...addr, channel: '#' }), { qos: 1 });
  return { seqs, states, report: (ch: string) => seqs.get(ch)?.report() };
}

describe('takt-edge process (real broker, real onnxruntime)', () => {
  const dir = tempDir('takt-edge-e2e-');
  let plant: MosquittoServer;
  let cloud: TestBroker;
  let redis: RedisServer;
  let agent: ManagedProcess;
  let feedClient: MqttClient;
  let watcher: MqttClient;
  const dataDir = join(dir.path, 'data');
  /** the watcher's connection history: when it connected (and whether the broker had its session) or lost the link */
  const watcherEvents: string[] = [];
  const tail = (file: string, n: number) =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .filter((l) => !l.includes('ECONNREFUSED'))
          .slice(-n)
          .join('\n')
      : `(no ${file})`;
  // on a timeout: what the agent, the broker and the watcher each saw
  const logTail = () =>
    [
      `agent:\n${tail(join(dir.path, 'agent.log'), 15)}`,
      `cloud broker:\n${tail(join(dirname(cloud.configFile), 'broker.log'), 15)}`,
      `watcher: ${watcherEvents.slice(-10).join(', ')}`,
    ].join('\n');

  beforeAll(async () => {
    // the watcher's session and queued QoS 1 messages outlive the broker restart in Redis, so it misses
    // nothing whichever of it and the agent (reconnecting after a random backoff) comes back first
    redis = await startRedis();
    [plant, cloud] = await Promise.all([startMosquitto(), startTestBroker({ redisUrl: redis.url })]);
    const config = {
      dataDir,
      source: { url: plant.url },
      upstream: {
        url: cloud.url,
        username: 'service',
        password: 'service-secret',
        reconnectMs: 1_000,
        reconnectMaxMs: 2_000,
      },
      devices: [addr],
      window: { lengthMs: 1000, hopMs: 500 },
      telemetryIntervalMs: 1000,
      heartbeatIntervalMs: 1000,
      stateIntervalMs: 5000,
      inference: { providers: ['cuda', 'cpu'] },
    };
    const file = join(dir.path, 'edge.json');
    writeFileSync(file, JSON.stringify(config));
    const pidOk = () =>
      existsSync(join(dataDir, 'agent.json')) &&
      (JSON.parse(readFileSync(join(dataDir, 'agent.json'), 'utf8')) as { pid: number }).pid === agent.pid;
    agent = spawnTakt('apps/edge-agent', ['--config', file], {
      logFile: join(dir.path, 'agent.log'),
      ready: () => Promise.resolve(pidOk()),
    });
    await agent.start();
    feedClient = await connectClient(plant.url);
    watcher = connect(cloud.url, {
      username: 'service',
      password: 'service-secret',
      reconnectPeriod: 200,
      clientId: 'service-edge-e2e-watcher' /* bound to its user */,
      clean: false,
    });
    watcher.on('error', (err) => watcherEvents.push(`${new Date().toISOString()} error ${err.message}`));
    watcher.on('connect', (connack) =>
      watcherEvents.push(`${new Date().toISOString()} connected sessionPresent=${connack.sessionPresent}`),
    );
    watcher.on('close', () => watcherEvents.push(`${new Date().toISOString()} closed`));
    await new Promise((r) => watcher.once('connect', r));
  });

  afterAll(async () => {
    feedClient?.end(true);
    watcher?.end(true);
    await agent?.close();
    await Promise.all([plant?.close(), cloud?.close()]);
    await redis?.close();
    dir.remove();
  });

  it('keeps upstream seq gap-free through a 30 s broker outage and a SIGKILL of the agent; reports the cpu fallback', async () => {
    const got = collect(watcher);
    const feed = startRawFeed(feedClient);
    try {
      await sleep(3_000);
      const before = got.report('features')?.max ?? -1;
      expect(before).toBeGreaterThanOrEqual(2);

      // 30 s without the upstream broker: the agent keeps windowing into its outbox
      await cloud.stop();
      await sleep(30_000);
      await cloud.start();
      await waitFor(
        () => (got.report('features')?.max ?? 0) >= before + 55,
        20_000,
        () => `after outage: ${JSON.stringify(got.report('features'))}\n${logTail()}`,
      );
      const afterOutage = got.report('features')!;
      expect(afterOutage.gaps).toEqual([]);
      expect(afterOutage.min).toBe(0);

      // SIGKILL the agent mid-stream, restart it: seqs continue from the persisted counters
      await agent.kill();
      await sleep(500);
      await agent.start();
      await waitFor(
        () => (got.report('features')?.max ?? 0) >= afterOutage.max + 6,
        15_000,
        () => `after restart: ${JSON.stringify(got.report('features'))}\n${logTail()}`,
      );
    } finally {
      feed.stop();
    }
    for (const ch of ['features', 'telemetry']) {
      const r = got.report(ch)!;
      expect(r.gaps, `${ch} gaps`).toEqual([]);
      expect(r.min, `${ch} starts at 0`).toBe(0);
      expect(r.duplicates, `${ch} duplicates are QoS 1 redeliveries only`).toBeLessThanOrEqual(70); // at most one maxInflight window per reconnect
    }
    // state is retained: the broker keeps the newest for a subscriber that was away (the states the
    // agent replayed while the watcher's session was offline are not queued for it by the Redis-backed broker)
    expect(got.report('state')?.min, 'state starts at 0').toBe(0);
    const last = got.states[got.states.length - 1];
    expect(last.provider).toBe('cpu');
    expect(last.outboxDepth).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(dir.path, 'agent.log'), 'utf8')).toMatch(/execution provider fallback: using cpu/);
  }, 90_000);
});

async function waitFor(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await sleep(100);
  }
}
