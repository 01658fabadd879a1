import { describe, expect, it } from 'vitest';
import { buildTopic, ContractError, decodePublish, encode } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { checkPayload } from './payload-check.js';

const topicOf = (device: string, channel: 'telemetry' | 'features' = 'telemetry') =>
  buildTopic({ site: 'plant-a', line: 'line-1', device, channel });

/** What decodePublish says: undefined when it accepts, else its error code. */
function zodVerdict(topic: string, payload: Buffer): string | undefined {
  try {
    decodePublish(topic, payload);
    return undefined;
  } catch (err) {
    return (err as ContractError).code;
  }
}

describe('checkPayload', () => {
  const valid = encode('telemetry', sampleMessage('telemetry', 'press-01'));

  it('passes valid telemetry read from its bytes, and refuses exactly what decodePublish refuses', () => {
    const cases: [string, Buffer][] = [
      [topicOf('press-01'), valid],
      [topicOf('press-02'), valid], // another device's topic
      [topicOf('press-01'), Buffer.from(valid.toString().replace('"seq":0', '"seq":-1'))],
      [topicOf('press-01'), Buffer.from(valid.toString().replace('"values":{', '"values":{"x":"1",'))],
      [topicOf('press-01'), Buffer.from(valid.toString().slice(0, -1))],
      [topicOf('press-01'), Buffer.from(valid.toString().replace('"seq":0', '"seq":0,"seq":1'))],
      ['takt/v1/plant-a/line-1/Press-01/telemetry', valid],
      ['takt/v1/plant-a/telemetry', valid],
      [topicOf('press-01', 'features'), valid],
    ];
    for (const [topic, payload] of cases)
      expect(checkPayload(topic, payload)?.code, `${topic} ${payload.toString()}`).toBe(zodVerdict(topic, payload));
    expect(checkPayload(topicOf('press-01'), valid)).toBeUndefined();
    expect(checkPayload(topicOf('press-02'), valid)?.code).toBe('DEVICE_MISMATCH');
  });

  it('leaves topics outside takt/v1 alone', () => {
    expect(checkPayload('other/telemetry', Buffer.from('not json'))).toBeUndefined();
  });
});
