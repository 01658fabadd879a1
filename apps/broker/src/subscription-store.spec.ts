import type { Client } from 'aedes';
import { describe, expect, it } from 'vitest';
import type { StoredSubscription, SubscriptionPersistence } from './aedes-internals.js';
import { guardSubscriptionStore } from './subscription-store.js';

const client = (id: string) => ({ id }) as unknown as Client;
const subs = (...topics: string[]): StoredSubscription[] =>
  topics.map((topic) => ({ topic, qos: 1 }) as StoredSubscription);

describe('guardSubscriptionStore', () => {
  it('stores one packet once, without the refused filters, and one client at a time', async () => {
    const calls: string[][] = [];
    let release: () => void = () => undefined;
    const p: SubscriptionPersistence = {
      addSubscriptions: (_c, s) => {
        calls.push(s.map((x) => x.topic));
        return calls.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
      removeSubscriptions: async () => undefined,
    };
    guardSubscriptionStore(p, (_c, f) => !f.startsWith('denied/'));
    const packet = subs('a/#', 'denied/x', 'b/+');
    const c = client('c1');
    const first = [p.addSubscriptions(c, packet), p.addSubscriptions(c, packet), p.addSubscriptions(c, packet)];
    const second = p.addSubscriptions(c, subs('c/1'));
    await Promise.resolve();
    expect(calls).toEqual([['a/#', 'b/+']]); // the second packet waits for the first
    release();
    await Promise.all([...first, second]);
    expect(calls).toEqual([['a/#', 'b/+'], ['c/1']]);
  });

  it('reports a store that does not finish, once, and stays quiet about one that does', async () => {
    const slow: unknown[] = [];
    const p: SubscriptionPersistence = {
      addSubscriptions: (c) => (c.id === 'stuck' ? new Promise(() => undefined) : new Promise((r) => setTimeout(r, 5))),
      removeSubscriptions: async () => undefined,
    };
    guardSubscriptionStore(p, () => true, { slowMs: 50, onSlow: (...args) => slow.push(args) });
    void p.addSubscriptions(client('stuck'), subs('t/1', 't/2'));
    await p.addSubscriptions(client('fine'), subs('t/3'));
    await expect.poll(() => slow.length, { timeout: 2_000, interval: 10 }).toBeGreaterThan(0);
    expect(slow).toEqual([['stuck', ['t/1', 't/2'], 50]]);
  });

  it("a store that never finishes holds up the same client's next store for slowMs, not for good", async () => {
    let calls = 0;
    const p: SubscriptionPersistence = {
      addSubscriptions: () => (++calls === 1 ? new Promise(() => undefined) : Promise.resolve()),
      removeSubscriptions: async () => undefined,
    };
    guardSubscriptionStore(p, () => true, { slowMs: 50 });
    void p.addSubscriptions(client('again'), subs('t/1'));
    const t = Date.now();
    await p.addSubscriptions(client('again'), subs('t/1')); // the client reconnected and subscribed again
    expect(calls).toBe(2);
    expect(Date.now() - t).toBeGreaterThanOrEqual(45);
  });
});
