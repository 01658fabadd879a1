import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { decodePublish, topicFilter, type AnomalyEvent, type DeviceState } from '@takt/contracts';
import { Stack } from '@takt/stack';
import { TelemetryStore } from '@takt/telemetry-store';
import { connectClient, tempDir } from '@takt/testing';
import { checkSeqs, DashboardSession, eventually, writeSmallPlant } from '../src/index.js';

/** Healthy seconds after the restart to train on: one load cycle of the simulated machines (120 s) and some margin. */
const HEALTHY_S = 130;
/** Fault onset, s after the simulator (re)starts: after the healthy data, training and the rollout. */
const FAULT_AT_S = 200;
const devices = ['pump-1', 'pump-u', 'motor-m'];

interface Job { id: string; status: string; version?: number; message?: string }
interface Rollout { id: string; stage: string }

/**
 * The plant's languages: one line served by the simulator over OPC UA (pump-u), one over Modbus TCP
 * (motor-m), one over MQTT (pump-1). Telemetry lands in InfluxDB from all three; the simulator (both
 * servers) is killed mid-stream and restarted — the agents recover and their state marks the gap; a
 * K-means model trained from InfluxDB raises anomaly events on the fieldbus lines as on the MQTT path.
 */
describe('e2e: OPC UA and Modbus lines', () => {
  const dir = tempDir('takt-e2e-fieldbus-');
  let stack: Stack;
  let store: TelemetryStore;
  let watcher: MqttClient;
  let dash: DashboardSession;
  const states = new Map<string, DeviceState>();
  const opens: AnomalyEvent[] = [];
  /** event id → when it closed */
  const closes = new Map<string, number>();
  const t0 = Date.now();
  /** when the simulator came back: the fault clock starts again there */
  let restartedAt = 0;

  beforeAll(async () => {
    const plantFile = writeSmallPlant(dir.path, {
      layout: { 'plant-a': { 'line-1': ['pump-1'], 'line-u': ['pump-u'], 'line-m': ['motor-m'] } },
      faults: {
        'pump-u': { kind: 'imbalance', start: FAULT_AT_S, duration: 60, severity: 1, rampS: 1 },
        'motor-m': { kind: 'imbalance', start: FAULT_AT_S, duration: 60, severity: 1, rampS: 1 },
      },
    });
    const plant = JSON.parse(readFileSync(plantFile, 'utf8')) as { sites: { lines: { id: string; serve?: string }[] }[] };
    for (const line of plant.sites[0]!.lines) if (line.id !== 'line-1') line.serve = line.id === 'line-u' ? 'opcua' : 'modbus';
    writeFileSync(plantFile, JSON.stringify(plant, null, 2));
    stack = await new Stack({
      dir: dir.path, mode: 'source', plantFile, seed: 11, serve: true, trainer: true, dashboard: true, demoPassword: 'e2e-password',
      trainerConfig: { training: { model: 'fieldbus-anomaly', minWindows: 100, lookbackMs: 600_000 }, rollout: { watchMs: 6_000 } },
    }).start();
    store = await TelemetryStore.connect({ url: stack.influx.url });
    watcher = await connectClient(stack.brokers[0]!.url, { username: 'dashboard', password: stack.secrets.broker.dashboard });
    watcher.on('message', (topic, payload) => {
      try {
        const { topic: t, message } = decodePublish(topic, payload);
        if (t.channel === 'state') states.set(t.device, message as DeviceState);
        if (t.channel === 'anomaly' && (message as AnomalyEvent).state === 'open') opens.push(message as AnomalyEvent);
        if (t.channel === 'anomaly' && (message as AnomalyEvent).state === 'close') closes.set((message as AnomalyEvent).eventId, (message as AnomalyEvent).ts);
      } catch {
        // the broker validates; not ours to judge
      }
    });
    await watcher.subscribeAsync([topicFilter({ channel: 'state' }), topicFilter({ channel: 'anomaly' })], { qos: 1 });
    dash = await DashboardSession.signIn(stack.dashboard!.url, 'admin', 'e2e-password');
  }, 240_000);

  afterAll(async () => {
    watcher?.end(true);
    await store?.close();
    await stack?.stop();
    if (!process.env['TAKT_E2E_KEEP']) dir.remove();
  }, 120_000);

  const telemetry = (device: string) => checkSeqs(store, device, 'telemetry', t0 - 60_000).then((c) => c.count);

  it('serves its endpoints, and telemetry from every line lands in InfluxDB', async () => {
    expect(stack.serving?.opcua).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+\/takt$/);
    expect(stack.serving?.modbus).toMatch(/^modbus:\/\/127\.0\.0\.1:\d+$/);
    for (const d of devices) await eventually(`${d} telemetry in InfluxDB`, async () => ((await telemetry(d)) >= 5 ? true : undefined), 60_000);
    expect(states.get('pump-u')?.intake).toMatchObject({ protocol: 'opcua', connected: true });
    expect(states.get('motor-m')?.intake).toMatchObject({ protocol: 'modbus', connected: true });
  }, 90_000);

  it('the simulator and both servers killed mid-stream: the agents recover and mark the gap', async () => {
    await stack.simulator!.process.kill();
    for (const d of ['pump-u', 'motor-m']) await eventually(`${d} intake down`, async () => (states.get(d)?.intake?.connected === false ? true : undefined), 30_000);
    const before = { u: await telemetry('pump-u'), m: await telemetry('motor-m') };
    await stack.simulator!.process.start();
    restartedAt = Date.now();
    for (const d of ['pump-u', 'motor-m']) {
      const s = await eventually(`${d} intake back with the gap marked`, async () => { const i = states.get(d)?.intake; return i?.connected && i.gaps >= 1 ? i : undefined; }, 60_000);
      expect(s.lastGap!.to - s.lastGap!.from, `${d} gap span`).toBeGreaterThan(500);
    }
    await eventually('telemetry after the restart', async () => ((await telemetry('pump-u')) > before.u + 3 && (await telemetry('motor-m')) > before.m + 3 ? true : undefined), 60_000);
  }, 150_000);

  it('a K-means model trained from InfluxDB raises anomaly events on the OPC UA and the Modbus line', async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, restartedAt + (HEALTHY_S + 5) * 1000 - Date.now()))); // healthy data to train on
    // the fieldbus lines' own model, from data after the restart: a served sensor is a 10 Hz series of
    // step values (vibration as its RMS), not the MQTT line's 2 kHz raw samples, so their features differ
    const served = ['pump-u', 'motor-m'];
    const { id } = await dash.post<{ id: string }>('/api/jobs', { kind: 'kmeans', model: 'fieldbus-anomaly', devices: served, from: restartedAt + 5_000 });
    const job = await eventually('training job', async () => {
      const j = (await dash.get<{ jobs: Job[] }>('/api/jobs')).jobs.find((x) => x.id === id);
      if (j?.status === 'failed') throw new Error(`job failed: ${j.message}`);
      return j?.status === 'succeeded' ? j : undefined;
    }, 120_000);
    process.stdout.write(`[e2e] fieldbus: ${job.message}\n`);
    const rollout = await dash.post<{ id: string }>('/api/rollouts', { model: 'fieldbus-anomaly', version: job.version, canary: ['pump-u'], devices: served, watchMs: 6_000 });
    await eventually('rollout promoted', async () => {
      const r = (await dash.get<{ rollouts: Rollout[] }>('/api/rollouts')).rollouts.find((x) => x.id === rollout.id);
      if (r && (r.stage === 'rolled-back' || r.stage === 'failed')) throw new Error(`rollout ${r.stage}`);
      return r?.stage === 'promoted' ? r : undefined;
    }, 90_000);
    const onset = restartedAt + FAULT_AT_S * 1000;
    expect(Date.now(), 'the model runs before the fault starts').toBeLessThan(onset);
    // an event that opened at the onset, or a false alarm still open then and kept open by the fault, is the detection
    const detected = (d: string) => opens.some((e) => e.deviceId === d && (e.openedAt >= onset - 2_000 || (closes.get(e.eventId) ?? Infinity) > onset + 10_000));
    await new Promise((r) => setTimeout(r, Math.max(0, onset + 10_000 - Date.now())));
    for (const d of served) await eventually(`${d} anomaly event at the fault's onset`, async () => (detected(d) ? true : undefined), 150_000);
    const early = opens.filter((e) => e.openedAt < onset - 2_000);
    process.stdout.write(`[e2e] fieldbus: ${early.length} false alarm(s) before the onset (${early.map((e) => `${e.deviceId} score ${e.score.toFixed(2)} > ${e.threshold.toFixed(2)}`).join(', ') || 'none'})\n`);
    const events = await eventually('anomaly events in InfluxDB', async () => {
      const n = await Promise.all(served.map((d) => checkSeqs(store, d, 'anomaly', t0 - 60_000).then((c) => c.count)));
      return n.every((x) => x > 0) ? n : undefined;
    }, 60_000);
    expect(events.every((n) => n > 0)).toBe(true);
  }, 420_000);
});
