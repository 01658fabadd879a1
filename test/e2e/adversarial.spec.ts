import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopic, encode, type Channel } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { Stack } from '@takt/stack';
import { TelemetryStore } from '@takt/telemetry-store';
import { connectClient, tempDir } from '@takt/testing';
import { writeSmallPlant } from '../src/index.js';

/**
 * One edge box in an attacker's hands: with its own credentials (from the stack's secrets, as
 * `npm start` writes them) it tries every attack of the security issue against the running plant.
 * Each is refused, and named in the broker's log and metrics.
 */
describe('e2e: one compromised edge box does not own the plant', () => {
  const dir = tempDir('takt-e2e-adversarial-');
  let stack: Stack;
  let store: TelemetryStore;
  let box: { username: string; password: string };
  const own = { site: 'plant-a', line: 'line-1', device: 'pump-1' };
  const other = { site: 'plant-a', line: 'line-2', device: 'pump-2' };
  const topic = (a: typeof own, channel: Channel) => buildTopic({ ...a, channel });
  const message = (channel: Channel, device: string, seq = 900_000) =>
    encode(channel, sampleMessage(channel, device, seq));
  const rejections = async (reason: string) => {
    const text = await (await fetch(`http://127.0.0.1:${stack.brokers[0]!.metricsPort}/metrics`)).text();
    return Number(new RegExp(`takt_broker_rejections_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };
  const brokerLog = () => readFileSync(join(stack.paths.logs, 'broker-1.log'), 'utf8');
  const attacker = (clientId: string) => connectClient(stack.brokers[0]!.url, { ...box, clientId });

  beforeAll(async () => {
    const plantFile = writeSmallPlant(dir.path, {
      layout: { 'plant-a': { 'line-1': ['pump-1'], 'line-2': ['pump-2'] } },
    });
    stack = await new Stack({ dir: dir.path, mode: 'source', plantFile }).start();
    store = await TelemetryStore.connect({ url: stack.influx.url });
    const name = stack.edges.find((e) => e.devices.some((d) => d.line === 'line-1'))!.name;
    box = { username: name, password: stack.secrets.edges[name] as string };
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await stack?.stop();
    if (!process.env['TAKT_E2E_KEEP']) dir.remove();
  }, 120_000);

  it('cannot forge another box’s retained model/desired (nor its own)', async () => {
    const c = await attacker(`${box.username}-x1`);
    const before = await rejections('publish_denied');
    await c.publishAsync(topic(other, 'model/desired'), message('model/desired', other.device), {
      qos: 1,
      retain: true,
    });
    await c.publishAsync(topic(own, 'model/desired'), message('model/desired', own.device), { qos: 1, retain: true });
    expect((await rejections('publish_denied')) - before).toBe(2);
    await c.endAsync();
    // nothing was retained: a reader of everything (the dashboard's account) sees no desired model
    const reader = await connectClient(stack.brokers[0]!.url, {
      username: 'dashboard',
      password: stack.secrets.broker.dashboard,
    });
    const seen: string[] = [];
    reader.on('message', (t) => seen.push(t));
    await reader.subscribeAsync('takt/v1/+/+/+/model/desired', { qos: 1 });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen).toEqual([]);
    await reader.endAsync();
    await expect
      .poll(brokerLog, { timeout: 5_000 })
      .toMatch(/"topic":"takt\/v1\/plant-a\/line-2\/pump-2\/model\/desired".*publish denied/);
  });

  it('cannot take the ingestor’s session by its client id', async () => {
    const before = await rejections('client_id_not_bound');
    await expect(attacker('ingestor-1')).rejects.toThrow(/Identifier rejected|not bound|refused/i);
    expect((await rejections('client_id_not_bound')) - before).toBe(1);
    await expect
      .poll(brokerLog, { timeout: 5_000 })
      .toMatch(/"clientId":"ingestor-1".*client id is not bound to its user/);
    // the ingestor kept its session and keeps writing
    const t = Date.now();
    await expect
      .poll(
        async () =>
          (await store.querySeqs({ device: own.device, channel: 'telemetry', from: t, to: Date.now() + 60_000 }))
            .length,
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0);
  });

  it('cannot label its own faults as false alarms, publish ground truth, or speak for another box’s device', async () => {
    const c = await attacker(`${box.username}-x2`);
    const before = await rejections('publish_denied');
    await c.publishAsync(topic(own, 'label'), message('label', own.device), { qos: 1 });
    await c.publishAsync(topic(own, 'truth'), message('truth', own.device), { qos: 1 });
    await c.publishAsync(topic(other, 'telemetry'), message('telemetry', other.device), { qos: 1 });
    expect((await rejections('publish_denied')) - before).toBe(3);
    await c.endAsync();
    // the forged telemetry never reached InfluxDB (its seq is far beyond the simulator's)
    await new Promise((r) => setTimeout(r, 2_000));
    expect(
      await store.querySeqs({ device: other.device, channel: 'telemetry', from: 0, to: Date.now() + 60_000 }),
    ).not.toContain(900_000);
    expect(await store.queryLabels({ from: 0, to: Date.now() + 60_000 })).toEqual([]);
  });

  it('cannot read the whole plant: `takt/v1/#` delivers only its own devices’ raw data', async () => {
    const c: MqttClient = await attacker(`${box.username}-x3`);
    const seen = new Set<string>();
    c.on('message', (t) => seen.add(t));
    const before = await rejections('forward_denied');
    await c.subscribeAsync('takt/v1/#', { qos: 0 });
    await new Promise((r) => setTimeout(r, 4_000));
    await c.endAsync();
    expect(seen.size).toBeGreaterThan(0); // its own raw samples
    for (const t of seen)
      expect(t, 'only its own devices’ raw, camera and desired model').toMatch(
        /^takt\/v1\/plant-a\/line-1\/pump-1\/(raw|camera|model\/desired)$/,
      );
    expect((await rejections('forward_denied')) - before).toBeGreaterThan(0); // the rest was filtered, and counted
    await expect.poll(brokerLog, { timeout: 5_000 }).toMatch(/delivery denied/);
  });
});
