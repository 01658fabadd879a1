import { describe, expect, it } from 'vitest';
import { assertId, buildTopic, ContractError, parseTopic, topicFilter, topicMatches } from './index.js';

const BAD_IDS: [string, string][] = [
  ['plus wildcard', 'press+1'],
  ['hash wildcard', 'press#1'],
  ['slash', 'press/1'],
  ['dot-dot', '..'],
  ['space', 'press 1'],
  ['upper case', 'Press-1'],
  ['non-ASCII', 'presse-é'],
  ['leading dash', '-press'],
  ['empty', ''],
  ['64 chars', 'a'.repeat(64)],
];

describe('ids', () => {
  it('accepts lower-case ids up to 63 chars', () => {
    expect(() => assertId('a')).not.toThrow();
    expect(() => assertId('line-2')).not.toThrow();
    expect(() => assertId('a'.repeat(63))).not.toThrow();
  });
  it.each(BAD_IDS)('BAD ID - %s is rejected with INVALID_ID', (_case, id) => {
    expect(() => assertId(id, 'device')).toThrow(expect.objectContaining({ code: 'INVALID_ID', path: ['device'] }));
  });
});

describe('topics', () => {
  it('builds and parses takt/v1/{site}/{line}/{device}/{channel}', () => {
    const t = buildTopic({ site: 'plant-a', line: 'l1', device: 'press-01', channel: 'telemetry' });
    expect(t).toBe('takt/v1/plant-a/l1/press-01/telemetry');
    expect(parseTopic(t)).toEqual({ site: 'plant-a', line: 'l1', device: 'press-01', channel: 'telemetry' });
  });
  it('handles the two-level model/desired channel', () => {
    const t = buildTopic({ site: 's', line: 'l', device: 'd', channel: 'model/desired' });
    expect(t).toBe('takt/v1/s/l/d/model/desired');
    expect(parseTopic(t).channel).toBe('model/desired');
  });
  it.each(BAD_IDS)('BAD ID - builder refuses a device id with %s', (_case, id) => {
    expect(() => buildTopic({ site: 's', line: 'l', device: id, channel: 'raw' })).toThrow(ContractError);
  });
  it.each(BAD_IDS.filter(([c]) => c !== 'slash' && c !== 'empty'))(
    'BAD ID - parser refuses a topic whose device has %s',
    (_c, id) => {
      expect(() => parseTopic(`takt/v1/s/l/${id}/raw`)).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
    },
  );
  it.each([
    ['wrong root', 'other/v1/s/l/d/raw', 'INVALID_TOPIC'],
    ['wrong version', 'takt/v2/s/l/d/raw', 'INVALID_TOPIC'],
    ['too short', 'takt/v1/s/l/d', 'INVALID_TOPIC'],
    ['unknown channel', 'takt/v1/s/l/d/secrets', 'UNKNOWN_CHANNEL'],
    ['extra level', 'takt/v1/s/l/d/raw/x', 'UNKNOWN_CHANNEL'],
    ['empty level', 'takt/v1/s//d/raw', 'INVALID_ID'],
  ])('BAD TOPIC - %s', (_c, topic, code) => {
    expect(() => parseTopic(topic)).toThrow(expect.objectContaining({ code }));
  });
  it('refuses an unknown channel when building', () => {
    expect(() => buildTopic({ site: 's', line: 'l', device: 'd', channel: 'nope' as 'raw' })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_CHANNEL' }),
    );
  });
  it('builds filters with + for omitted levels and validates given ids', () => {
    expect(topicFilter({ channel: 'telemetry' })).toBe('takt/v1/+/+/+/telemetry');
    expect(topicFilter({ site: 's', device: 'd' })).toBe('takt/v1/s/+/d/#');
    expect(() => topicFilter({ device: '#' })).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
  });
  it('matches filters as MQTT does', () => {
    expect(topicMatches('takt/v1/+/+/+/telemetry', 'takt/v1/s/l/d/telemetry')).toBe(true);
    expect(topicMatches('takt/v1/+/+/+/telemetry', 'takt/v1/s/l/d/raw')).toBe(false);
    expect(topicMatches('takt/v1/s/#', 'takt/v1/s/l/d/model/desired')).toBe(true);
    expect(topicMatches('takt/v1/+/+/d/model/desired', 'takt/v1/s/l/d/model/desired')).toBe(true);
    expect(topicMatches('takt/v1/+', 'takt/v1/s/l')).toBe(false);
  });
});
