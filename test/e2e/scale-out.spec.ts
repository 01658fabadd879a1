import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedProcess, freePort } from '@takt/runtime';
import { simulatorComponent, Stack } from '@takt/stack';
import { TelemetryStore } from '@takt/telemetry-store';
import { tcpReady, tempDir, workspaceRoot } from '@takt/testing';
import { checkSeqs, drained, untilStable, writeSmallPlant } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const deploy = (f: string) => join(workspaceRoot(), 'deploy/scale-out', f);

async function counter(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * Scenario 5: two broker processes sharing a private redis-server (deploy/scale-out/broker.json),
 * the simulator entering through haproxy with deploy/scale-out/haproxy.cfg, edge agents spread over
 * both brokers, and two ingestors splitting the topic space by site (deploy/scale-out/ingestor-site-*.json):
 * every message lands once.
 */
describe('e2e: scale-out over redis, haproxy and split ingestors', () => {
  const dir = tempDir('takt-e2e-scale-');
  let stack: Stack;
  let store: TelemetryStore;
  let haproxy: ManagedProcess;
  const devices = ['pump-1', 'motor-1', 'pump-2', 'motor-2'];
  const t0 = Date.now();

  beforeAll(async () => {
    const plantFile = writeSmallPlant(dir.path, {
      layout: { 'plant-a': { 'line-1': ['pump-1', 'motor-1'] }, 'plant-b': { 'line-1': ['pump-2', 'motor-2'] } },
    });
    stack = await new Stack({
      dir: dir.path,
      mode: 'source',
      plantFile,
      brokers: 2,
      brokerBase: deploy('broker.json'),
      ingestors: [{ base: deploy('ingestor-site-a.json') }, { base: deploy('ingestor-site-b.json') }],
      simulator: false,
    }).start();
    const lbPort = await freePort();
    const [b1, b2] = stack.brokers;
    haproxy = new ManagedProcess({
      name: 'haproxy',
      command: process.env['TAKT_HAPROXY'] ?? '/usr/sbin/haproxy',
      args: ['-db', '-f', deploy('haproxy.cfg')],
      env: {
        ...process.env,
        TAKT_LB_BIND: '127.0.0.1',
        TAKT_LB_MAXCONN: '2000',
        TAKT_LB_PORT: String(lbPort),
        TAKT_BROKER_1: `127.0.0.1:${b1!.port}`,
        TAKT_BROKER_1_HEALTH: String(b1!.metricsPort),
        TAKT_BROKER_2: `127.0.0.1:${b2!.port}`,
        TAKT_BROKER_2_HEALTH: String(b2!.metricsPort),
      },
      ready: () => tcpReady(lbPort),
    });
    await haproxy.start();
    const sim = simulatorComponent(stack.paths, 'source', {
      plantFile,
      brokerUrl: `mqtt://127.0.0.1:${lbPort}`,
      password: stack.secrets.broker.simulator,
      seed: 5,
      durationS: 20,
    });
    await sim.process.start();
    stack.simulator = sim;
    store = await TelemetryStore.connect({ url: stack.influx.url });
  }, 240_000);

  afterAll(async () => {
    await stack?.simulator?.process.close();
    await haproxy?.close();
    await store?.close();
    await stack?.stop();
    if (!process.env['TAKT_E2E_KEEP']) dir.remove();
  }, 120_000);

  it('edge agents sit on different brokers', () => {
    const urls = new Set(
      stack.edges.map(
        (e) => (JSON.parse(readFileSync(e.configFile!, 'utf8')) as { upstream: { url: string } }).upstream.url,
      ),
    );
    expect(stack.brokers).toHaveLength(2);
    expect(urls.size).toBe(2);
  });

  it('every message lands once: complete seqs per device, each ingestor only its site', async () => {
    await sleep(20_000);
    const channels = ['telemetry', 'features']; // heartbeats are best-effort (QoS 0): their seq is no delivery sequence
    const checks = await untilStable(
      () => Promise.all(devices.flatMap((d) => channels.map((c) => checkSeqs(store, d, c, t0 - 60_000)))),
      3_000,
      90_000,
      drained(),
    );
    for (const c of checks) {
      expect.soft(c.missing, `${c.device}/${c.channel} missing`).toEqual([]);
      expect.soft(c.min, `${c.device}/${c.channel} first`).toBe(0);
      expect.soft(c.count, `${c.device}/${c.channel} count`).toBeGreaterThan(3);
    }
    const stored = checks.reduce((n, c) => n + c.count, 0);
    const [ia, ib] = stack.ingestors;
    const received =
      (await counter(ia!.metricsUrl!, 'takt_ingest_messages_received_total')) +
      (await counter(ib!.metricsUrl!, 'takt_ingest_messages_received_total'));
    expect(await counter(ia!.metricsUrl!, 'takt_ingest_messages_received_total')).toBeGreaterThan(0);
    expect(await counter(ib!.metricsUrl!, 'takt_ingest_messages_received_total')).toBeGreaterThan(0);
    // state and other channels come on top of the three counted; nothing is received twice over
    expect(received).toBeGreaterThanOrEqual(stored);
    expect(received).toBeLessThan(stored * 1.5);
  }, 240_000);
});
