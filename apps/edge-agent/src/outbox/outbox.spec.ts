import { afterEach, describe, expect, it } from 'vitest';
import { buildTopic, type Channel } from '@takt/contracts';
import { tempDir } from '@takt/testing';
import { DiskOutbox } from './disk-outbox.js';
import { MemoryOutbox } from './memory-outbox.js';
import type { Outbox, OutboxEntry, OutboxLimits } from './outbox.js';

/** The one suite both outboxes must pass. */
const dirs: { remove: () => void }[] = [];
const implementations: [string, (limits?: OutboxLimits) => Promise<Outbox>][] = [
  ['MemoryOutbox', (limits) => Promise.resolve(new MemoryOutbox(limits))],
  [
    'DiskOutbox',
    (limits) => {
      const dir = tempDir('takt-outbox-');
      dirs.push(dir);
      return DiskOutbox.open({ dir: dir.path, syncDelayMs: 1, ...limits });
    },
  ],
];

const draft = (channel: Channel, device = 'press-01', size = 10) => ({
  topic: buildTopic({ site: 'plant-1', line: 'line-1', device, channel }),
  deviceId: device,
  channel,
  payload: (seq: number) => Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(size) })),
});

describe.each(implementations)('%s (shared outbox suite)', (_name, make) => {
  let outbox: Outbox | undefined;
  afterEach(async () => {
    await outbox?.close();
    outbox = undefined;
    for (const d of dirs.splice(0)) d.remove();
  });

  it('issues seq per device and channel, ids in append order, payload built with the seq', async () => {
    outbox = await make();
    const a = await outbox.append(draft('telemetry'));
    const b = await outbox.append(draft('telemetry'));
    const c = await outbox.append(draft('anomaly'));
    const d = await outbox.append(draft('telemetry', 'press-02'));
    expect([a.seq, b.seq, c.seq, d.seq]).toEqual([0, 1, 0, 0]);
    expect(a.id < b.id && b.id < c.id && c.id < d.id).toBe(true);
    expect(JSON.parse(Buffer.from(b.payload).toString()).seq).toBe(1);
  });

  it('reads pending entries in order after an id, with a limit, and forgets acknowledged ones', async () => {
    outbox = await make();
    const got: OutboxEntry[] = [];
    for (let i = 0; i < 6; i++) got.push(await outbox.append(draft('features')));
    expect(outbox.pending(0, 100).map((e) => e.id)).toEqual(got.map((e) => e.id));
    expect(outbox.pending(got[1].id, 2).map((e) => e.id)).toEqual([got[2].id, got[3].id]);
    outbox.ack(got[2].id);
    outbox.ack(got[0].id);
    outbox.ack(9_999_999); // unknown: ignored
    expect(outbox.pending(0, 100).map((e) => e.seq)).toEqual([1, 3, 4, 5]);
    expect(outbox.stats().depth).toBe(4);
  });

  it('emits appended once durable and drained when the last entry is acknowledged', async () => {
    outbox = await make();
    const appended: number[] = [];
    let drained = 0;
    outbox.on('appended', (e) => appended.push(e.id));
    outbox.on('drained', () => drained++);
    const [a, b] = await Promise.all([outbox.append(draft('heartbeat')), outbox.append(draft('state'))]);
    expect(appended).toEqual([a.id, b.id]);
    outbox.ack(a.id);
    expect(drained).toBe(0);
    outbox.ack(b.id);
    expect(drained).toBe(1);
    expect(outbox.stats()).toMatchObject({ depth: 0, bytes: 0 });
  });

  it('when full sheds the oldest telemetry first, then features, never anomaly events or inspections', async () => {
    const one = Buffer.byteLength(draft('telemetry').topic) + draft('telemetry').payload(0).length;
    outbox = await make({ maxBytes: one * 6 + 10 });
    const shed: OutboxEntry[] = [];
    outbox.on('shed', (e) => shed.push(e));
    await outbox.append(draft('features'));
    await outbox.append(draft('anomaly'));
    await outbox.append(draft('telemetry'));
    await outbox.append(draft('inspection'));
    await outbox.append(draft('telemetry'));
    await outbox.append(draft('features'));
    await outbox.append(draft('anomaly')); // 7th: over the limit → oldest telemetry goes
    expect(shed.map((e) => [e.channel, e.seq])).toEqual([['telemetry', 0]]);
    await outbox.append(draft('anomaly')); // next: the other telemetry
    await outbox.append(draft('anomaly')); // then the oldest features
    expect(shed.map((e) => [e.channel, e.seq])).toEqual([
      ['telemetry', 0],
      ['telemetry', 1],
      ['features', 0],
    ]);
    const left = outbox.pending(0, 100).map((e) => e.channel);
    expect(left.filter((c) => c === 'anomaly')).toHaveLength(4);
    expect(left).toContain('inspection');
    expect(outbox.stats()).toMatchObject({ shed: 3, shedByChannel: { telemetry: 2, features: 1 } });
  });

  it('evidence is shed first when full, and within its own byte cap even when the outbox has room', async () => {
    const one = Buffer.byteLength(draft('evidence').topic) + draft('evidence').payload(0).length;
    outbox = await make({ maxBytes: one * 5 + 10, evidenceMaxBytes: one * 2 });
    const shed: OutboxEntry[] = [];
    outbox.on('shed', (e) => shed.push(e));
    await outbox.append(draft('telemetry'));
    await outbox.append(draft('evidence'));
    await outbox.append(draft('evidence'));
    expect(outbox.stats().evidenceBytes).toBe(one * 2);
    await outbox.append(draft('evidence')); // over the evidence cap, with room in the outbox: the oldest evidence goes
    expect(shed.map((e) => [e.channel, e.seq])).toEqual([['evidence', 0]]);
    await outbox.append(draft('anomaly'));
    await outbox.append(draft('inspection'));
    await outbox.append(draft('anomaly')); // outbox full: evidence is shed before telemetry
    expect(shed.map((e) => [e.channel, e.seq])).toEqual([
      ['evidence', 0],
      ['evidence', 1],
    ]);
    expect(outbox.pending(0, 100).map((e) => e.channel)).toEqual([
      'telemetry',
      'evidence',
      'anomaly',
      'inspection',
      'anomaly',
    ]);
    expect(outbox.stats()).toMatchObject({ evidenceBytes: one, shedByChannel: { evidence: 2 } });
  });

  it('an evidence entry larger than the whole evidence cap is shed itself and costs nothing else', async () => {
    outbox = await make({ maxBytes: 100_000, evidenceMaxBytes: 500 });
    const kept = await outbox.append(draft('evidence'));
    const big = await outbox.append(draft('evidence', 'press-01', 1_000));
    expect(outbox.pending(0, 10).map((e) => e.id)).toEqual([kept.id]);
    expect(big.seq).toBe(1);
    expect(outbox.stats()).toMatchObject({ depth: 1, shedByChannel: { evidence: 1 } });
  });

  it('sheds a new telemetry entry itself when only anomaly events and inspections fill the outbox', async () => {
    const one = Buffer.byteLength(draft('anomaly').topic) + draft('anomaly').payload(0).length;
    outbox = await make({ maxBytes: one * 2 });
    await outbox.append(draft('anomaly'));
    await outbox.append(draft('inspection'));
    const t = await outbox.append(draft('telemetry'));
    expect(outbox.pending(0, 10).map((e) => e.id)).not.toContain(t.id);
    expect(outbox.stats().shedByChannel).toEqual({ telemetry: 1 });
    // an anomaly event is kept even over the soft limit
    await outbox.append(draft('anomaly'));
    expect(outbox.stats().depth).toBe(3);
  });

  it('BAD CALL - anomaly events past the hard limit are refused with OUTBOX_FULL', async () => {
    const one = Buffer.byteLength(draft('anomaly').topic) + draft('anomaly').payload(0).length;
    outbox = await make({ maxBytes: one, hardMaxBytes: one * 2 });
    await outbox.append(draft('anomaly'));
    await outbox.append(draft('anomaly'));
    await expect(outbox.append(draft('anomaly'))).rejects.toMatchObject({ name: 'EdgeError', code: 'OUTBOX_FULL' });
    expect(outbox.stats().depth).toBe(2);
  });

  it('BAD CALL - a refused append spends no seq: the next accepted one follows without a gap', async () => {
    const one = Buffer.byteLength(draft('anomaly').topic) + draft('anomaly').payload(0).length;
    outbox = await make({ maxBytes: one, hardMaxBytes: one * 2 });
    const first = await outbox.append(draft('anomaly'));
    await outbox.append(draft('anomaly'));
    await expect(outbox.append(draft('anomaly'))).rejects.toMatchObject({ code: 'OUTBOX_FULL' });
    outbox.ack(first.id);
    expect((await outbox.append(draft('anomaly'))).seq).toBe(2);
  });

  it('BAD CALL - append after close is refused with OUTBOX_CLOSED', async () => {
    const o = await make();
    await o.close();
    await expect(o.append(draft('telemetry'))).rejects.toMatchObject({ code: 'OUTBOX_CLOSED' });
  });
});
