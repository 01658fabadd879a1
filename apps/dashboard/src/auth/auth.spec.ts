import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limiter.js';
import { SessionStore } from './session-store.js';
import { roleAllows } from './roles.js';

describe('SessionStore', () => {
  it('expires a session after idleMs without use, and after maxAgeMs however busy', () => {
    let now = 1_000_000;
    const store = new SessionStore({ idleMs: 1_000, maxAgeMs: 5_000, now: () => now });
    const a = store.create('ada', 'admin');
    now += 900;
    expect(store.get(a.id)?.username).toBe('ada'); // touched
    now += 900;
    expect(store.get(a.id)).toBeDefined();
    now += 1_001;
    expect(store.get(a.id)).toBeUndefined(); // idle
    const b = store.create('emil', 'engineer');
    for (let i = 0; i < 6; i++) {
      now += 900;
      store.get(b.id);
    }
    expect(store.get(b.id)).toBeUndefined(); // absolute age
    store.close();
  });

  it('issues unguessable ids and a distinct CSRF token per session', () => {
    const store = new SessionStore({ idleMs: 1_000, maxAgeMs: 5_000 });
    const a = store.create('ada', 'admin');
    const b = store.create('ada', 'admin');
    expect(a.id).not.toBe(b.id);
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(Buffer.from(a.id, 'base64url').length).toBe(32);
    const ended: string[] = [];
    store.on('ended', (s, why) => ended.push(`${s.id}:${why}`));
    store.destroyUser('ada');
    expect(store.size).toBe(0);
    expect(ended.sort()).toEqual([`${a.id}:user-changed`, `${b.id}:user-changed`].sort());
    store.close();
  });
});

describe('LoginLimiter', () => {
  const limits = { maxFailures: 3, maxFailuresPerUser: 5, maxFailuresPerAddress: 4, windowMs: 10_000 };

  it('locks an address + user after maxFailures until the oldest failure leaves the window; success clears it', () => {
    let now = 0;
    const limiter = new LoginLimiter({ ...limits, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterMs('10.0.0.1', 'ada')).toBe(0);
      limiter.fail('10.0.0.1', i % 2 ? 'Ada' : 'ada');
      now += 1_000;
    }
    expect(limiter.retryAfterMs('10.0.0.1', 'ADA')).toBe(7_000);
    expect(limiter.retryAfterMs('10.0.0.2', 'ada')).toBe(0);
    now += 7_000;
    expect(limiter.retryAfterMs('10.0.0.1', 'ada')).toBe(0);
    limiter.fail('10.0.0.1', 'ada');
    limiter.succeed('10.0.0.1', 'ada');
    expect(limiter.retryAfterMs('10.0.0.1', 'ada')).toBe(0);
  });

  it('locks a user tried from many addresses after maxFailuresPerUser, and an address trying many users after maxFailuresPerAddress', () => {
    let now = 0;
    const limiter = new LoginLimiter({ ...limits, now: () => now });
    for (let i = 0; i < 5; i++) limiter.fail(`10.0.1.${i}`, 'ada');
    expect(limiter.retryAfterMs('10.0.9.9', 'ada')).toBe(10_000); // a fresh address, the same user
    expect(limiter.retryAfterMs('10.0.9.9', 'emil')).toBe(0);
    for (const user of ['u1', 'u2', 'u3', 'u4']) limiter.fail('10.0.2.1', user);
    expect(limiter.retryAfterMs('10.0.2.1', 'u5')).toBe(10_000); // the same address, a fresh user
    limiter.succeed('10.0.2.1', 'u1'); // signing in to one's own account does not reset the address
    expect(limiter.retryAfterMs('10.0.2.1', 'u5')).toBe(10_000);
    now += 10_001;
    expect(limiter.retryAfterMs('10.0.2.1', 'u5')).toBe(0);
    expect(limiter.retryAfterMs('10.0.9.9', 'ada')).toBe(0);
  });
});

describe('roles', () => {
  it('orders viewer < engineer < admin', () => {
    expect(roleAllows('admin', 'engineer')).toBe(true);
    expect(roleAllows('engineer', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'viewer')).toBe(true);
  });
});
