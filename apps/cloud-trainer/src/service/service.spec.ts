import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTopic,
  decodeDesiredModel,
  type DecodedPublish,
  type DesiredModel,
  type ModelManifest,
} from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import {
  downloadArtifact,
  generateSigningKey,
  ModelRegistry,
  verifyArtifact,
  verifyManifest,
  verifyRollbackGrant,
} from '@takt/model-registry';
import { createLogger, freePort, ManagedProcess } from '@takt/runtime';
import { TelemetryStore } from '@takt/telemetry-store';
import {
  connectClient,
  startInfluxd,
  startTestBroker,
  tempDir,
  workspaceRoot,
  type InfluxdServer,
  type TestBroker,
} from '@takt/testing';
import { trainerServiceConfigSchema, type TrainerServiceConfigInput } from './config.js';
import { DriftMonitor } from './drift.js';
import { startTrainerService, type TrainerService } from './service.js';

const READER = 'reader-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const SITE = { site: 'plant-a', line: 'line-1' };
const MODEL = 'press-anomaly';
/** Two hours ago, on a whole second: range A [T0, T0+150 s) is healthy data of two regimes. */
const T0 = Math.floor((Date.now() - 7_200_000) / 1000) * 1000;
const HOP = 500;

/** Seeded normal samples (mulberry32 + Box-Muller). */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

type Regime = 'idle' | 'load' | 'fault';
const CENTERS: Record<Regime, [rms: number, kurtosis: number, temp: number]> = {
  idle: [0.3, 3.0, 40],
  load: [0.8, 3.6, 45],
  fault: [3.0, 6.0, 70],
};

function featureWindows(
  device: string,
  from: number,
  count: number,
  regime: (i: number) => Regime,
  seed: number,
): DecodedPublish[] {
  const n = gaussian(seed);
  return Array.from({ length: count }, (_, i) => {
    const [rms, kurt, temp] = CENTERS[regime(i)];
    const ts = from + i * HOP;
    const { score: _s, model: _m, ...base } = sampleMessage('features', device, i);
    const features: Record<string, number> = {
      'vibration.rms': rms * (1 + 0.06 * n()),
      'vibration.kurtosis': kurt + 0.1 * n(),
      'temperature.mean': temp + 0.5 * n(),
      'vibration.crest': 1.41,
    };
    if (i % 2 === 0) features['current.mean'] = 12 + n(); // missing in half the rows: not a model feature
    return {
      topic: { ...SITE, device, channel: 'features' },
      message: { ...base, ts, windowStart: ts - 1000, windowEnd: ts, features },
    } as DecodedPublish;
  });
}

let influx: InfluxdServer;
let broker: TestBroker;
let store: TelemetryStore;
let mqtt: MqttClient;
let svc: TrainerService;
const dir = tempDir('takt-trainer-svc-');
const key = generateSigningKey('trainer-test');
let config: TrainerServiceConfigInput;

const api = async (
  path: string,
  init: { method?: string; token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
) => {
  const token = init.token === undefined ? OPERATOR : init.token;
  const res = await fetch(`${svc.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test bodies are checked field by field
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
};

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Submits a training job and waits for it to finish. */
async function train(request: Record<string, unknown>) {
  const res = await api('/api/jobs', { body: { kind: 'kmeans', model: MODEL, ...request } });
  expect(res.status).toBe(202);
  return until(
    'job end',
    async () => {
      const job = (await api('/api/jobs', { token: READER })).body.jobs.find(
        (j: { id: string }) => j.id === res.body.id,
      );
      return job.status === 'succeeded' || job.status === 'failed' ? job : undefined;
    },
    60_000,
  );
}

/** Publishes a device's retained `state`, as an edge agent does. */
async function publishState(device: string, extra: Record<string, unknown> = {}, seq = 0): Promise<void> {
  const state = { ...sampleMessage('state', device, seq), ts: Date.now(), models: [], ...extra };
  await mqtt.publishAsync(buildTopic({ ...SITE, device, channel: 'state' }), JSON.stringify(state), {
    qos: 1,
    retain: true,
  });
}

/** The retained `model/desired` of a device as a fresh subscriber sees it (undefined: none retained). */
async function retainedDesired(device: string): Promise<DesiredModel | undefined> {
  const c = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
  try {
    const got = new Promise<Buffer | undefined>((resolve) => {
      c.on('message', (_t, p) => resolve(p));
      setTimeout(() => resolve(undefined), 700);
    });
    await c.subscribeAsync(buildTopic({ ...SITE, device, channel: 'model/desired' }), { qos: 1 });
    const p = await got;
    return p && p.length > 0 ? decodeDesiredModel(p) : undefined;
  } finally {
    await c.endAsync();
  }
}

beforeAll(async () => {
  [influx, broker] = await Promise.all([startInfluxd(), startTestBroker()]);
  store = await TelemetryStore.connect({ url: influx.url });
  const regimes = (i: number): Regime => (Math.floor(i / 40) % 2 === 0 ? 'idle' : 'load');
  await store.write([
    ...featureWindows('press-01', T0, 300, regimes, 1),
    ...featureWindows('press-02', T0, 300, regimes, 2),
  ]);
  mqtt = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
  for (const d of ['press-01', 'press-02', 'press-03']) await publishState(d);
  const keyFile = join(dir.path, 'signing.pem');
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  config = {
    host: '127.0.0.1',
    port: 0,
    registryDir: join(dir.path, 'registry'),
    signingKey: { keyId: key.keyId, privateKeyFile: keyFile },
    tokens: [
      { token: READER, role: 'reader' },
      { token: OPERATOR, role: 'operator' },
    ],
    influx: { url: influx.url },
    mqtt: { url: broker.url, username: 'service', password: 'service-secret' },
    training: { model: MODEL, minWindows: 100 },
    rollout: { watchMs: 1_500 },
  };
  svc = await startTrainerService(trainerServiceConfigSchema.parse(config), createLogger('trainer-test'));
}, 90_000);

afterAll(async () => {
  await svc?.close();
  await mqtt?.endAsync();
  await store?.close();
  await Promise.all([broker?.close(), influx?.close()]);
  dir.remove();
});

const ROUTES: [method: string, path: string, role: 'reader' | 'operator'][] = [
  ['GET', '/api/models', 'reader'],
  ['GET', `/api/models/${MODEL}/1/manifest`, 'reader'],
  ['GET', `/api/models/${MODEL}/1/artifact`, 'reader'],
  ['GET', '/api/jobs', 'reader'],
  ['POST', '/api/jobs', 'operator'],
  ['GET', '/api/rollouts', 'reader'],
  ['POST', '/api/rollouts', 'operator'],
  ['POST', '/api/rollouts/ro-x/promote', 'operator'],
  ['POST', '/api/rollouts/ro-x/rollback', 'operator'],
];

describe('auth', () => {
  it.each(ROUTES)('%s %s: 401 without or with an unknown token', async (method, path) => {
    const none = await api(path, { method, token: null });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await api(path, { method, token: 'not-a-known-token-at-all' })).status).toBe(401);
  });

  it.each(ROUTES.filter((r) => r[2] === 'operator'))('%s %s: 403 for a reader token', async (method, path) => {
    const res = await api(path, { method, token: READER, body: {} });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('operator') });
  });

  it('/healthz and /metrics need no token', async () => {
    expect((await api('/healthz', { token: null })).body).toMatchObject({ status: 'ok', influx: true, mqtt: true });
    expect((await api('/metrics', { token: null })).body).toContain('takt_trainer_jobs{status="queued"}');
  });
});

describe('BAD INPUT - request validation', () => {
  it.each([
    ['job kind', '/api/jobs', { kind: 'cnn', model: MODEL }, 'body.kind'],
    ['job model not an id', '/api/jobs', { kind: 'kmeans', model: 'Press Anomaly' }, 'body.model'],
    ['job to before from', '/api/jobs', { kind: 'kmeans', model: MODEL, from: T0 + 1000, to: T0 }, 'body.to'],
    ['job unknown field', '/api/jobs', { kind: 'kmeans', model: MODEL, epochs: 3 }, 'body.epochs'],
    [
      'job range longer than training.maxJobSpanMs',
      '/api/jobs',
      { kind: 'kmeans', model: MODEL, from: T0 - 31 * 86_400_000, to: T0 },
      'body.from',
    ],
    [
      'job from so early that the range up to now is too long',
      '/api/jobs',
      { kind: 'kmeans', model: MODEL, from: 1_000_000_000_000 },
      'body.from',
    ],
    [
      'job to in the future',
      '/api/jobs',
      { kind: 'kmeans', model: MODEL, from: T0, to: Date.now() + 3_600_000 },
      'body.to',
    ],
    [
      'job from in the future',
      '/api/jobs',
      { kind: 'kmeans', model: MODEL, from: Date.now() + 3_600_000 },
      'body.from',
    ],
    ['rollout without canary', '/api/rollouts', { model: MODEL, version: 1, canary: [], devices: [] }, 'body.canary'],
    [
      'rollout version not an integer',
      '/api/rollouts',
      { model: MODEL, version: 'one', canary: ['press-01'], devices: [] },
      'body.version',
    ],
    [
      'rollout bad device id',
      '/api/rollouts',
      { model: MODEL, version: 1, canary: ['Press_01'], devices: [] },
      'body.canary.0',
    ],
  ])('%s → 400 naming %s', async (_case, path, body, field) => {
    const res = await api(path, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
    expect(res.body.error.message).toContain(field);
  });

  it('malformed JSON and a non-JSON body are 400', async () => {
    expect((await api('/api/jobs', { body: '{"kind": ' })).status).toBe(400);
    const text = await api('/api/jobs', { body: 'kind=kmeans', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    expect(text.body.error.message).toContain('JSON');
  });

  it('bad path parameters are 400, unknown models and rollouts 404', async () => {
    expect((await api('/api/models/Bad_Name/1/manifest', { token: READER })).body.error.message).toContain(
      'params.name',
    );
    expect((await api(`/api/models/${MODEL}/0/manifest`, { token: READER })).body.error.message).toContain(
      'params.version',
    );
    expect((await api('/api/models/no-such-model/1/manifest', { token: READER })).status).toBe(404);
    expect((await api('/api/rollouts/ro-nope/promote', { method: 'POST' })).status).toBe(404);
    expect((await api('/api/nothing-here', { token: READER })).status).toBe(404);
  });
});

let v1: ModelManifest;

describe('training', () => {
  it('BAD INPUT - a training on a range without data fails with NO_DATA and registers nothing', async () => {
    const job = await train({ from: T0 - 3_600_000, to: T0 - 1_800_000 });
    expect(job).toMatchObject({ status: 'failed', error: { code: 'NO_DATA' } });
    expect(job.version).toBeUndefined();
    expect((await api('/api/models', { token: READER })).body.models).toEqual([]);
    expect(await new ModelRegistry({ dir: config.registryDir }).latest(MODEL)).toBeUndefined();
    expect(await store.queryModelEvents({ from: 1, to: Date.now() + 1000, kind: 'registered' })).toEqual([]);
  });

  it('trains on InfluxDB feature windows and registers a signed model whose artifact downloads and verifies', async () => {
    const job = await train({ from: T0, to: T0 + 150_000 });
    expect(job).toMatchObject({
      status: 'succeeded',
      version: 1,
      progress: 1,
      gate: { passed: true, basis: 'healthy-holdout', reason: 'no current model' },
    });
    expect(job.metrics.k).toBeGreaterThanOrEqual(2);
    v1 = (await api(`/api/models/${MODEL}/1/manifest`, { token: READER })).body;
    expect(v1).toMatchObject({
      kind: 'kmeans-anomaly',
      version: 1,
      input: {
        name: 'features',
        shape: [null, 3],
        window: { lengthMs: 1000, hopMs: 500, sensors: ['temperature', 'vibration'] },
      },
    });
    expect(v1.input.featureNames).toEqual(['temperature.mean', 'vibration.kurtosis', 'vibration.rms']);
    expect(v1.training).toMatchObject({ from: T0, to: T0 + 149_500 });
    expect(v1.metrics['ref_score_p50']).toBeGreaterThan(0);
    verifyManifest(v1, { [key.keyId]: key.publicKeyPem });
    const res = await fetch(`${svc.url}/api/models/${MODEL}/1/artifact`, {
      headers: { authorization: `Bearer ${READER}` },
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get('etag')).toBe(`"${v1.artifact.sha256}"`);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(v1.artifact.sha256);
    verifyArtifact(v1, bytes);
    const part = await fetch(`${svc.url}/api/models/${MODEL}/1/artifact`, {
      headers: { authorization: `Bearer ${READER}`, range: 'bytes=0-9' },
    });
    expect([part.status, (await part.arrayBuffer()).byteLength]).toEqual([206, 10]);
    expect((await api(`/api/models/${MODEL}/1/artifact?variant=int8`, { token: READER })).status).toBe(404);
    const kinds = (await store.queryModelEvents({ from: 1, to: Date.now() + 1000, model: MODEL })).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['trained', 'gate-passed', 'registered']));
  });

  it('a retrain on the same data is as good as the current model and becomes v2', async () => {
    const job = await train({ from: T0, to: T0 + 150_000 });
    expect(job).toMatchObject({ status: 'succeeded', version: 2, gate: { passed: true, current: { version: 1 } } });
    expect(job.gate.candidate.falseAlarmRate).toBe(job.gate.current.falseAlarmRate);
  });

  it('the promotion gate refuses a candidate trained on fault-contaminated data (labelled faults missed)', async () => {
    // 50 s of unlabelled fault-like windows before T0 (taken as healthy), and 20 s of labelled faults after range A
    await store.write([
      ...featureWindows('press-01', T0 - 50_000, 100, () => 'fault', 3),
      ...featureWindows('press-01', T0 + 150_000, 40, () => 'fault', 4),
    ]);
    const label = {
      ...sampleMessage('label', 'press-01', 0),
      ts: T0 + 171_000,
      labelId: 'lbl-bearing-1',
      target: 'window' as const,
      from: T0 + 150_000,
      to: T0 + 170_000,
      label: 'bearing-fault',
      refId: undefined,
    };
    await store.write([
      {
        topic: { ...SITE, device: 'press-01', channel: 'label' },
        message: JSON.parse(JSON.stringify(label)),
      } as DecodedPublish,
    ]);
    const job = await train({ from: T0 - 50_000, to: T0 + 170_000 });
    expect(job).toMatchObject({
      status: 'succeeded',
      gate: { passed: false, basis: 'labelled', faultWindows: 40, current: { version: 2 } },
    });
    expect(job.gate.current.detectionRate).toBeGreaterThan(0.9);
    expect(job.gate.candidate.detectionRate).toBeLessThan(0.5);
    expect(job.version).toBeUndefined();
    expect(job.message).toMatch(/refused/);
    expect((await api('/api/models', { token: READER })).body.models.map((m: ModelManifest) => m.version)).toEqual([
      2, 1,
    ]);
    expect(await store.queryModelEvents({ from: 1, to: Date.now() + 1000, kind: 'gate-refused' })).toHaveLength(1);
  });
});

/** Answers as an edge agent would: the desired model's rollout status, and the version it now runs. */
async function report(
  device: string,
  desired: DesiredModel,
  status: 'applied' | 'rolled-back' | 'rejected',
  seq: number,
): Promise<void> {
  const m = desired.manifest;
  const models =
    status === 'applied'
      ? [{ name: m.name, kind: m.kind, version: m.version, provider: 'cpu', since: Date.now() }]
      : [];
  await publishState(
    device,
    {
      models,
      rollout: {
        rolloutId: desired.rolloutId,
        name: m.name,
        version: m.version,
        status,
        at: Date.now(),
        ...(status === 'applied' ? {} : { reason: 'smoke test failed' }),
      },
    },
    seq,
  );
}

const rolloutOf = async (id: string) =>
  (await api('/api/rollouts', { token: READER })).body.rollouts.find((r: { id: string }) => r.id === id);

describe('rollouts', () => {
  let first: string;

  it('publishes the desired model to the canary, and promotes to the group once the canary applied it', async () => {
    const res = await until('devices known', async () => {
      const r = await api('/api/rollouts', {
        body: { model: MODEL, version: 1, canary: ['press-01'], devices: ['press-01', 'press-02'], watchMs: 3_000 },
      });
      return r.status === 409 ? undefined : r;
    });
    expect(res.status).toBe(201);
    first = res.body.id;
    const desired = await until('desired for press-01', () => retainedDesired('press-01'));
    expect(desired).toMatchObject({
      deviceId: 'press-01',
      rolloutId: first,
      artifactUrl: `${svc.publicUrl}/api/models/${MODEL}/1/artifact`,
      manifest: { version: 1, signature: v1.signature },
    });
    expect(await retainedDesired('press-02')).toBeUndefined();
    // the device downloads by content address from its configured registry, with its reader token, and verifies, then reports
    const dest = join(dir.path, 'press-01.onnx');
    await downloadArtifact(`${svc.publicUrl}/api/artifacts/sha256/${desired.manifest.artifact.sha256}`, dest, {
      sha256: desired.manifest.artifact.sha256,
      bytes: desired.manifest.artifact.bytes,
      headers: { authorization: `Bearer ${READER}` },
    });
    verifyArtifact(desired.manifest, readFileSync(dest));
    await report('press-01', desired, 'applied', 1);
    // promoted first, then sent to the rest of the group: wait for both
    const done = await until('promotion', async () => {
      const r = await rolloutOf(first);
      return r.stage === 'promoted' && r.devices.every((d: { status: string }) => d.status !== 'pending')
        ? r
        : undefined;
    });
    expect(done.devices).toEqual([
      { deviceId: 'press-01', status: 'applied', version: 1 },
      { deviceId: 'press-02', status: 'sent' },
    ]);
    expect(await retainedDesired('press-02')).toMatchObject({ rolloutId: first, manifest: { version: 1 } });
    const kinds = (await store.queryModelEvents({ from: 1, to: Date.now() + 1000, kind: 'promoted' })).map(
      (e) => e.detail['rolloutId'],
    );
    expect(kinds).toContain(first);
    expect((await api(`/api/rollouts/${first}/promote`, { method: 'POST' })).status).toBe(409);
  });

  it('rolls back when the canary reports rolled-back: the previous desired model is restored', async () => {
    const res = await api('/api/rollouts', {
      body: { model: MODEL, version: 2, canary: ['press-01'], devices: ['press-01', 'press-02'], watchMs: 10_000 },
    });
    expect(res.status).toBe(201);
    const desired = await until('v2 desired', async () => {
      const d = await retainedDesired('press-01');
      return d?.manifest.version === 2 ? d : undefined;
    });
    await report('press-01', desired, 'rolled-back', 2);
    const r = await until(
      'rollback',
      async () => ((await rolloutOf(res.body.id)).stage === 'rolled-back' ? rolloutOf(res.body.id) : undefined),
      5_000,
    );
    expect(r.reason).toContain('press-01 reported rolled-back');
    expect(r.devices).toEqual(
      [
        { deviceId: 'press-01', status: 'rolled-back', version: undefined, reason: 'smoke test failed' },
        { deviceId: 'press-02', status: 'pending' },
      ].map((d) => JSON.parse(JSON.stringify(d))),
    );
    const restored = await retainedDesired('press-01');
    expect(restored).toMatchObject({ rolloutId: `${res.body.id}-rollback`, manifest: { version: 1 } });
    expect(restored?.seq ?? -1).toBeGreaterThan(desired.seq);
    // going back below v2 needs a grant the edge can verify with the trainer's public key
    expect(() =>
      verifyRollbackGrant(
        restored!.rollbackGrant!,
        { [key.keyId]: key.publicKeyPem },
        { model: MODEL, version: 1, device: 'press-01' },
      ),
    ).not.toThrow();
    expect((await retainedDesired('press-02'))?.manifest.version).toBe(1);
    expect((await api(`/api/rollouts/${res.body.id}/rollback`, { method: 'POST' })).status).toBe(409);
  });

  it('clears the retained desired model when a device had none before, and when the canary never answers', async () => {
    const res = await api('/api/rollouts', {
      body: { model: MODEL, version: 2, canary: ['press-03'], devices: ['press-03'], watchMs: 800 },
    });
    expect(res.status).toBe(201);
    expect((await retainedDesired('press-03'))?.manifest.version).toBe(2);
    const r = await until(
      'silent canary rolled back',
      async () => ((await rolloutOf(res.body.id)).stage === 'rolled-back' ? rolloutOf(res.body.id) : undefined),
      5_000,
    );
    expect(r.reason).toContain('press-03 did not apply v2');
    expect(r.devices[0].status).toBe('reverted');
    expect(await retainedDesired('press-03')).toBeUndefined();
  });

  it('BAD INPUT - unknown version 404, unknown device 409, a second rollout over watched canaries 409', async () => {
    expect(
      (await api('/api/rollouts', { body: { model: MODEL, version: 9, canary: ['press-01'], devices: [] } })).status,
    ).toBe(404);
    const unknown = await api('/api/rollouts', {
      body: { model: MODEL, version: 1, canary: ['press-99'], devices: [] },
    });
    expect([unknown.status, unknown.body.error.message]).toEqual([409, expect.stringContaining('press-99')]);
    const a = await api('/api/rollouts', {
      body: { model: MODEL, version: 2, canary: ['press-02'], devices: [], watchMs: 60_000 },
    });
    expect(a.status).toBe(201);
    expect(
      (await api('/api/rollouts', { body: { model: MODEL, version: 2, canary: ['press-02'], devices: [] } })).status,
    ).toBe(409);
    const back = await api(`/api/rollouts/${a.body.id}/rollback`, { method: 'POST' });
    expect(back.status).toBe(200);
    expect(back.body.rollout).toMatchObject({ stage: 'rolled-back', reason: 'rolled back by an operator' });
    expect((await retainedDesired('press-02'))?.manifest.version).toBe(1);
  });
});

describe('drift', () => {
  it('raises a drift event for a device whose recent scores left the training reference', async () => {
    const now = Date.now();
    const ref = (k: number) => v1.metrics[`ref_score_p${(k + 1) * 10}`] as number;
    // one score in the middle of each of the ten reference bins, in turn: exactly the reference distribution
    const refScore = (i: number) => {
      const k = i % 10;
      return ((k === 0 ? ref(0) / 2 : ref(k - 1)) + (k === 9 ? ref(8) * 1.5 : ref(k))) / 2;
    };
    const scored = (device: string, shift: number, seed: number) =>
      featureWindows(device, now - 60_000, 100, () => 'idle', seed).map(
        (p, i) =>
          ({
            ...p,
            message: { ...p.message, score: refScore(i) + shift, model: { name: MODEL, version: 2 } },
          }) as DecodedPublish,
      );
    await store.write([...scored('press-01', 0, 5), ...scored('press-02', 50, 6)]);
    const events: string[] = [];
    const monitor = new DriftMonitor({
      store,
      registry: new ModelRegistry({ dir: config.registryDir }),
      model: MODEL,
      logger: createLogger('drift-test'),
      config: { checkEveryMs: 0, windowMs: 120_000, minSamples: 50, psiThreshold: 0.25, retrain: true },
      event: async (e) => void events.push(`${e.kind}:${e.deviceId}`),
      retrain: (d) => events.push(`retrain:${d.map((x) => x.deviceId).join(',')}`),
    });
    const out = await monitor.check(now + 1);
    expect(out.map((d) => [d.deviceId, d.drifted])).toEqual([
      ['press-01', false],
      ['press-02', true],
    ]);
    expect(events).toEqual(['drift:press-02', 'retrain:press-02']);
  });
});

describe('service', () => {
  it('/metrics counts jobs by status and rollouts by stage', async () => {
    const text = (await api('/metrics', { token: null })).body as string;
    expect(text).toContain('takt_trainer_jobs{status="succeeded"} 3');
    expect(text).toContain('takt_trainer_jobs{status="failed"} 1');
    expect(text).toContain('takt_trainer_rollouts{stage="promoted"} 1');
    expect(text).toContain('takt_trainer_rollouts{stage="rolled-back"} 3');
    expect(text).toMatch(/takt_trainer_last_training_seconds [0-9.]+/);
  });

  it('keeps job and rollout history across a restart', async () => {
    const before = [
      (await api('/api/jobs', { token: READER })).body.jobs,
      (await api('/api/rollouts', { token: READER })).body.rollouts,
    ];
    await svc.close();
    svc = await startTrainerService(trainerServiceConfigSchema.parse(config), createLogger('trainer-test'));
    const after = [
      (await api('/api/jobs', { token: READER })).body.jobs,
      (await api('/api/rollouts', { token: READER })).body.rollouts,
    ];
    expect(after).toEqual(before);
    expect(before[0]).toHaveLength(4);
  });

  it('trains the first model once enough healthy data exists and rolls it out automatically (canary first) to the devices it was trained on', async () => {
    const auto = await startTrainerService(
      trainerServiceConfigSchema.parse({
        ...config,
        registryDir: join(dir.path, 'registry-auto'),
        training: {
          model: 'press-auto',
          minWindows: 100,
          lookbackMs: 3 * 3_600_000,
          firstTrainAfterMs: 60_000,
          pollMs: 60_000,
          autoRollout: { canary: 1, watchMs: 60_000 },
        },
      }),
      createLogger('trainer-auto'),
    );
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are checked field by field
      const get = async (path: string): Promise<any> =>
        (await fetch(`${auto.url}${path}`, { headers: { authorization: `Bearer ${READER}` } })).json();
      const job = await until(
        'first job',
        async () =>
          (await get('/api/jobs')).jobs.find(
            (j: { status: string }) => j.status === 'succeeded' || j.status === 'failed',
          ),
        30_000,
      );
      expect(job).toMatchObject({ trigger: 'first', status: 'succeeded', version: 1, model: 'press-auto' });
      const r = await until('auto rollout', async () => (await get('/api/rollouts')).rollouts[0]);
      expect(r).toMatchObject({ model: 'press-auto', version: 1, stage: 'canary', canary: ['press-01'] });
      // press-03 reports state but produced no feature windows: a model it cannot feed is not sent to it
      expect(r.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual(['press-01', 'press-02']);
      expect((await retainedDesired('press-01'))?.manifest.name).toBe('press-auto');
    } finally {
      await auto.close();
    }
  });

  it('with autoRollout.approval "approve", a retrained model waits for an operator: nothing is sent until it is approved; BAD INPUT - a reader cannot approve', async () => {
    const gated = await startTrainerService(
      trainerServiceConfigSchema.parse({
        ...config,
        registryDir: join(dir.path, 'registry-approve'),
        training: {
          model: 'press-gated',
          minWindows: 100,
          lookbackMs: 3 * 3_600_000,
          firstTrainAfterMs: 60_000,
          pollMs: 60_000,
          autoRollout: { canary: 1, watchMs: 60_000, approval: 'approve' },
        },
      }),
      createLogger('trainer-approve'),
    );
    try {
      const call = async (path: string, token: string, method = 'GET') => {
        const res = await fetch(`${gated.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
        return {
          status: res.status,
          body: (await res.json()) as {
            approvals?: { model: string; version: number; canary: string[] }[];
            id?: string;
          },
        };
      };
      const pending = await until(
        'approval request',
        async () => (await call('/api/approvals', READER)).body.approvals?.[0],
        30_000,
      );
      expect(pending).toMatchObject({ model: 'press-gated', version: 1, canary: ['press-01'] });
      expect((await call('/api/rollouts', READER)).body).toMatchObject({ rollouts: [] });
      expect((await call('/api/approvals/press-gated/1/approve', READER, 'POST')).status).toBe(403);
      expect((await call('/api/approvals/press-gated/2/approve', OPERATOR, 'POST')).status).toBe(404);
      const approved = await call('/api/approvals/press-gated/1/approve', OPERATOR, 'POST');
      expect(approved.status).toBe(201);
      expect((await call('/api/approvals', READER)).body.approvals).toEqual([]);
      expect(
        await until('desired after approval', async () =>
          (await retainedDesired('press-01'))?.manifest.name === 'press-gated' ? true : undefined,
        ),
      ).toBe(true);
    } finally {
      await gated.close();
    }
  });

  it('runs as a process: `serve --config FILE` with TAKT_TRAINER_* overrides, stops cleanly on SIGTERM', async () => {
    const file = join(dir.path, 'serve.json');
    const port = await freePort();
    writeFileSync(file, JSON.stringify({ ...config, port: 1, registryDir: join(dir.path, 'registry-process') }));
    const proc = new ManagedProcess({
      name: 'takt-trainer serve',
      command: process.execPath,
      args: [
        '--conditions=@takt/source',
        '--import',
        'tsx',
        join(workspaceRoot(), 'apps/cloud-trainer/src/service/serve-main.ts'),
        '--config',
        file,
      ],
      cwd: workspaceRoot(),
      env: { ...process.env, TAKT_TRAINER_PORT: String(port), TAKT_LOG_LEVEL: 'info' },
      stopTimeoutMs: 8_000,
      ready: async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200,
    });
    await proc.start();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/models`, {
        headers: { authorization: `Bearer ${READER}` },
      });
      expect(await res.json()).toEqual({ models: [] });
    } finally {
      const t = Date.now();
      await proc.stop();
      expect(Date.now() - t).toBeLessThan(8_000); // exited on SIGTERM, not SIGKILLed
    }
    expect(proc.recentOutput()).toContain('"msg":"shutting down"');
    expect(existsSync(join(dir.path, 'registry-process', 'trainer-state.json'))).toBe(true);
  });
});

// last: it adds a failed job, which the history and metrics tests above would count
describe('jobs of every kind', () => {
  it('a job without a model trains the configured model of its kind; a CNN job with nothing labelled fails naming why', async () => {
    const res = await api('/api/jobs', { body: { kind: 'cnn-vision' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'cnn-vision', model: 'plant-vision' });
    let job: { status: string; error?: { code: string; message: string } } | undefined;
    for (let i = 0; i < 100 && job?.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await api(`/api/jobs/${res.body.id}`)).body;
    }
    expect(job?.error).toMatchObject({
      code: 'TOO_FEW_IMAGES',
      message: expect.stringContaining('0 labelled frame(s)'),
    });
  });
});
