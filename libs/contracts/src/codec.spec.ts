import { describe, expect, it } from 'vitest';
import {
  CHANNELS,
  ContractError,
  decode,
  decodeManifest,
  decodePublish,
  encode,
  isPublishOn,
  MAX_PAYLOAD_BYTES,
  MAX_TELEMETRY_EARLIER,
  SeqTracker,
  SequenceCounter,
  type Channel,
} from './index.js';
import { sampleManifest, sampleMessage } from './testing/index.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const expectCode = (fn: () => unknown, code: string, path?: (string | number)[]) => {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ContractError);
  expect((caught as ContractError).code).toBe(code);
  if (path) expect((caught as ContractError).path).toEqual(path);
};

/** A required field of each channel (besides the envelope) and a value of the wrong type for it. */
const REQUIRED: Record<Channel, [string, unknown]> = {
  raw: ['sensors', 'vibration'],
  camera: ['width', '2'],
  telemetry: ['values', [1, 2]],
  features: ['features', 3],
  anomaly: ['score', 'high'],
  inspection: ['confidence', '0.9'],
  evidence: ['reason', 7],
  state: ['outboxDepth', '0'],
  heartbeat: ['uptimeS', true],
  truth: ['fault', 7],
  label: ['label', null],
  'model/desired': ['manifest', 'latest'],
};

describe.each(CHANNELS.map((c) => [c] as const))('channel %s', (channel) => {
  const valid = () => sampleMessage(channel) as Record<string, unknown>;

  it('decodes a valid message to a typed value', () => {
    const msg = decode(channel, json(valid()));
    expect(msg.deviceId).toBe('press-01');
    expect(msg.schemaVersion).toBe(1);
  });
  it('round-trips through encode', () => {
    expect(decode(channel, encode(channel, sampleMessage(channel)))).toEqual(decode(channel, json(valid())));
  });
  it('BAD INPUT - invalid JSON → INVALID_JSON', () => {
    expectCode(() => decode(channel, Buffer.from('{"schemaVersion":1,')), 'INVALID_JSON');
  });
  it('BAD INPUT - oversized payload → TOO_LARGE, before parsing', () => {
    expectCode(() => decode(channel, Buffer.alloc(MAX_PAYLOAD_BYTES[channel] + 1, 0x20)), 'TOO_LARGE');
  });
  it('BAD INPUT - unknown schemaVersion → SCHEMA_VERSION', () => {
    expectCode(() => decode(channel, json({ ...valid(), schemaVersion: 2 })), 'SCHEMA_VERSION', ['schemaVersion']);
  });
  it.each(['deviceId', 'ts', 'seq'])('BAD INPUT - missing envelope field %s → MISSING_FIELD', (field) => {
    const m = valid();
    delete m[field];
    expectCode(() => decode(channel, json(m)), 'MISSING_FIELD', [field]);
  });
  it('BAD INPUT - missing required field → MISSING_FIELD', () => {
    const m = valid();
    delete m[REQUIRED[channel][0]];
    expectCode(() => decode(channel, json(m)), 'MISSING_FIELD', [REQUIRED[channel][0]]);
  });
  it('BAD INPUT - wrong type → WRONG_TYPE', () => {
    expectCode(() => decode(channel, json({ ...valid(), [REQUIRED[channel][0]]: REQUIRED[channel][1] })), 'WRONG_TYPE');
    expectCode(() => decode(channel, json({ ...valid(), seq: '5' })), 'WRONG_TYPE', ['seq']);
  });
  it('BAD INPUT - negative or fractional seq, seconds instead of ms → INVALID_FIELD', () => {
    expectCode(() => decode(channel, json({ ...valid(), seq: -1 })), 'INVALID_FIELD', ['seq']);
    expectCode(() => decode(channel, json({ ...valid(), seq: 1.5 })), 'INVALID_FIELD', ['seq']);
    expectCode(() => decode(channel, json({ ...valid(), ts: 1_767_225_600 })), 'INVALID_FIELD', ['ts']);
  });
  it('BAD INPUT - unknown field → UNKNOWN_FIELD', () => {
    expectCode(() => decode(channel, json({ ...valid(), extra: 1 })), 'UNKNOWN_FIELD', ['extra']);
  });
  it.each(['press+1', 'press#1', 'a/b', '..', 'press 1', 'PRESS', 'prеss'])(
    'BAD INPUT - deviceId %j → INVALID_ID',
    (id) => {
      expectCode(() => decode(channel, json({ ...valid(), deviceId: id })), 'INVALID_ID', ['deviceId']);
    },
  );
  it('BAD INPUT - not an object', () => {
    expectCode(() => decode(channel, Buffer.from('[]')), 'WRONG_TYPE');
    expectCode(() => decode(channel, Buffer.from('null')), 'WRONG_TYPE');
  });
});

describe('message-specific rules', () => {
  it('BAD INPUT - raw series with a non-finite or missing value list', () => {
    const m = sampleMessage('raw');
    expectCode(() => decode('raw', json({ ...m, sensors: { v: { rate: 10, values: [] } } })), 'INVALID_FIELD', [
      'sensors',
      'v',
      'values',
    ]);
    expectCode(() => decode('raw', json({ ...m, sensors: { v: { rate: 10, values: ['x'] } } })), 'WRONG_TYPE', [
      'sensors',
      'v',
      'values',
      0,
    ]);
    expectCode(() => decode('raw', json({ ...m, sensors: {} })), 'INVALID_FIELD');
    expectCode(() => decode('raw', json({ ...m, sensors: { 'bad name': { rate: 1, values: [1] } } })), 'INVALID_FIELD');
  });
  it('BAD INPUT - a gray8 frame whose data does not fill width×height', () => {
    const m = sampleMessage('camera');
    expectCode(() => decode('camera', json({ ...m, width: 3 })), 'INVALID_FIELD', ['data']);
    expectCode(() => decode('camera', json({ ...m, data: 'not base64!' })), 'INVALID_FIELD', ['data']);
  });
  it('BAD INPUT - confidence outside 0..1', () => {
    expectCode(() => decode('inspection', json({ ...sampleMessage('inspection'), confidence: 1.2 })), 'INVALID_FIELD', [
      'confidence',
    ]);
  });
  it('BAD INPUT - telemetry with too many values', () => {
    const values = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`s${i}`, i]));
    expectCode(() => decode('telemetry', json({ ...sampleMessage('telemetry'), values })), 'INVALID_FIELD', ['values']);
  });
  it('telemetry carries earlier intervals in time order before its latest one', () => {
    const m = {
      ...sampleMessage('telemetry'),
      earlier: [
        { ts: 1_767_225_598_000, values: { temperature: 41.2 } },
        { ts: 1_767_225_599_000, values: { temperature: 41.3, current: 12 } },
      ],
    };
    expect(decode('telemetry', json(m)).earlier).toEqual(m.earlier);
  });
  it('BAD INPUT - telemetry rows out of order, at or after ts, empty, too many, or with a bad value', () => {
    const base = sampleMessage('telemetry');
    const row = (ts: number) => ({ ts, values: { temperature: 40 } });
    expectCode(
      () => decode('telemetry', json({ ...base, earlier: [row(base.ts - 1000), row(base.ts - 2000)] })),
      'INVALID_FIELD',
      ['earlier', 0, 'ts'],
    );
    expectCode(
      () => decode('telemetry', json({ ...base, earlier: [row(base.ts - 1000), row(base.ts)] })),
      'INVALID_FIELD',
      ['earlier', 1, 'ts'],
    );
    expectCode(() => decode('telemetry', json({ ...base, earlier: [] })), 'INVALID_FIELD', ['earlier']);
    const many = Array.from({ length: MAX_TELEMETRY_EARLIER + 1 }, (_, i) =>
      row(base.ts - 1000 * (MAX_TELEMETRY_EARLIER + 1 - i)),
    );
    expectCode(() => decode('telemetry', json({ ...base, earlier: many })), 'INVALID_FIELD', ['earlier']);
    expectCode(
      () => decode('telemetry', json({ ...base, earlier: [{ ts: base.ts - 1000, values: { temperature: 'hot' } }] })),
      'WRONG_TYPE',
      ['earlier', 0, 'values', 'temperature'],
    );
    expectCode(
      () => decode('telemetry', json({ ...base, earlier: [{ ts: base.ts - 1000, values: {}, seq: 3 }] })),
      'UNKNOWN_FIELD',
      ['earlier', 0, 'seq'],
    );
  });
  it('state carries evidence counters by reason; an unknown reason or a negative count is refused', () => {
    const evidence = {
      queued: { uncertain: 3, sample: 1 },
      queuedBytes: 41_000,
      rateLimited: { uncertain: 12 },
      shed: {},
    };
    expect(decode('state', json({ ...sampleMessage('state'), evidence })).evidence).toEqual(evidence);
    expect(() =>
      decode('state', json({ ...sampleMessage('state'), evidence: { ...evidence, shed: { guess: 1 } } })),
    ).toThrow(ContractError);
    expect(() =>
      decode('state', json({ ...sampleMessage('state'), evidence: { ...evidence, queued: { sample: -1 } } })),
    ).toThrow(ContractError);
  });
  it('BAD INPUT - a desired model pointing at a non-http URL', () => {
    expectCode(
      () => decode('model/desired', json({ ...sampleMessage('model/desired'), artifactUrl: 'file:///etc/passwd' })),
      'INVALID_FIELD',
      ['artifactUrl'],
    );
  });
  it('encode refuses an invalid message and one over its limit', () => {
    expectCode(() => encode('telemetry', { ...sampleMessage('telemetry'), deviceId: 'Bad' }), 'INVALID_ID');
    const huge = {
      ...sampleMessage('raw'),
      sensors: { v: { rate: 1000, values: Array.from({ length: 65_536 }, () => Math.PI / 10) } },
    };
    expectCode(() => encode('raw', huge), 'TOO_LARGE');
  });
});

describe('decodePublish', () => {
  it('decodes topic and payload together', () => {
    const { topic, message } = decodePublish('takt/v1/s/l/press-01/telemetry', json(sampleMessage('telemetry')));
    expect(topic.channel).toBe('telemetry');
    expect(message.deviceId).toBe('press-01');
  });
  it('BAD INPUT - a message for another device → DEVICE_MISMATCH', () => {
    expectCode(
      () => decodePublish('takt/v1/s/l/press-02/telemetry', json(sampleMessage('telemetry'))),
      'DEVICE_MISMATCH',
    );
  });
  it('BAD INPUT - a wildcard topic → INVALID_ID', () => {
    expectCode(() => decodePublish('takt/v1/s/l/+/telemetry', json(sampleMessage('telemetry'))), 'INVALID_ID');
  });
  it('isPublishOn tells the channel and narrows the message to it (no cast)', () => {
    const d = decodePublish('takt/v1/s/l/press-01/state', json(sampleMessage('state')));
    expect(isPublishOn(d, 'telemetry')).toBe(false);
    if (!isPublishOn(d, 'state')) throw new Error('expected a state publish');
    const status: string = d.message.status; // type-checks only because the union is discriminated
    expect(status).toBe(sampleMessage('state').status);
    expect(d.topic.channel).toBe('state');
  });
});

describe('manifest', () => {
  it('decodes a valid manifest', () => {
    expect(decodeManifest(JSON.stringify(sampleManifest())).version).toBe(3);
  });
  it.each([
    ['bad hash', { artifact: { file: 'model.onnx', sha256: 'xyz', bytes: 1 } }, 'INVALID_FIELD'],
    ['version 0', { version: 0 }, 'INVALID_FIELD'],
    ['unknown kind', { kind: 'svm' }, 'INVALID_FIELD'],
    ['path in file name', { artifact: { file: '../model.onnx', sha256: 'a'.repeat(64), bytes: 1 } }, 'INVALID_FIELD'],
    ['wrong schemaVersion', { schemaVersion: 9 }, 'SCHEMA_VERSION'],
  ])('BAD MANIFEST - %s', (_c, patch, code) => {
    expectCode(() => decodeManifest({ ...sampleManifest(), ...patch }), code);
  });
  it('BAD MANIFEST - oversized and invalid JSON', () => {
    expectCode(() => decodeManifest(Buffer.alloc(70_000, 0x20)), 'TOO_LARGE');
    expectCode(() => decodeManifest('{'), 'INVALID_JSON');
  });
});

describe('sequences', () => {
  it('counts per device and channel', () => {
    const c = new SequenceCounter();
    expect([
      c.next('a', 'telemetry'),
      c.next('a', 'telemetry'),
      c.next('a', 'anomaly'),
      c.next('b', 'telemetry'),
    ]).toEqual([0, 1, 0, 0]);
    const restored = new SequenceCounter(c.snapshot());
    expect(restored.next('a', 'telemetry')).toBe(2);
  });
  it('takes back only the last seq issued of a stream', () => {
    const c = new SequenceCounter();
    const [s0, s1] = [c.next('a', 'anomaly'), c.next('a', 'anomaly')];
    expect(c.release('a', 'anomaly', s0)).toBe(false);
    expect(c.release('a', 'anomaly', s1)).toBe(true);
    expect(c.next('a', 'anomaly')).toBe(1);
  });
  it('reports gaps and duplicates', () => {
    const t = new SeqTracker();
    for (const s of [0, 1, 1, 2, 5, 6, 9]) t.add(s);
    expect(t.report()).toEqual({
      received: 6,
      duplicates: 1,
      gaps: [
        [3, 4],
        [7, 8],
      ],
      min: 0,
      max: 9,
    });
  });
});
