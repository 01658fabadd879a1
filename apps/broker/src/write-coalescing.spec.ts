import { createConnection, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from './write-coalescing.js';

/** A loopback TCP pair: the server side (coalesced) and what the client side reads. */
async function pair(): Promise<{ server: Socket; chunks: Buffer[]; ended: Promise<void>; close(): void }> {
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = createConnection({ port, host: '127.0.0.1' });
  const chunks: Buffer[] = [];
  client.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((r) => client.on('close', () => r()));
  const server = await accepted;
  coalesceWrites(server);
  return { server, chunks, ended, close: () => (client.destroy(), listener.close()) };
}

/** What mqtt-packet's writeToStream does per packet: cork, write, uncork on the next tick. */
const writeLikeMqttPacket = (s: Socket, data: string) => {
  s.cork();
  s.write(data);
  process.nextTick(() => s.uncork());
};

describe('write coalescing', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('sends the packets written in one turn in one chunk, in order', async () => {
    const p = await pair();
    cleanup = p.close;
    let syscalls = 0;
    const s = p.server as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    for (const m of ['_write', '_writev'] as const) {
      const original = s[m].bind(s);
      s[m] = (...a: unknown[]) => {
        syscalls++;
        original(...a);
      };
    }
    for (let i = 0; i < 3; i++) setImmediate(() => writeLikeMqttPacket(p.server, `packet-${i};`));
    await expect
      .poll(() => Buffer.concat(p.chunks).toString(), { timeout: 2_000, interval: 5 })
      .toBe('packet-0;packet-1;packet-2;');
    expect(syscalls).toBe(1);
  });

  it('flushes what was written before destroy()', async () => {
    const p = await pair();
    cleanup = p.close;
    writeLikeMqttPacket(p.server, 'last words');
    setImmediate(() => p.server.destroy());
    await p.ended;
    expect(Buffer.concat(p.chunks).toString()).toBe('last words');
  });
});
