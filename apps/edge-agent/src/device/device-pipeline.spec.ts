import { describe, expect, it } from 'vitest';
import { decodeTelemetry, MAX_PAYLOAD_BYTES, type RawSampleBatch } from '@takt/contracts';
import { createLogger } from '@takt/runtime';
import { agentConfigSchema } from '../config.js';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import { UpstreamEmitter } from '../upstream/emitter.js';
import { DeviceModels } from './device-models.js';
import { DevicePipeline } from './device-pipeline.js';
import { splitTelemetry } from './telemetry-downsampler.js';

const T0 = 1_767_225_600_000;
/** enough that 600 intervals (~700 KiB) are well over the 256 KiB telemetry limit; 128 would pass the 512-feature limit of `features` */
const SENSORS = 40;

/** One second of 10 Hz samples of SENSORS sensors. */
function second(s: number): RawSampleBatch {
  const sensors = Object.fromEntries(
    Array.from({ length: SENSORS }, (_, k) => [
      `sensor-${k}.value`,
      { rate: 10, values: Array.from({ length: 10 }, (_, i) => Math.PI * (s + k) + i / 7) },
    ]),
  );
  return {
    schemaVersion: 1,
    deviceId: 'press-01',
    ts: T0 + (s + 1) * 1000,
    seq: s,
    t0: T0 + s * 1000,
    sensors,
  } as RawSampleBatch;
}

describe('DevicePipeline telemetry', () => {
  it('splits a batched telemetry message that would pass the size limit, losing no interval and no feature window', async () => {
    const outbox = new MemoryOutbox();
    const errors: Error[] = [];
    const config = agentConfigSchema.parse({
      dataDir: '/nonexistent-unused',
      source: { url: 'mqtt://127.0.0.1:1' },
      telemetryBatch: 600,
      window: { lengthMs: 1000, hopMs: 1000 },
    });
    const pipeline = new DevicePipeline({
      address: { site: 'plant-a', line: 'line-1', device: 'press-01' },
      models: new DeviceModels(),
      emitter: new UpstreamEmitter(outbox),
      config,
      logger: createLogger('pipeline-test'),
      onError: (e) => errors.push(e),
      onModelFailure: () => undefined,
    });
    for (let s = 0; s <= 600; s++) await pipeline.onRaw(second(s));
    expect(errors).toEqual([]);
    const entries = outbox.pending(0, 10_000);
    const telemetry = entries.filter((e) => e.channel === 'telemetry');
    expect(telemetry.length).toBeGreaterThan(1); // 600 intervals × 40 sensors do not fit one message
    for (const e of telemetry) expect(e.payload.byteLength).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES.telemetry);
    const ts = telemetry.flatMap((e) => {
      const m = decodeTelemetry(e.payload);
      return [...(m.earlier ?? []).map((r) => r.ts), m.ts];
    });
    expect(ts).toEqual(Array.from({ length: 600 }, (_, i) => T0 + (i + 1) * 1000));
    expect(entries.filter((e) => e.channel === 'features').length).toBeGreaterThanOrEqual(599);
  });

  it('splitTelemetry halves the intervals, each half a valid message; one interval cannot be split', () => {
    const p = {
      ts: 5000,
      intervalMs: 1000,
      values: { a: 5 },
      earlier: [1, 2, 3, 4].map((i) => ({ ts: i * 1000, values: { a: i } })),
    };
    expect(splitTelemetry(p)).toEqual([
      {
        ts: 3000,
        intervalMs: 1000,
        values: { a: 3 },
        earlier: [
          { ts: 1000, values: { a: 1 } },
          { ts: 2000, values: { a: 2 } },
        ],
      },
      { ts: 5000, intervalMs: 1000, values: { a: 5 }, earlier: [{ ts: 4000, values: { a: 4 } }] },
    ]);
    expect(splitTelemetry({ ts: 1000, intervalMs: 1000, values: { a: 1 } })).toBeUndefined();
  });

  it('BAD SOURCE - a source that floods faster than the box can follow: the backlog stays bounded, drops are counted and reported', async () => {
    const errors: { code?: string }[] = [];
    const config = agentConfigSchema.parse({
      dataDir: '/nonexistent-unused',
      source: { url: 'mqtt://127.0.0.1:1' },
      backlog: { rawBatches: 50 },
    });
    const pipeline = new DevicePipeline({
      address: { site: 'plant-a', line: 'line-1', device: 'press-01' },
      models: new DeviceModels(),
      emitter: new UpstreamEmitter(new MemoryOutbox()),
      config,
      logger: createLogger('pipeline-test'),
      onError: (e) => errors.push(e as { code?: string }),
      onModelFailure: () => undefined,
    });
    for (let s = 0; s < 2_000; s++) void pipeline.onRaw(second(s)); // all at once, as a flood arrives
    await pipeline.idle();
    expect(pipeline.rawDropped).toBe(1_950);
    expect(errors.map((e) => e.code)).toEqual(['INTAKE_OVERLOADED', 'INTAKE_OVERLOADED']); // the first drop, then every 1,000th
  });

  it('BAD CLOCK - after the plant clock steps back an hour, telemetry and feature windows go on at the new time', async () => {
    const outbox = new MemoryOutbox();
    const config = agentConfigSchema.parse({
      dataDir: '/nonexistent-unused',
      source: { url: 'mqtt://127.0.0.1:1' },
      window: { lengthMs: 1000, hopMs: 1000 },
    });
    const pipeline = new DevicePipeline({
      address: { site: 'plant-a', line: 'line-1', device: 'press-01' },
      models: new DeviceModels(),
      emitter: new UpstreamEmitter(outbox),
      config,
      logger: createLogger('pipeline-test'),
      onError: () => undefined,
      onModelFailure: () => undefined,
    });
    for (let s = 0; s < 5; s++) await pipeline.onRaw(second(s));
    const before = outbox.stats().depth;
    const hourBack = -3_600;
    for (let s = hourBack; s < hourBack + 5; s++) await pipeline.onRaw(second(s));
    const after = outbox.pending(0, 1_000).slice(before);
    expect(after.filter((e) => e.channel === 'telemetry').length).toBeGreaterThanOrEqual(3);
    expect(after.filter((e) => e.channel === 'features').length).toBeGreaterThanOrEqual(3);
  });
});
