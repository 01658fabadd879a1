import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { decodePublish, topicFilter, type AnomalyEvent, type DeviceState, type FaultTruth } from '@takt/contracts';
import { Stack } from '@takt/stack';
import { TelemetryStore } from '@takt/telemetry-store';
import { connectClient, tempDir } from '@takt/testing';
import { DashboardSession, eventually, percentile, writeSmallPlant } from '../src/index.js';

/** Healthy seconds to train on: one load cycle of the simulated machines (120 s) and some margin. */
const HEALTHY_S = 130;
/**
 * Fault onset, s after the simulator starts: after training on HEALTHY_S and the canary rollout, which
 * finish about 142 s in on 2 cores, with a minute to spare.
 */
const FAULT_AT_S = 200;
const devices = ['pump-1', 'motor-1', 'pump-2'];

interface Job { id: string; status: string; version?: number; message?: string }
interface Rollout { id: string; stage: string; version: number }

/**
 * Scenarios 1–3, one plant: healthy data → the trainer trains K-means from InfluxDB → canary
 * rollout → every edge agent runs it; injected faults → anomaly events reach InfluxDB and the
 * dashboard API (latency from onset measured); an engineer labels a false alarm → retraining →
 * a new version rolls out.
 */
describe('e2e: the closed loop', () => {
  const dir = tempDir('takt-e2e-loop-');
  let stack: Stack;
  let store: TelemetryStore;
  let watcher: MqttClient;
  let dash: DashboardSession;
  const states = new Map<string, DeviceState>();
  const opens: { event: AnomalyEvent; receivedAt: number }[] = [];
  /** event id → when its close arrived */
  const closes = new Map<string, number>();
  const truths: FaultTruth[] = [];
  let startedAt = 0;

  beforeAll(async () => {
    const plantFile = writeSmallPlant(dir.path, {
      layout: { 'plant-a': { 'line-1': ['pump-1', 'motor-1'], 'line-2': ['pump-2'] } },
      faults: {
        'pump-1': { kind: 'bearing-wear', start: FAULT_AT_S, duration: 40, severity: 1, rampS: 1 },
        'motor-1': { kind: 'imbalance', start: FAULT_AT_S + 5, duration: 40, severity: 1, rampS: 1 },
      },
    });
    startedAt = Date.now();
    stack = await new Stack({
      dir: dir.path,
      mode: 'source',
      plantFile,
      seed: 7,
      trainer: true,
      dashboard: true,
      demoPassword: 'e2e-password',
      trainerConfig: { training: { model: 'plant-anomaly', minWindows: 100, lookbackMs: 600_000 }, rollout: { watchMs: 6_000 } },
    }).start();
    store = await TelemetryStore.connect({ url: stack.influx.url });
    watcher = await connectClient(stack.brokers[0]!.url, { username: 'dashboard', password: stack.secrets.broker.dashboard });
    watcher.on('message', (topic, payload) => {
      try {
        const { topic: t, message } = decodePublish(topic, payload);
        if (t.channel === 'state') states.set(t.device, message as DeviceState);
        if (t.channel === 'anomaly' && (message as AnomalyEvent).state === 'open') opens.push({ event: message as AnomalyEvent, receivedAt: Date.now() });
        if (t.channel === 'anomaly' && (message as AnomalyEvent).state === 'close') closes.set((message as AnomalyEvent).eventId, Date.now());
        if (t.channel === 'truth' && (message as FaultTruth).state === 'start') truths.push(message as FaultTruth);
      } catch {
        // not ours to judge here: the broker validates
      }
    });
    await watcher.subscribeAsync([topicFilter({ channel: 'state' }), topicFilter({ channel: 'anomaly' }), topicFilter({ channel: 'truth' })], { qos: 1 });
    dash = await DashboardSession.signIn(stack.dashboard!.url, 'admin', 'e2e-password');
  }, 240_000);

  afterAll(async () => {
    watcher?.end(true);
    await store?.close();
    await stack?.stop();
    if (!process.env['TAKT_E2E_KEEP']) dir.remove();
  }, 120_000);

  async function trainAndRollOut(label: string): Promise<number> {
    const { id } = await dash.post<{ id: string }>('/api/jobs', { kind: 'kmeans', model: 'plant-anomaly' });
    const job = await eventually(`${label}: training job`, async () => {
      const j = (await dash.get<{ jobs: Job[] }>('/api/jobs')).jobs.find((x) => x.id === id);
      if (j?.status === 'failed') throw new Error(`job failed: ${j.message}`);
      return j?.status === 'succeeded' ? j : undefined;
    }, 120_000);
    process.stdout.write(`[e2e] ${label}: ${job.message}\n`);
    expect(job.version ?? 0, `${label}: job registered a version (${job.message})`).toBeGreaterThan(0);
    const version = job.version!;
    const rollout = await dash.post<{ id: string }>('/api/rollouts', { model: 'plant-anomaly', version, canary: ['pump-2'], devices, watchMs: 6_000 });
    await eventually(`${label}: rollout promoted`, async () => {
      const r = (await dash.get<{ rollouts: Rollout[] }>('/api/rollouts')).rollouts.find((x) => x.id === rollout.id);
      if (r && (r.stage === 'rolled-back' || r.stage === 'failed')) throw new Error(`rollout ${r.stage}`);
      return r?.stage === 'promoted' ? r : undefined;
    }, 90_000);
    await eventually(`${label}: every agent runs v${version}`, async () =>
      devices.every((d) => states.get(d)?.models.some((m) => m.name === 'plant-anomaly' && m.version === version)) ? true : undefined, 60_000);
    return version;
  }

  it('1: trains K-means from InfluxDB, canaries, and every edge agent runs the new version', async () => {
    // let healthy feature windows of a whole load cycle accumulate (3 devices × 2 windows/s): a model
    // fitted on less has not seen the machines' whole operating range and raises false alarms
    await eventually('healthy windows in InfluxDB', async () => ((await store.queryFeatures({ from: startedAt - 60_000, to: Date.now() })).length >= 3 * 2 * HEALTHY_S ? true : undefined), (HEALTHY_S + 120) * 1000, 3_000);
    const version = await trainAndRollOut('first model');
    expect(version).toBe(1);
    const events = await store.queryModelEvents({ from: startedAt - 60_000, to: Date.now() + 60_000, model: 'plant-anomaly' });
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['registered']));
  }, 420_000);

  it('2: injected faults raise anomaly events in InfluxDB and the dashboard API, p95 from onset reported', async () => {
    const faulted = ['pump-1', 'motor-1'];
    // the first open event at or after each fault's onset (as the simulator's truth channel told it);
    // an event that opened earlier is a false alarm and is reported, not taken for the detection —
    // unless it was still open at the onset and the fault kept it open (10 s on): then no new event
    // can open, the machine is in alarm, and its onset latency cannot be measured
    const detection = (d: string) => {
      const truth = truths.find((t) => t.deviceId === d);
      if (!truth) return undefined;
      const first = opens.filter((o) => o.event.deviceId === d && o.receivedAt >= truth.ts - 1_000).sort((a, b) => a.receivedAt - b.receivedAt)[0];
      if (first) return { truth, first, carried: false };
      const heldUntil = truth.ts + 10_000;
      if (Date.now() < heldUntil) return undefined;
      const carried = opens.find((o) => o.event.deviceId === d && o.receivedAt < truth.ts - 1_000 && (closes.get(o.event.eventId) ?? Infinity) > heldUntil);
      return carried && { truth, first: carried, carried: true };
    };
    await eventually('anomaly events for both faulted machines after their onsets', async () => (faulted.every((d) => detection(d)) ? true : undefined), (FAULT_AT_S + 90) * 1000, 1_000);
    const early = opens.filter((o) => o.receivedAt < (truths.find((t) => t.deviceId === o.event.deviceId)?.ts ?? Infinity) - 1_000);
    if (early.length > 0) process.stdout.write(`[e2e] anomaly events opened before any fault: ${early.map((o) => `${o.event.deviceId}@${o.event.openedAt - startedAt} ms`).join(', ')}\n`);
    const carried = faulted.filter((d) => detection(d)!.carried);
    if (carried.length > 0) process.stdout.write(`[e2e] a false alarm was still open at the fault onset, so its latency is not measured: ${carried.join(', ')}\n`);
    const latencies = faulted.filter((d) => !carried.includes(d)).map((d) => {
      const { truth, first } = detection(d)!;
      return first.receivedAt - truth.ts;
    });
    expect(latencies.length, 'at least one fault onset with no alarm already open').toBeGreaterThan(0);
    const p95 = percentile(latencies, 95);
    process.stdout.write(`[e2e] fault onset → anomaly event received: ${latencies.map((l) => `${l} ms`).join(', ')}; p95 ${p95} ms (target ≤ 2000 ms)\n`);
    expect(p95).toBeLessThan(10_000);
    const stored = await eventually('events in InfluxDB', async () => {
      const rows = await store.queryAnomalyEvents({ from: startedAt, to: Date.now() + 60_000 });
      return faulted.every((d) => rows.some((r) => r.deviceId === d)) ? rows : undefined;
    }, 30_000);
    expect(stored.length).toBeGreaterThanOrEqual(2);
    const alerts = await dash.get<{ alerts: { deviceId: string; eventId: string }[] }>('/api/alerts');
    for (const d of faulted) expect(alerts.alerts.some((a) => a.deviceId === d), `${d} alert on the dashboard`).toBe(true);
  }, 300_000);

  it('3: an engineer labels a false alarm, retraining yields a new version, and it rolls out', async () => {
    const alerts = await dash.get<{ alerts: { deviceId: string; eventId: string }[] }>('/api/alerts');
    const alert = alerts.alerts.find((a) => a.deviceId === 'motor-1')!;
    await dash.post(`/api/alerts/${alert.deviceId}/${alert.eventId}/label`, { label: 'false-alarm', comment: 'planned balancing test' });
    await eventually('label stored', async () => ((await store.queryLabels({ from: startedAt, to: Date.now() + 60_000 })).some((l) => l.label === 'false-alarm') ? true : undefined), 30_000);
    const version = await trainAndRollOut('retrained model');
    expect(version).toBe(2);
  }, 300_000);
});
