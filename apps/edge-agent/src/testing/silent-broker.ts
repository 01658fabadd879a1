import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * An MQTT 3.1.1 broker that accepts connections, subscriptions and pings but never acknowledges a
 * publish (a broker whose storage hangs). Counts connections and publishes it was sent.
 */
export async function startSilentBroker(): Promise<{
  url: string;
  connections: number;
  publishes: number;
  nextConnection: (n: number) => Promise<void>;
  close: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const state = { connections: 0, publishes: 0 };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let p = nextPacket(buf); p; p = nextPacket(buf)) {
        buf = buf.subarray(p.length);
        answer(socket, p.type, p.body);
      }
    });
  });
  const answer = (socket: Socket, type: number, body: Buffer) => {
    if (type === 1) {
      state.connections++;
      socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00])); // CONNACK, accepted
      for (const w of waiters.filter((x) => state.connections >= x.n)) w.resolve();
    } else if (type === 8)
      socket.write(Buffer.from([0x90, 0x03, body[0] ?? 0, body[1] ?? 0, 0x01])); // SUBACK, QoS 1
    else if (type === 12)
      socket.write(Buffer.from([0xd0, 0x00])); // PINGRESP
    else if (type === 3) state.publishes++; // PUBLISH: never a PUBACK
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    get publishes() {
      return state.publishes;
    },
    nextConnection: (n) =>
      new Promise<void>((resolve) => (state.connections >= n ? resolve() : waiters.push({ n, resolve }))),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The first whole packet in `buf`: type, body (after the fixed header) and total length; undefined when incomplete. */
function nextPacket(buf: Buffer): { type: number; body: Buffer; length: number } | undefined {
  let len = 0;
  let mult = 1;
  let i = 1;
  for (; i < 5 && i < buf.length; i++) {
    const b = buf[i] as number;
    len += (b & 0x7f) * mult;
    mult *= 128;
    if ((b & 0x80) === 0) break;
  }
  if (i >= buf.length || i >= 5) return undefined;
  const total = i + 1 + len;
  if (buf.length < total) return undefined;
  return { type: (buf[0] as number) >> 4, body: buf.subarray(i + 1, total), length: total };
}
