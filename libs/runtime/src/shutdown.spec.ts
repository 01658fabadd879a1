import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { GracefulShutdown } from './shutdown.js';

describe('GracefulShutdown', () => {
  it('runs hooks once, last registered first, and survives a failing hook', async () => {
    const order: string[] = [];
    const s = new GracefulShutdown(pino({ level: 'silent' }), { signals: [], exit: () => undefined });
    s.add('db', () => void order.push('db'));
    s.add('broken', () => {
      throw new Error('boom');
    });
    s.add('http', async () => void order.push('http'));
    await Promise.all([s.run(), s.run()]);
    expect(order).toEqual(['http', 'db']);
  });
  it('gives up on a hook that hangs after the timeout', async () => {
    const s = new GracefulShutdown(pino({ level: 'silent' }), { signals: [], exit: () => undefined, timeoutMs: 50 });
    s.add('hang', () => new Promise(() => undefined));
    const t0 = Date.now();
    await s.run();
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
