import { describe, expect, it } from 'vitest';
import { KeyedSerialQueue, SerialQueue } from './serial-queue.js';

describe('SerialQueue', () => {
  it('runs tasks one at a time in order', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = q.run(async () => {
      log.push('a start');
      await gate;
      log.push('a end');
    });
    const b = q.run(() => void log.push('b'));
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    expect(q.size).toBe(2);
    release();
    await Promise.all([a, b]);
    expect(log).toEqual(['a start', 'a end', 'b']);
    expect(q.size).toBe(0);
  });

  it('BAD TASK - a failing task rejects its own promise and the next task still runs', async () => {
    const q = new SerialQueue();
    const failed = q.run(() => Promise.reject(new Error('disk full')));
    const next = q.run(() => 42);
    await expect(failed).rejects.toThrow('disk full');
    await expect(next).resolves.toBe(42);
    await expect(q.idle()).resolves.toBeUndefined();
  });
});

describe('KeyedSerialQueue', () => {
  it('orders tasks per key, lets keys run side by side and forgets a key once it is idle', async () => {
    const q = new KeyedSerialQueue<string>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const log: string[] = [];
    const a1 = q.run('a', async () => {
      await gate;
      log.push('a1');
    });
    const a2 = q.run('a', () => void log.push('a2'));
    await q.run('b', () => void log.push('b1'));
    expect(log).toEqual(['b1']);
    release();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['b1', 'a1', 'a2']);
    await new Promise<void>((r) => setImmediate(r));
    expect(q.keys).toBe(0);
  });
});
