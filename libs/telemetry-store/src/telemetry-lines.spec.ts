import { describe, expect, it } from 'vitest';
import { buildTopic, decodePublish, encode } from '@takt/contracts';
import { mutate, randomTelemetryText, rng, sampleMessage } from '@takt/contracts/testing';
import { toPoints } from './line-protocol.js';
import { printsAsWritten, TelemetryLineEncoder } from './telemetry-lines.js';

const DEVICE = 'press-01';
const TOPIC = buildTopic({ site: 'plant-a', line: 'line-1', device: DEVICE, channel: 'telemetry' });
const TS = 1_767_225_600_000;

/** The general path's points, or undefined where it throws (the message is dead-lettered there). */
function general(topic: string, payload: Buffer): string[] | undefined {
  try {
    return toPoints(decodePublish(topic, payload));
  } catch {
    return undefined;
  }
}

describe('TelemetryLineEncoder', () => {
  it('writes what toPoints(decodePublish()) writes for a telemetry message with earlier rows', () => {
    const m = sampleMessage('telemetry', DEVICE);
    const payload = encode('telemetry', {
      ...m,
      intervalMs: 1000,
      earlier: [{ ts: m.ts - 1000, values: { a: 0.000001, b: -0.5 } }],
    });
    const lines = new TelemetryLineEncoder().encode(TOPIC, payload);
    expect(lines).toEqual(general(TOPIC, payload));
    expect(lines?.[0]).toBe(
      `telemetry,device=${DEVICE},line=line-1,site=plant-a a=0.000001,b=-0.5,seq=0i,interval_ms=1000i ${m.ts - 1000}`,
    );
  });

  it('writes numbers that print longer than written (1e20) for the most sensors, in a payload near the size limit', () => {
    const m = sampleMessage('telemetry', DEVICE);
    const values = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`s${i}`, 1e20]));
    const text = JSON.stringify({
      ...m,
      values,
      earlier: Array.from({ length: 150 }, (_, i) => ({ ts: m.ts - 600 + i, values })), // about 220 KB: under the limit
    }).replaceAll('100000000000000000000', '1e20');
    const payload = Buffer.from(text);
    const lines = new TelemetryLineEncoder().encode(TOPIC, payload);
    expect(lines).toHaveLength(151);
    expect(lines).toEqual(general(TOPIC, payload));
  });

  it('BAD PAYLOAD - leaves other channels, reserved names and invalid payloads to the general path', () => {
    const enc = new TelemetryLineEncoder();
    const m = sampleMessage('telemetry', DEVICE);
    const features = buildTopic({ site: 'plant-a', line: 'line-1', device: DEVICE, channel: 'features' });
    expect(enc.encode(features, encode('telemetry', m))).toBeUndefined();
    expect(enc.encode(TOPIC, encode('telemetry', { ...m, values: { seq: 1 } }))).toBeUndefined();
    expect(enc.encode(TOPIC, Buffer.from('{"schemaVersion":1}'))).toBeUndefined();
    expect(enc.encode('takt/v1/plant-a/line-1/press-02/telemetry', encode('telemetry', m))).toBeUndefined();
  });

  it('agrees with the general path on 20,000 random and mutated payloads (seeded)', () => {
    const pick = rng(2019);
    const enc = new TelemetryLineEncoder();
    let fast = 0;
    for (let n = 0; n < 10_000; n++) {
      const text = randomTelemetryText(pick, DEVICE, TS);
      for (const candidate of [text, mutate(text, pick)]) {
        const payload = Buffer.from(candidate);
        const lines = enc.encode(TOPIC, payload);
        if (lines === undefined) continue;
        fast++;
        expect(lines, candidate).toEqual(general(TOPIC, payload));
      }
    }
    expect(fast).toBeGreaterThan(4_000); // the rest: mutated into invalid, or an all-digit or reserved sensor name
  });

  it('copies a number literal only where JavaScript prints the parsed number the same way', () => {
    const pick = rng(7);
    const forms = (v: number) => [
      String(v),
      v.toFixed(Math.floor(pick() * 8)),
      v.toPrecision(1 + Math.floor(pick() * 17)),
    ];
    let copied = 0;
    for (let n = 0; n < 20_000; n++) {
      const v = (pick() - 0.5) * 10 ** Math.floor(pick() * 30 - 10);
      for (const lit of [...forms(v), ...forms(Math.round(v)), '-0', '0', '0.0', '-0.0', '1.50', '0.0000001']) {
        if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(lit)) continue;
        const b = Buffer.from(lit);
        if (printsAsWritten(b, 0, b.length)) {
          copied++;
          expect(String(Number(lit)), lit).toBe(lit);
        }
      }
    }
    expect(copied).toBeGreaterThan(10_000);
  });
});
