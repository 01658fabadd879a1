import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePublish, topicFilter, type MessageOf } from '@takt/contracts';
import { collectMessages, connectClient } from '@takt/testing';
import type { MqttClient } from 'mqtt';
import { partThumbnail } from './testing/frames.js';
import { TestFleet } from './testing/fleet.js';
import { SERVICE, startTestDashboard, TEST_USERS, type Signed, type TestDashboard } from './testing/harness.js';
import { startTrainerStandIn, type TrainerStandIn } from './testing/trainer-stand-in.js';
import type { EvidenceRecord } from './trainer/evidence.js';

const NOW = Date.now();
const cam = { site: 'site-1', line: 'line-1', device: 'cam-1' };
const pump = { site: 'site-1', line: 'line-2', device: 'pump-1' };
const png = Buffer.from(partThumbnail('scratch', 3), 'base64');
const frame = (id: string, ts: number, patch: Partial<EvidenceRecord> = {}): EvidenceRecord => ({
  evidenceId: id,
  deviceId: cam.device,
  site: cam.site,
  line: cam.line,
  ts,
  kind: 'frame',
  reason: 'uncertain',
  sha256: 'a'.repeat(64),
  bytes: png.length,
  frame: { frameId: `f-${id}`, width: 64, height: 64 },
  model: { name: 'vision', version: 1 },
  prediction: { label: 'ok', confidence: 0.41 },
  truth: 'scratch',
  ...patch,
});
const windowJson = Buffer.from(
  JSON.stringify({ t0: NOW - 60_000, sensors: { vibration: { rate: 100, values: [0.1, -0.2, 0.3] } } }),
);

describe('dashboard evidence API (trainer stand-in)', () => {
  let t: TestDashboard;
  let trainer: TrainerStandIn;
  let sub: MqttClient;
  let viewer: Signed;
  let engineer: Signed;

  const req = async (method: 'GET' | 'POST', path: string, s: Signed, body?: unknown) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        cookie: s.cookie,
        'x-csrf-token': s.csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res;
  };
  const json = async (method: 'GET' | 'POST', path: string, s: Signed, body?: unknown) => {
    const res = await req(method, path, s, body);
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } },
    };
  };
  /** label messages the broker delivers within `ms` */
  const labelsWithin = async (ms: number, act: () => Promise<unknown>) => {
    const got: MessageOf<'label'>[] = [];
    const on = (topic: string, payload: Buffer) =>
      got.push(decodePublish(topic, payload).message as MessageOf<'label'>);
    sub.on('message', on);
    try {
      await act();
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      sub.off('message', on);
    }
    return got;
  };

  beforeAll(async () => {
    trainer = await startTrainerStandIn();
    trainer.evidence.push(
      { record: frame('ev-old', NOW - 50_000), blob: png },
      {
        record: frame('ev-new', NOW - 10_000, { reason: 'sample', prediction: { label: 'scratch', confidence: 0.97 } }),
        blob: png,
      },
      {
        record: {
          evidenceId: 'ev-win',
          deviceId: pump.device,
          site: pump.site,
          line: pump.line,
          ts: NOW - 30_000,
          kind: 'window',
          reason: 'anomaly',
          sha256: 'b'.repeat(64),
          bytes: windowJson.length,
          window: { t0: NOW - 60_000, durationMs: 30, sensors: ['vibration'], eventId: 'evt-7', onset: NOW - 45_000 },
        },
        blob: windowJson,
      },
      { record: frame('ev-html', NOW - 40_000), blob: Buffer.from('<script>alert(1)</script>'), type: 'text/html' },
    );
    t = await startTestDashboard({
      trainer: { url: trainer.url, readerToken: trainer.readerToken, operatorToken: trainer.operatorToken },
    });
    viewer = await t.signIn('viewer');
    engineer = await t.signIn('engineer');
    sub = await connectClient(t.brokerUrl, SERVICE);
    await sub.subscribeAsync(topicFilter({ channel: 'label' }), { qos: 1 });
    const fleet = new TestFleet(t.publisher);
    await fleet.anomaly(pump, 'evt-7', 'open', NOW - 45_000);
    const deadline = Date.now() + 5_000;
    while (!t.dashboard.plant.alerts.get('pump-1/evt-7') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await sub?.endAsync();
    await t?.close();
    await trainer?.close();
  });

  it('lists evidence newest first through the reader token, forwarding the filters', async () => {
    const res = await json(
      'GET',
      `/api/evidence?kind=frame&device=cam-1&from=${NOW - 60_000}&to=${NOW}&limit=2`,
      viewer,
    );
    expect(res.status).toBe(200);
    expect((res.body['items'] as EvidenceRecord[]).map((x) => x.evidenceId)).toEqual(['ev-new', 'ev-html']);
    expect(trainer.seen.at(-1)).toMatchObject({
      method: 'GET',
      path: '/api/evidence',
      token: trainer.readerToken,
      query: { kind: 'frame', device: 'cam-1', from: String(NOW - 60_000), to: String(NOW), limit: '2' },
    });
  });

  it("narrows window evidence to one anomaly event's (event=)", async () => {
    const res = await json(
      'GET',
      `/api/evidence?kind=window&device=pump-1&event=evt-7&from=${NOW - 120_000}&to=${NOW}`,
      viewer,
    );
    expect((res.body['items'] as EvidenceRecord[]).map((x) => x.evidenceId)).toEqual(['ev-win']);
    expect(trainer.seen.at(-1)?.query['event']).toBeUndefined(); // the dashboard's own filter
    const none = await json('GET', `/api/evidence?kind=window&event=evt-8&from=${NOW - 120_000}&to=${NOW}`, viewer);
    expect(none.body['items']).toEqual([]);
  });

  it('BAD INPUT - refuses bad evidence filters with 400 before asking the trainer', async () => {
    const before = trainer.seen.length;
    for (const [q, word] of [
      ['kind=video', 'kind'],
      ['limit=5000', 'limit'],
      ['device=Cam_1', 'device'],
      ['from=9&to=3', 'from'],
      ['labelled=yes', 'labelled'],
      ['sort=asc', 'sort'],
    ] as const) {
      const res = await json('GET', `/api/evidence?${q}`, viewer);
      expect(res.status, q).toBe(400);
      expect(res.body.error?.message, q).toContain(word);
    }
    expect(trainer.seen.length).toBe(before);
  });

  it("passes a frame's PNG through byte for byte, to a viewer", async () => {
    const res = await req('GET', '/api/evidence/ev-new/blob', viewer);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    expect(trainer.seen.at(-1)).toMatchObject({ path: '/api/evidence/ev-new/blob', token: trainer.readerToken });
  });

  it("passes a window's JSON through", async () => {
    const res = await req('GET', '/api/evidence/ev-win/blob', viewer);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(windowJson.toString()));
  });

  it("BAD INPUT - an unknown blob is the trainer's 404; a blob of another type is refused (502), never served", async () => {
    const missing = await json('GET', '/api/evidence/ev-gone/blob', viewer);
    expect(missing.status).toBe(404);
    expect(missing.body.error?.message).toContain('ev-gone');
    const html = await json('GET', '/api/evidence/ev-html/blob', viewer);
    expect(html.status).toBe(502);
    expect(html.body.error?.message).toContain('text/html');
    expect((await json('GET', '/api/evidence/..%2Fmodels/blob', viewer)).status).toBe(400);
  });

  it('gives the label vocabulary', async () => {
    const res = await json('GET', '/api/labels', viewer);
    expect(res.body).toEqual(trainer.vocabulary);
  });

  it("relabels a listed frame: one `label` message with target evidence on the camera's topic", async () => {
    await json('GET', `/api/evidence?kind=frame&from=${NOW - 60_000}&to=${NOW}`, viewer);
    const got = collectMessages(sub, topicFilter({ channel: 'label' }), 1);
    const res = await json('POST', '/api/evidence/ev-old/label', engineer, {
      label: 'scratch',
      comment: 'visible at the edge',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      evidenceId: 'ev-old',
      label: { label: 'scratch', by: TEST_USERS.engineer.username, source: 'engineer' },
    });
    const [msg] = await got;
    const { topic, message } = decodePublish(msg!.topic, msg!.payload);
    expect(topic).toMatchObject({ ...cam, channel: 'label' });
    expect(message).toMatchObject({
      target: 'evidence',
      refId: 'ev-old',
      label: 'scratch',
      by: TEST_USERS.engineer.username,
      comment: 'visible at the edge',
      deviceId: 'cam-1',
    });
  });

  it('BAD INPUT - an unknown label is refused with 400 naming the vocabulary, and nothing is published', async () => {
    await json('GET', `/api/evidence?from=${NOW - 60_000}&to=${NOW}`, viewer);
    let res: Awaited<ReturnType<typeof json>> | undefined;
    const sent = await labelsWithin(
      400,
      async () => (res = await json('POST', '/api/evidence/ev-new/label', engineer, { label: 'dent' })),
    );
    expect(res?.status).toBe(400);
    expect(res?.body.error?.message).toBe(
      'label "dent" is not a known vision class (known: ok, scratch, pit, crack, stain)',
    );
    // a window takes fault classes, not vision ones
    const wrongKind = await labelsWithin(
      400,
      async () => (res = await json('POST', '/api/evidence/ev-win/label', engineer, { label: 'scratch' })),
    );
    expect(res?.status).toBe(400);
    expect(res?.body.error?.message).toContain('not a known fault class');
    expect([...sent, ...wrongKind]).toEqual([]);
  });

  it('BAD INPUT - relabelling an inspection outside the vision vocabulary is a 400, nothing published', async () => {
    await new TestFleet(t.publisher).publish(cam, 'inspection', {
      ts: NOW,
      frameId: 'f-77',
      label: 'ok',
      confidence: 0.7,
      model: { name: 'vision', version: 1 },
    });
    const deadline = Date.now() + 5_000;
    while (!t.dashboard.plant.inspections.find('cam-1', 'f-77') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    let res: Awaited<ReturnType<typeof json>> | undefined;
    const sent = await labelsWithin(
      400,
      async () => (res = await json('POST', '/api/inspections/cam-1/f-77/label', engineer, { label: 'dent' })),
    );
    expect(res?.status).toBe(400);
    expect(res?.body.error?.message).toContain('label "dent" is not a known vision class');
    expect(sent).toEqual([]);
    expect(t.dashboard.plant.inspections.find('cam-1', 'f-77')?.relabel).toBeUndefined();
    expect((await json('POST', '/api/inspections/cam-1/f-77/label', engineer, { label: 'pit' })).status).toBe(201);
  });

  it('labels a window with a fault class', async () => {
    await json('GET', `/api/evidence?kind=window&from=${NOW - 60_000}&to=${NOW}`, viewer);
    const got = collectMessages(sub, topicFilter({ channel: 'label' }), 1);
    expect((await json('POST', '/api/evidence/ev-win/label', engineer, { label: 'bearing-wear' })).status).toBe(201);
    const { topic, message } = decodePublish((await got)[0]!.topic, (await got)[0]!.payload);
    expect(topic.device).toBe('pump-1');
    expect(message).toMatchObject({ target: 'evidence', refId: 'ev-win', label: 'bearing-wear' });
  });

  it('BAD INPUT - evidence the dashboard cannot find is a 404; its device and time find it when it was not listed', async () => {
    const fresh = await startTestDashboard({
      trainer: { url: trainer.url, readerToken: trainer.readerToken, operatorToken: trainer.operatorToken },
    });
    try {
      const eng = await fresh.signIn('engineer');
      const post = (body: unknown) =>
        fetch(`${fresh.url}/api/evidence/ev-new/label`, {
          method: 'POST',
          headers: { cookie: eng.cookie, 'x-csrf-token': eng.csrfToken, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const unknown = await post({ label: 'scratch' });
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain('no evidence ev-new');
      expect((await post({ label: 'scratch', device: 'cam-1', ts: NOW - 500_000 })).status).toBe(404); // wrong time
      expect((await post({ label: 'scratch', device: 'cam-1', ts: NOW - 10_000 })).status).toBe(201);
    } finally {
      await fresh.close();
    }
  });

  it('labels an alert with a fault class; an unknown class is a 400 and leaves the alert as it was', async () => {
    const got = collectMessages(sub, topicFilter({ channel: 'label' }), 1);
    const ok = await json('POST', '/api/alerts/pump-1/evt-7/label', engineer, { label: 'cavitation' });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ label: { label: 'cavitation' } });
    expect(decodePublish((await got)[0]!.topic, (await got)[0]!.payload).message).toMatchObject({
      target: 'anomaly',
      refId: 'evt-7',
      label: 'cavitation',
    });
    let bad: Awaited<ReturnType<typeof json>> | undefined;
    const sent = await labelsWithin(
      400,
      async () => (bad = await json('POST', '/api/alerts/pump-1/evt-7/label', engineer, { label: 'gremlins' })),
    );
    expect(bad?.status).toBe(400);
    expect(bad?.body.error?.message).toContain('label "gremlins" is not a known fault class (known: bearing-wear,');
    expect(sent).toEqual([]);
    expect(t.dashboard.plant.alerts.get('pump-1/evt-7')?.label?.label).toBe('cavitation');
  });

  it('starts a job of each kind through the operator token', async () => {
    for (const kind of ['kmeans', 'cnn-vision', 'cnn-fault'] as const) {
      const res = await json('POST', '/api/jobs', engineer, { kind, model: `m-${kind}` });
      expect(res.status).toBe(202);
      expect(trainer.seen.at(-1)).toMatchObject({
        method: 'POST',
        path: '/api/jobs',
        token: trainer.operatorToken,
        body: { kind, model: `m-${kind}` },
      });
    }
    const jobs = await json('GET', '/api/jobs', viewer);
    expect((jobs.body['jobs'] as { kind: string }[]).map((j) => j.kind)).toEqual(['cnn-fault', 'cnn-vision', 'kmeans']);
    // without a model: the trainer's configured model of that kind
    expect((await json('POST', '/api/jobs', engineer, { kind: 'cnn-vision' })).status).toBe(202);
    expect(trainer.seen.at(-1)?.body).toEqual({ kind: 'cnn-vision' });
  });

  it("shows the fault CNN's verdicts on the device (features.fault)", async () => {
    const fleet = new TestFleet(t.publisher);
    for (let i = 0; i < 3; i++) {
      const ts = NOW + i * 1_000;
      await fleet.publish(pump, 'features', {
        ts,
        windowStart: ts - 1_000,
        windowEnd: ts,
        features: { 'vibration.rms': 0.4 },
        fault: {
          label: i < 2 ? 'normal' : 'imbalance',
          confidence: 0.8 + i * 0.05,
          model: { name: 'fault', version: 1 },
        },
      });
    }
    const deadline = Date.now() + 5_000;
    while (t.dashboard.plant.faults.history('pump-1').length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const res = await json('GET', '/api/devices/pump-1', viewer);
    const faults = res.body['faults'] as { label: string; ts: number; model: { version: number } }[];
    expect(faults.map((f) => f.label)).toEqual(['normal', 'normal', 'imbalance']);
    expect(faults.at(-1)).toMatchObject({ ts: NOW + 2_000, confidence: 0.9, model: { name: 'fault', version: 1 } });
  });

  it("shows the edge's evidence counters from its state (queued, over budget, shed by reason)", async () => {
    const evidence = {
      queued: { uncertain: 3, sample: 1 },
      queuedBytes: 41_000,
      rateLimited: { uncertain: 12 },
      shed: { sample: 2 },
    };
    await new TestFleet(t.publisher).publish(
      cam,
      'state',
      { ts: Date.now(), status: 'online', models: [], outboxDepth: 4, shed: 0, evidence },
      true,
    );
    const deadline = Date.now() + 5_000;
    while (!t.dashboard.plant.devices.view('cam-1')?.evidence && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect((await json('GET', '/api/devices/cam-1', viewer)).body['evidence']).toEqual(evidence);
  });
});
