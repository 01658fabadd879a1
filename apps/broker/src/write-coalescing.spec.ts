import { createConnection, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from './write-coalescing.js';

/** A loopback TCP pair: the server side (coalesced) and what the client side reads. */
async function pair(): Promise<{
  server: Socket;
  client: Socket;
  chunks: Buffer[];
  ended: Promise<void>;
  close(): void;
}> {
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
  return { server, client, chunks, ended, close: () => (client.destroy(), listener.close()) };
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

  it('keeps backpressure: false once the peer stops reading, then drain, and every byte in order', async () => {
    const p = await pair();
    cleanup = p.close;
    p.client.pause(); // the peer reads nothing: the kernel's buffers fill, then the socket's own
    const piece = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    let accepted = true;
    while (accepted && written < 256 * 1024 * 1024) {
      accepted = p.server.write(piece);
      written += piece.length;
    }
    expect(accepted).toBe(false);
    const drained = new Promise<void>((r) => p.server.once('drain', () => r()));
    p.client.resume();
    await drained;
    p.server.write('end');
    await expect
      .poll(() => p.chunks.reduce((n, c) => n + c.length, 0), { timeout: 10_000, interval: 20 })
      .toBe(written + 3);
    expect(Buffer.concat(p.chunks).subarray(-3).toString()).toBe('end');
  });
});
