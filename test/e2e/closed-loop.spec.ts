import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import {
  decodePublish,
  isPublishOn,
  topicFilter,
  type AnomalyEvent,
  type DeviceState,
  type FaultTruth,
} from '@takt/contracts';
import { Stack } from '@takt/stack';
import { TelemetryStore } from '@takt/telemetry-store';
import { connectClient, tempDir } from '@takt/testing';
import { checkSeqs, DashboardSession, eventually, percentile, writeSmallPlant } from '../src/index.js';

/**
 * The machines' production cycle, s: 60 instead of the simulator's default 120 — what the models must
 * see is one whole cycle of each machine's operating range, not how long it lasts, and half the cycle
 * halves the healthy minutes the test waits for.
 */
const LOAD_CYCLE_S = 60;
/** Healthy seconds to train on, after the simulator's restart: one load cycle and some margin. */
const HEALTHY_S = LOAD_CYCLE_S + 10;
/**
 * Fault onset, s after the simulator (re)starts: after training both models on HEALTHY_S and their
 * canary rollouts, which finish about 100 s in on 2 cores, with time to spare.
 */
const FAULT_AT_S = 140;
/** the MQTT lines: raw samples from the simulator over MQTT */
const mqttDevices = ['pump-1', 'motor-1', 'pump-2'];
/** the fieldbus lines: served by the simulator over OPC UA (pump-u) and Modbus TCP (motor-m) */
const served = ['pump-u', 'motor-m'];

interface Job {
  id: string;
  status: string;
  version?: number;
  message?: string;
}
interface Rollout {
  id: string;
  stage: string;
  version: number;
}

/**
 * One plant for the closed loop (scenarios 1–3) and the plant's fieldbus languages: lines over MQTT,
 * OPC UA and Modbus TCP. The fieldbus checks come first (telemetry from every line; the simulator and its
 * servers killed mid-stream and restarted, the agents mark the gap), then the loop on the restarted
 * plant: healthy data → K-means trained from InfluxDB for the MQTT lines and, apart, for the fieldbus
 * lines → canary rollouts; injected faults → anomaly events in InfluxDB and the dashboard API (latency
 * from onset measured) on every line; an engineer labels a false alarm → retraining → a new version
 * rolls out. One plant started once: both suites share its start, its healthy minutes and its faults.
 */
describe('e2e: the closed loop, on MQTT, OPC UA and Modbus lines', () => {
  const dir = tempDir('takt-e2e-loop-');
  let stack: Stack;
  let store: TelemetryStore;
  let watcher: MqttClient;
  let dash: DashboardSession;
  const states = new Map<string, DeviceState>();
  const opens: { event: AnomalyEvent; receivedAt: number }[] = [];
  /** event id → when its close arrived, and the close's own time */
  const closes = new Map<string, { receivedAt: number; ts: number }>();
  const truths: FaultTruth[] = [];
  const t0 = Date.now();
  /** when the simulator came back: the fault clock starts again there */
  let restartedAt = 0;

  beforeAll(async () => {
    const plantFile = writeSmallPlant(dir.path, {
      layout: {
        'plant-a': {
          'line-1': ['pump-1', 'motor-1'],
          'line-2': ['pump-2'],
          'line-u': ['pump-u'],
          'line-m': ['motor-m'],
        },
      },
      loadCycleS: LOAD_CYCLE_S,
      faults: {
        'pump-1': { kind: 'bearing-wear', start: FAULT_AT_S, duration: 40, severity: 1, rampS: 1 },
        'motor-1': { kind: 'imbalance', start: FAULT_AT_S + 5, duration: 40, severity: 1, rampS: 1 },
        'pump-u': { kind: 'imbalance', start: FAULT_AT_S, duration: 60, severity: 1, rampS: 1 },
        'motor-m': { kind: 'imbalance', start: FAULT_AT_S, duration: 60, severity: 1, rampS: 1 },
      },
    });
    const plant = JSON.parse(readFileSync(plantFile, 'utf8')) as {
      sites: { lines: { id: string; serve?: string }[] }[];
    };
    for (const line of plant.sites[0]!.lines)
      if (line.id === 'line-u' || line.id === 'line-m') line.serve = line.id === 'line-u' ? 'opcua' : 'modbus';
    writeFileSync(plantFile, JSON.stringify(plant, null, 2));
    stack = await new Stack({
      dir: dir.path,
      mode: 'source',
      plantFile,
      seed: 7,
      serve: true,
      trainer: true,
      dashboard: true,
      demoPassword: 'e2e-password',
      trainerConfig: {
        training: { model: 'plant-anomaly', minWindows: 100, lookbackMs: 600_000 },
        rollout: { watchMs: 6_000 },
      },
    }).start();
    store = await TelemetryStore.connect({ url: stack.influx.url });
    watcher = await connectClient(stack.brokers[0]!.url, {
      username: 'dashboard',
      password: stack.secrets.broker.dashboard,
    });
    watcher.on('message', (topic, payload) => {
      try {
        const d = decodePublish(topic, payload);
        if (isPublishOn(d, 'state')) states.set(d.topic.device, d.message);
        if (isPublishOn(d, 'anomaly') && d.message.state === 'open')
          opens.push({ event: d.message, receivedAt: Date.now() });
        if (isPublishOn(d, 'anomaly') && d.message.state === 'close')
          closes.set(d.message.eventId, { receivedAt: Date.now(), ts: d.message.ts });
        if (isPublishOn(d, 'truth') && d.message.state === 'start') truths.push(d.message);
      } catch {
        // not ours to judge here: the broker validates
      }
    });
    await watcher.subscribeAsync(
      [topicFilter({ channel: 'state' }), topicFilter({ channel: 'anomaly' }), topicFilter({ channel: 'truth' })],
      { qos: 1 },
    );
    dash = await DashboardSession.signIn(stack.dashboard!.url, 'admin', 'e2e-password');
  }, 240_000);

  afterAll(async () => {
    watcher?.end(true);
    await store?.close();
    await stack?.stop();
    if (!process.env['TAKT_E2E_KEEP']) dir.remove();
  }, 120_000);

  const telemetry = (device: string) => checkSeqs(store, device, 'telemetry', t0 - 60_000).then((c) => c.count);

  /** A K-means job from InfluxDB for `devices`, then a canary rollout to them; resolves with the version once every agent runs it. */
  async function trainAndRollOut(
    label: string,
    model: string,
    devices: string[],
    canary: string,
    from?: number,
  ): Promise<number> {
    const { id } = await dash.post<{ id: string }>('/api/jobs', {
      kind: 'kmeans',
      model,
      devices,
      ...(from === undefined ? {} : { from }),
    });
    const job = await eventually(
      `${label}: training job`,
      async () => {
        const j = (await dash.get<{ jobs: Job[] }>('/api/jobs')).jobs.find((x) => x.id === id);
        if (j?.status === 'failed') throw new Error(`job failed: ${j.message}`);
        return j?.status === 'succeeded' ? j : undefined;
      },
      120_000,
    );
    process.stdout.write(`[e2e] ${label}: ${job.message}\n`);
    expect(job.version ?? 0, `${label}: job registered a version (${job.message})`).toBeGreaterThan(0);
    const version = job.version!;
    const rollout = await dash.post<{ id: string }>('/api/rollouts', {
      model,
      version,
      canary: [canary],
      devices,
      watchMs: 6_000,
    });
    await eventually(
      `${label}: rollout promoted`,
      async () => {
        const r = (await dash.get<{ rollouts: Rollout[] }>('/api/rollouts')).rollouts.find((x) => x.id === rollout.id);
        if (r && (r.stage === 'rolled-back' || r.stage === 'failed')) throw new Error(`rollout ${r.stage}`);
        return r?.stage === 'promoted' ? r : undefined;
      },
      90_000,
    );
    await eventually(
      `${label}: every agent runs v${version}`,
      async () =>
        devices.every((d) => states.get(d)?.models.some((m) => m.name === model && m.version === version))
          ? true
          : undefined,
      60_000,
    );
    return version;
  }

  describe('OPC UA and Modbus lines', () => {
    it('serves its endpoints, and telemetry from every line lands in InfluxDB', async () => {
      expect(stack.serving?.opcua).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+\/takt$/);
      expect(stack.serving?.modbus).toMatch(/^modbus:\/\/127\.0\.0\.1:\d+$/);
      for (const d of [...mqttDevices, ...served])
        await eventually(
          `${d} telemetry in InfluxDB`,
          async () => ((await telemetry(d)) >= 5 ? true : undefined),
          60_000,
        );
      expect(states.get('pump-u')?.intake).toMatchObject({ protocol: 'opcua', connected: true });
      expect(states.get('motor-m')?.intake).toMatchObject({ protocol: 'modbus', connected: true });
    }, 90_000);

    it('the simulator and both servers killed mid-stream: the agents recover and mark the gap', async () => {
      await stack.simulator!.process.kill();
      for (const d of served)
        await eventually(
          `${d} intake down`,
          async () => (states.get(d)?.intake?.connected === false ? true : undefined),
          30_000,
        );
      const before = { u: await telemetry('pump-u'), m: await telemetry('motor-m') };
      await stack.simulator!.process.start();
      restartedAt = Date.now();
      for (const d of served) {
        const s = await eventually(
          `${d} intake back with the gap marked`,
          async () => {
            const i = states.get(d)?.intake;
            return i?.connected && i.gaps >= 1 ? i : undefined;
          },
          60_000,
        );
        expect(s.lastGap!.to - s.lastGap!.from, `${d} gap span`).toBeGreaterThan(500);
      }
      await eventually(
        'telemetry after the restart',
        async () =>
          (await telemetry('pump-u')) > before.u + 3 && (await telemetry('motor-m')) > before.m + 3 ? true : undefined,
        60_000,
      );
    }, 150_000);
  });

  describe('the closed loop', () => {
    it('1: trains K-means from InfluxDB, canaries, and every edge agent runs the new version', async () => {
      // let healthy feature windows of a whole load cycle accumulate after the restart (3 devices × 2
      // windows/s): a model fitted on less has not seen the machines' whole operating range and raises false alarms
      await eventually(
        'healthy windows in InfluxDB',
        async () =>
          (await store.queryFeatures({ from: restartedAt, to: Date.now(), devices: mqttDevices })).length >=
          3 * 2 * HEALTHY_S
            ? true
            : undefined,
        (HEALTHY_S + 120) * 1000,
        3_000,
      );
      const version = await trainAndRollOut('first model', 'plant-anomaly', mqttDevices, 'pump-2');
      expect(version).toBe(1);
      const events = await store.queryModelEvents({
        from: t0 - 60_000,
        to: Date.now() + 60_000,
        model: 'plant-anomaly',
      });
      expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['registered']));
    }, 420_000);
  });

  describe('OPC UA and Modbus lines', () => {
    it('a K-means model trained from InfluxDB raises anomaly events on the OPC UA and the Modbus line', async () => {
      await new Promise((r) => setTimeout(r, Math.max(0, restartedAt + (HEALTHY_S + 5) * 1000 - Date.now()))); // healthy data to train on
      // the fieldbus lines' own model, from data after the restart: a served sensor is a 10 Hz series of
      // step values (vibration as its RMS), not the MQTT line's 2 kHz raw samples, so their features differ
      await trainAndRollOut('fieldbus', 'fieldbus-anomaly', served, 'pump-u', restartedAt + 5_000);
      expect(
        truths.filter((t) => served.includes(t.deviceId)),
        'the model runs before the fault starts',
      ).toEqual([]);
      // each fault's onset as the simulator's truth channel tells it; an event that opened at the onset, or a
      // false alarm still open then and kept open by the fault (10 s on), is the detection
      const onset = (d: string) => truths.find((t) => t.deviceId === d)?.ts ?? Infinity;
      const detected = (d: string) =>
        Date.now() > onset(d) + 10_000 &&
        opens.some(
          ({ event: e }) =>
            e.deviceId === d &&
            (e.openedAt >= onset(d) - 2_000 || (closes.get(e.eventId)?.ts ?? Infinity) > onset(d) + 10_000),
        );
      for (const d of served)
        await eventually(
          `${d} anomaly event at the fault's onset`,
          async () => (detected(d) ? true : undefined),
          (FAULT_AT_S + 150) * 1000,
        );
      const early = opens
        .filter(({ event: e }) => served.includes(e.deviceId) && e.openedAt < onset(e.deviceId) - 2_000)
        .map((o) => o.event);
      process.stdout.write(
        `[e2e] fieldbus: ${early.length} false alarm(s) before the onset (${early.map((e) => `${e.deviceId} score ${e.score.toFixed(2)} > ${e.threshold.toFixed(2)}`).join(', ') || 'none'})\n`,
      );
      const events = await eventually(
        'anomaly events in InfluxDB',
        async () => {
          const n = await Promise.all(
            served.map((d) => checkSeqs(store, d, 'anomaly', t0 - 60_000).then((c) => c.count)),
          );
          return n.every((x) => x > 0) ? n : undefined;
        },
        60_000,
      );
      expect(events.every((n) => n > 0)).toBe(true);
    }, 420_000);
  });

  describe('the closed loop', () => {
    it('2: injected faults raise anomaly events in InfluxDB and the dashboard API, p95 from onset reported', async () => {
      const faulted = ['pump-1', 'motor-1'];
      // the first open event at or after each fault's onset (as the simulator's truth channel told it);
      // an event that opened earlier is a false alarm and is reported, not taken for the detection —
      // unless it was still open at the onset and the fault kept it open (10 s on): then no new event
      // can open, the machine is in alarm, and its onset latency cannot be measured
      const detection = (d: string) => {
        const truth = truths.find((t) => t.deviceId === d);
        if (!truth) return undefined;
        const first = opens
          .filter((o) => o.event.deviceId === d && o.receivedAt >= truth.ts - 1_000)
          .sort((a, b) => a.receivedAt - b.receivedAt)[0];
        if (first) return { truth, first, carried: false };
        const heldUntil = truth.ts + 10_000;
        if (Date.now() < heldUntil) return undefined;
        const carried = opens.find(
          (o) =>
            o.event.deviceId === d &&
            o.receivedAt < truth.ts - 1_000 &&
            (closes.get(o.event.eventId)?.receivedAt ?? Infinity) > heldUntil,
        );
        return carried && { truth, first: carried, carried: true };
      };
      await eventually(
        'anomaly events for both faulted machines after their onsets',
        async () => (faulted.every((d) => detection(d)) ? true : undefined),
        (FAULT_AT_S + 90) * 1000,
        1_000,
      );
      const early = opens.filter(
        (o) =>
          mqttDevices.includes(o.event.deviceId) &&
          o.receivedAt < (truths.find((t) => t.deviceId === o.event.deviceId)?.ts ?? Infinity) - 1_000,
      );
      if (early.length > 0)
        process.stdout.write(
          `[e2e] anomaly events opened before any fault: ${early.map((o) => `${o.event.deviceId}@${o.event.openedAt - restartedAt} ms after the restart`).join(', ')}\n`,
        );
      const carried = faulted.filter((d) => detection(d)!.carried);
      if (carried.length > 0)
        process.stdout.write(
          `[e2e] a false alarm was still open at the fault onset, so its latency is not measured: ${carried.join(', ')}\n`,
        );
      const latencies = faulted
        .filter((d) => !carried.includes(d))
        .map((d) => {
          const { truth, first } = detection(d)!;
          return first.receivedAt - truth.ts;
        });
      expect(latencies.length, 'at least one fault onset with no alarm already open').toBeGreaterThan(0);
      const p95 = percentile(latencies, 95);
      process.stdout.write(
        `[e2e] fault onset → anomaly event received: ${latencies.map((l) => `${l} ms`).join(', ')}; p95 ${p95} ms (target ≤ 2000 ms)\n`,
      );
      expect(p95).toBeLessThan(10_000);
      const stored = await eventually(
        'events in InfluxDB',
        async () => {
          const rows = await store.queryAnomalyEvents({ from: t0, to: Date.now() + 60_000 });
          return faulted.every((d) => rows.some((r) => r.deviceId === d)) ? rows : undefined;
        },
        30_000,
      );
      expect(stored.length).toBeGreaterThanOrEqual(2);
      const alerts = await dash.get<{ alerts: { deviceId: string; eventId: string }[] }>('/api/alerts');
      for (const d of faulted)
        expect(
          alerts.alerts.some((a) => a.deviceId === d),
          `${d} alert on the dashboard`,
        ).toBe(true);
    }, 300_000);

    it('3: an engineer labels a false alarm, retraining yields a new version, and it rolls out', async () => {
      const alerts = await dash.get<{ alerts: { deviceId: string; eventId: string }[] }>('/api/alerts');
      const alert = alerts.alerts.find((a) => a.deviceId === 'motor-1')!;
      await dash.post(`/api/alerts/${alert.deviceId}/${alert.eventId}/label`, {
        label: 'false-alarm',
        comment: 'planned balancing test',
      });
      await eventually(
        'label stored',
        async () =>
          (await store.queryLabels({ from: t0, to: Date.now() + 60_000 })).some((l) => l.label === 'false-alarm')
            ? true
            : undefined,
        30_000,
      );
      const version = await trainAndRollOut('retrained model', 'plant-anomaly', mqttDevices, 'pump-2');
      expect(version).toBe(2);
    }, 300_000);
  });
});
