import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from './config.js';
import { LoginThrottle } from './login-throttle.js';
import { fixedHeaderBytes } from './packet-limit.js';
import { InvalidPayloadGuard } from './payload-check.js';

describe('config', () => {
  it('applies defaults and TAKT_BROKER_* overrides', () => {
    const c = loadBrokerConfig(undefined, {
      TAKT_BROKER_USERS_FILE: '/u.json',
      TAKT_BROKER_PORT: '1999',
      TAKT_BROKER_PERSISTENCE__REDIS: 'redis://h:1',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 1999,
      usersFile: '/u.json',
      allowAnonymous: false,
      persistence: { redis: 'redis://h:1' },
    });
  });
  it('BAD INPUT - no users file and no anonymous access is a ConfigError naming usersFile', () => {
    expect(() => loadBrokerConfig(undefined, {})).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', key: 'usersFile' }),
    );
  });
  it('BAD INPUT - an unknown key or a bad value names the key', () => {
    expect(() => loadBrokerConfig(undefined, { TAKT_BROKER_USERS_FILE: 'u', TAKT_BROKER_PROT: '1' })).toThrow(
      expect.objectContaining({ key: 'prot' }),
    );
    expect(() =>
      loadBrokerConfig(undefined, { TAKT_BROKER_USERS_FILE: 'u', TAKT_BROKER_MAX_TOPIC_LEVELS: '500' }),
    ).toThrow(expect.objectContaining({ key: 'maxTopicLevels' }));
  });
});

describe('login throttle', () => {
  it('grows the delay per failure up to the ceiling and forgets after a while', () => {
    let now = 0;
    const t = new LoginThrottle({ stepMs: 100, maxDelayMs: 250, forgetAfterMs: 1000, now: () => now });
    expect(t.delayFor('a')).toBe(0);
    t.failed('a');
    expect(t.delayFor('a')).toBe(0);
    t.failed('a');
    expect(t.delayFor('a')).toBe(100);
    t.failed('a');
    t.failed('a');
    expect(t.delayFor('a')).toBe(250);
    expect(t.delayFor('b')).toBe(0);
    now = 1500;
    expect(t.delayFor('a')).toBe(0);
  });
});

describe('invalid payload guard', () => {
  it('trips after maxInvalid within the window, and resets with a new window', () => {
    let now = 0;
    const g = new InvalidPayloadGuard({ maxInvalid: 2, windowMs: 100, now: () => now });
    expect([g.record(), g.record(), g.record()]).toEqual([false, false, true]);
    now = 200;
    expect(g.record()).toBe(false);
  });
});

describe('fixed header size', () => {
  it.each([
    [0, 2],
    [127, 2],
    [128, 3],
    [16_383, 3],
    [16_384, 4],
    [2_097_152, 5],
  ])('remaining length %i takes a %i-byte header', (len, bytes) => expect(fixedHeaderBytes(len)).toBe(bytes));
});
