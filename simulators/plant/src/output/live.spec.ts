import { decodePublish, isPublishOn, topicFilter } from '@takt/contracts';
import { connectClient, startTestBroker, type TestBroker } from '@takt/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlantSimulation } from '../simulation.js';
import { singleMachinePlant } from '../test-plants.js';
import { runLive } from './live.js';

describe('runLive on the wall clock', () => {
  let broker: TestBroker;
  let client: MqttClient;
  let watcher: MqttClient;
  beforeAll(async () => {
    broker = await startTestBroker();
    client = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
    watcher = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
    await watcher.subscribeAsync(topicFilter({ channel: 'raw' }), { qos: 0 });
  }, 60_000);
  afterAll(async () => {
    client?.end(true);
    watcher?.end(true);
    await broker?.close();
  });

  it('a start-up that took 1 s (servers, broker) is caught up: batches stay on the wall clock, not 1 s behind it', async () => {
    const plant = singleMachinePlant({ id: 'pump-1', type: 'pump', sensors: { temperature: { rate: 10 } } });
    const sim = new PlantSimulation(plant, { seed: 1, startMs: Date.now() - 1_000 }); // made 1 s before the run starts
    const got: { ts: number; receivedAt: number }[] = [];
    watcher.on('message', (topic, payload) => {
      const d = decodePublish(topic, payload);
      if (isPublishOn(d, 'raw')) got.push({ ts: d.message.t0, receivedAt: Date.now() }); // the watcher subscribes to raw only
    });
    const t = Date.now();
    const stats = await runLive(sim, client, { durationS: 2, wallClock: true });
    expect(Date.now() - t, 'the 2 simulated seconds end 2 s after the simulation was made').toBeLessThan(1_600);
    expect(stats.keptUp, 'the catch-up is not counted as lag').toBe(true);
    expect(stats.rawPublished).toBe(20);
    await expect.poll(() => got.length).toBe(20);
    // every batch leaves no earlier than its samples' time and within a batch or two of it
    const late = got.slice(-10).map((g) => g.receivedAt - g.ts);
    for (const l of late) expect(l).toBeLessThan(500);
  });
});
