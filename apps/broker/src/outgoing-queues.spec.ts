import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { indexOutgoingQueues, type OutgoingPacket, type OutgoingPersistence } from './outgoing-queues.js';

/** aedes' own in-memory persistence (the one aedes 1.2 creates), as the reference. */
const requireFromAedes = createRequire(import.meta.resolve('aedes'));
const MemoryPersistence = requireFromAedes('aedes-persistence/asyncPersistence.js') as new () => OutgoingPersistence;

async function read(stream: Readable): Promise<OutgoingPacket[]> {
  const out: OutgoingPacket[] = [];
  for await (const p of stream) out.push(p as OutgoingPacket);
  return out;
}

const view = (p: OutgoingPacket | undefined) =>
  p && { cmd: p.cmd, topic: p.topic, messageId: p.messageId, brokerId: p.brokerId, brokerCounter: p.brokerCounter };

/** Seeded PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function indexed(): OutgoingPersistence {
  const p = new MemoryPersistence();
  indexOutgoingQueues(p);
  return p;
}

describe('indexed outgoing queues', () => {
  it('behave like aedes-persistence on random enqueue / send / PUBACK / PUBREC / reconnect sequences', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(seed);
      const ref = new MemoryPersistence();
      const ours = indexed();
      const clients = ['ingest-a', 'ingest-b'];
      let counter = 0;
      let nextId = 1;
      /** what each client has been sent and not yet acknowledged: messageId → qos */
      const inFlight = new Map<string, Map<number, number>>(clients.map((c) => [c, new Map()]));
      const unsent = new Map<string, OutgoingPacket[]>(clients.map((c) => [c, []]));
      for (let step = 0; step < 400; step++) {
        const c = clients[Math.floor(rnd() * clients.length)] as string;
        const client = { id: c };
        const r = rnd();
        if (r < 0.35) {
          // a message routed to both clients' persistent subscriptions
          const packet = {
            cmd: 'publish',
            topic: `takt/v1/s/l/d${step}/telemetry`,
            payload: Buffer.from('x'),
            qos: rnd() < 0.8 ? 1 : 2,
            brokerId: 'broker-1',
            brokerCounter: ++counter,
          };
          await Promise.all([
            ref.outgoingEnqueueCombi(
              clients.map((clientId) => ({ clientId })),
              packet,
            ),
            ours.outgoingEnqueueCombi(
              clients.map((clientId) => ({ clientId })),
              packet,
            ),
          ]);
          for (const x of clients) unsent.get(x)?.push(packet);
        } else if (r < 0.65) {
          // aedes sends the oldest unsent message and records its packet identifier
          const packet = unsent.get(c)?.shift();
          if (!packet) continue;
          const sent = { ...packet, messageId: nextId++ };
          await ref.outgoingUpdate(client, sent);
          await ours.outgoingUpdate(client, sent);
          inFlight.get(c)?.set(sent.messageId, sent.qos ?? 1);
        } else if (r < 0.9) {
          // PUBACK (or PUBCOMP) of a random in-flight message, or of one never sent
          const ids = [...(inFlight.get(c)?.keys() ?? [])];
          const messageId =
            rnd() < 0.9 && ids.length > 0 ? (ids[Math.floor(rnd() * ids.length)] as number) : 60_000 + step;
          const [a, b] = [
            await ref.outgoingClearMessageId(client, { messageId }),
            await ours.outgoingClearMessageId(client, { messageId }),
          ];
          expect(view(b)).toEqual(view(a));
          inFlight.get(c)?.delete(messageId);
        } else {
          // PUBREC of an in-flight QoS 2 message: its PUBREL takes the PUBLISH's place. One PUBREL
          // outstanding at a time: with two, aedes-persistence updates the first PUBREL (see below)
          const qos2 = [...(inFlight.get(c) ?? [])].filter(([, q]) => q === 2).map(([id]) => id);
          if (qos2.length === 0 || [...(inFlight.get(c)?.values() ?? [])].includes(3)) continue;
          const pubrel = { cmd: 'pubrel', messageId: qos2[Math.floor(rnd() * qos2.length)] as number };
          await ref.outgoingUpdate(client, pubrel);
          await ours.outgoingUpdate(client, pubrel);
          inFlight.get(c)?.set(pubrel.messageId, 3); // no second PUBREC for it
        }
        if (step % 50 === 0)
          for (const x of clients)
            expect((await read(ours.outgoingStream({ id: x }))).map(view)).toEqual(
              (await read(ref.outgoingStream({ id: x }))).map(view),
            );
      }
      for (const x of clients)
        expect((await read(ours.outgoingStream({ id: x }))).map(view)).toEqual(
          (await read(ref.outgoingStream({ id: x }))).map(view),
        );
    }
  });

  it('a PUBREL replaces its own PUBLISH even while another PUBREL is outstanding', async () => {
    const ours = indexed();
    const client = { id: 'c' };
    for (const [i, id] of [
      [1, 101],
      [2, 102],
    ] as const) {
      await ours.outgoingEnqueue(
        { clientId: 'c' },
        { cmd: 'publish', topic: `t${i}`, qos: 2, brokerId: 'b', brokerCounter: i },
      );
      await ours.outgoingUpdate(client, { messageId: id, brokerId: 'b', brokerCounter: i });
    }
    await ours.outgoingUpdate(client, { cmd: 'pubrel', messageId: 101 });
    await ours.outgoingUpdate(client, { cmd: 'pubrel', messageId: 102 });
    // aedes-persistence 11 gives [pubrel 102, publish 102]: the second PUBREL matched the first by its missing broker id
    expect((await read(ours.outgoingStream(client))).map((p) => `${p.cmd} ${p.messageId}`)).toEqual([
      'pubrel 101',
      'pubrel 102',
    ]);
    expect(view(await ours.outgoingClearMessageId(client, { messageId: 102 }))).toMatchObject({
      cmd: 'pubrel',
      messageId: 102,
    });
  });

  it('BAD CALL - updating a packet that is not queued throws as aedes-persistence does', async () => {
    const ours = indexed();
    await expect(
      ours.outgoingUpdate({ id: 'nobody' }, { messageId: 1, brokerId: 'b', brokerCounter: 1 }),
    ).rejects.toThrow('no such packet');
    await ours.outgoingEnqueue(
      { clientId: 'c' },
      { cmd: 'publish', topic: 't', qos: 1, brokerId: 'b', brokerCounter: 1 },
    );
    await expect(ours.outgoingUpdate({ id: 'c' }, { messageId: 9, brokerId: 'b', brokerCounter: 2 })).rejects.toThrow(
      'no such packet',
    );
    expect(await ours.outgoingClearMessageId({ id: 'c' }, { messageId: 9 })).toBeUndefined();
  });

  it('costs the same per PUBACK with 20,000 messages in flight as with 20 (no queue scans)', async () => {
    const time = async (n: number) => {
      const ours = indexed();
      const client = { id: 'ingest' };
      for (let i = 1; i <= n; i++) {
        await ours.outgoingEnqueue(
          { clientId: 'ingest' },
          { cmd: 'publish', topic: 't', qos: 1, brokerId: 'b', brokerCounter: i },
        );
        await ours.outgoingUpdate(client, { messageId: i, brokerId: 'b', brokerCounter: i });
      }
      const t0 = performance.now();
      for (let i = n; i >= 1; i--) await ours.outgoingClearMessageId(client, { messageId: i }); // newest first: the worst case for a scan
      return (performance.now() - t0) / n;
    };
    await time(2_000); // warm up
    const small = await time(20);
    const large = await time(20_000);
    expect(large).toBeLessThan(Math.max(small, 0.002) * 20);
  });
});
