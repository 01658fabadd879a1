import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe('UpstreamEmitter clock timestamps', () => {
  afterEach(() => vi.useRealTimers());

  it('stamps messages without a ts of their own at least 1 ms apart per device and channel, so InfluxDB keeps each one (same series and time overwrite)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_796_000_000_000); // the clock stands still: every message in the same millisecond
    const outbox = new MemoryOutbox();
    const emitter = new UpstreamEmitter(outbox);
    const state = { status: 'online' as const, models: [], outboxDepth: 0, shed: 0 };
    const other = { ...address, device: 'press-02' };
    const sent = [
      await emitter.emit(address, 'state', state),
      await emitter.emit(address, 'state', state),
      await emitter.emit(address, 'state', state),
      await emitter.emit(other, 'state', state),
    ];
    const ts = sent.map((e) => (JSON.parse(Buffer.from(e.payload).toString()) as { ts: number }).ts);
    expect(ts).toEqual([1_796_000_000_000, 1_796_000_000_001, 1_796_000_000_002, 1_796_000_000_000]); // another device's series is its own
    // a message that brings its own (data) time keeps it
    const given = await emitter.emit(address, 'state', { ...state, ts: 1_767_225_600_000 });
    expect((JSON.parse(Buffer.from(given.payload).toString()) as { ts: number }).ts).toBe(1_767_225_600_000);
  });
});
