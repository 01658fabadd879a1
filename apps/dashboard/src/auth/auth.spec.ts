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
    store.destroyUser('ada');
    expect(store.size).toBe(0);
    store.close();
  });
});

describe('LoginLimiter', () => {
  it('locks a key after maxFailures until the oldest failure leaves the window; success clears it', () => {
    let now = 0;
    const limiter = new LoginLimiter({ maxFailures: 3, windowMs: 10_000, now: () => now });
    const key = LoginLimiter.key('10.0.0.1', 'Ada');
    expect(LoginLimiter.key('10.0.0.1', 'ada')).toBe(key);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterMs(key)).toBe(0);
      limiter.fail(key);
      now += 1_000;
    }
    expect(limiter.retryAfterMs(key)).toBe(7_000);
    expect(limiter.retryAfterMs(LoginLimiter.key('10.0.0.2', 'ada'))).toBe(0);
    now += 7_000;
    expect(limiter.retryAfterMs(key)).toBe(0);
    limiter.fail(key);
    limiter.succeed(key);
    expect(limiter.retryAfterMs(key)).toBe(0);
  });
});

describe('roles', () => {
  it('orders viewer < engineer < admin', () => {
    expect(roleAllows('admin', 'engineer')).toBe(true);
    expect(roleAllows('engineer', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'viewer')).toBe(true);
  });
});
