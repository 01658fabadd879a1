import { describe, expect, it } from 'vitest';
import { buildTopic } from '@takt/contracts';
import { createLogger } from '@takt/runtime';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import { TypedEventEmitter } from '../typed-emitter.js';
import type { LinkEvents, PublishCallback, UpstreamLink } from './link.js';
import { UpstreamPublisher } from './publisher.js';

/** A link that stays connected and refuses the publishes a test names, PUBACKing the rest. */
class RefusingLink extends TypedEventEmitter<LinkEvents> implements UpstreamLink {
  readonly connected = true;
  readonly sent: number[] = [];
  /** seq → how many more times its publish is refused */
  readonly refuse = new Map<number, number>();

  publish(_topic: string, payload: Uint8Array, _opts: { retain: boolean }, cb: PublishCallback): void {
    const seq = (JSON.parse(Buffer.from(payload).toString()) as { seq: number }).seq;
    this.sent.push(seq);
    const left = this.refuse.get(seq) ?? 0;
    if (left > 0) this.refuse.set(seq, left - 1);
    setImmediate(() => cb(left > 0 ? new Error('client refused the packet') : undefined));
  }
}

const draft = () => ({
  topic: buildTopic({ site: 'plant-1', line: 'line-1', device: 'press-01', channel: 'anomaly' }),
  deviceId: 'press-01',
  channel: 'anomaly' as const,
  payload: (seq: number) => Buffer.from(JSON.stringify({ seq })),
});

describe('UpstreamPublisher', () => {
  it(
    'BAD LINK - a publish refused without a disconnect is sent again, and the outbox drains without a reconnect',
    { timeout: 10_000 },
    async () => {
      const outbox = new MemoryOutbox();
      const link = new RefusingLink();
      link.refuse.set(1, 2);
      const publisher = new UpstreamPublisher(outbox, link, { retryMs: 5, logger: createLogger('test') });
      const drained = new Promise<void>((r) => outbox.on('drained', r));
      for (let i = 0; i < 4; i++) await outbox.append(draft());
      await drained;
      expect(outbox.stats().depth).toBe(0);
      expect(publisher.refused).toBe(2);
      expect(link.sent.filter((s) => s === 1)).toHaveLength(3);
      expect(link.sent.filter((s) => s !== 1)).toEqual([0, 2, 3]); // the others once each: no replay of what was acknowledged
    },
  );
});
