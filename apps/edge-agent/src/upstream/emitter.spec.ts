import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import { UpstreamEmitter, type BeaconLink } from './emitter.js';

const address = { site: 'plant-1', line: 'line-1', device: 'press-01' };
const body = { uptimeS: 12, outboxDepth: 0 };

/** A link that is up or down as the test says and keeps what it published. */
class SwitchLink implements BeaconLink {
  up = true;
  readonly published: { topic: string; seq: number }[] = [];
  publishNow(topic: string, payload: Uint8Array): boolean {
    if (!this.up) return false;
    this.published.push({ topic, seq: (JSON.parse(Buffer.from(payload).toString()) as { seq: number }).seq });
    return true;
  }
}

describe('UpstreamEmitter beacons (heartbeats)', () => {
  it('publishes a heartbeat now, outside the outbox; none is queued while the link is down, and none spends a seq', () => {
    const outbox = new MemoryOutbox();
    const link = new SwitchLink();
    const emitter = new UpstreamEmitter(outbox, link);
    expect(emitter.beacon(address, 'heartbeat', body)).toBe(true);
    link.up = false;
    expect(emitter.beacon(address, 'heartbeat', body)).toBe(false);
    link.up = true;
    expect(emitter.beacon(address, 'heartbeat', body)).toBe(true);
    expect(link.published.map((p) => p.seq)).toEqual([0, 1]);
    expect(link.published[0]?.topic).toBe('takt/v1/plant-1/line-1/press-01/heartbeat');
    expect(emitter.beaconsSkipped).toBe(1);
    expect(outbox.stats().depth).toBe(0);
  });

  it('BAD INPUT - a heartbeat that breaks the contract is refused before anything is sent', () => {
    const link = new SwitchLink();
    const emitter = new UpstreamEmitter(new MemoryOutbox(), link);
    expect(() => emitter.beacon(address, 'heartbeat', { uptimeS: -1, outboxDepth: 0 })).toThrow();
    expect(link.published).toEqual([]);
  });
});
