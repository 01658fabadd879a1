// Test support, not a test (vitest runs *.spec.ts): the broker core on in-memory streams, and a raw
// MQTT client that speaks packets, so protocol tests open no port.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { generate, parser, type IConnectPacket, type Packet } from 'mqtt-packet';
import { createLogger, hashPassword } from '@takt/runtime';
import { tempDir } from '@takt/testing';
import { AccessPolicy, parseAcl } from './acl.js';
import { createTaktBroker, type TaktBroker } from './broker.js';
import { brokerConfigSchema } from './config.js';
import { UserDirectory } from './users.js';

/** Two connected in-memory duplex streams. */
export function duplexPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [Duplex.from({ readable: bToA, writable: aToB }), Duplex.from({ readable: aToB, writable: bToA })];
}

/** An MQTT peer that sends and receives raw packets, for protocol-level assertions. */
export class RawClient {
  readonly #queue: Packet[] = [];
  readonly #waiters: ((p: Packet) => void)[] = [];
  readonly closed: Promise<void>;
  #isClosed = false;

  constructor(readonly stream: Duplex) {
    const p = parser();
    p.on('packet', (packet: Packet) => {
      const w = this.#waiters.shift();
      if (w) w(packet);
      else this.#queue.push(packet);
    });
    stream.on('data', (chunk: Buffer) => p.parse(chunk));
    stream.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      const done = () => {
        this.#isClosed = true;
        resolve();
      };
      stream.once('close', done);
      stream.once('end', done);
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  send(packet: Packet): void {
    this.stream.write(generate(packet));
  }

  writeRaw(bytes: Buffer): void {
    this.stream.write(bytes);
  }

  /** The next packet the broker sends (rejects after `timeoutMs` or when the connection closes). */
  next(timeoutMs = 3000): Promise<Packet> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (p: Packet) => {
        clearTimeout(timer);
        resolve(p);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no packet within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /**
   * The next acknowledgement (`cmd`, e.g. puback) for `messageId`. Packets before it stay queued for
   * `next()`: the broker routes a QoS 1 message before it PUBACKs it, so a client subscribed to its
   * own topic sees its message first.
   */
  async nextAck(cmd: string, messageId: number, timeoutMs = 3000): Promise<Packet> {
    const skipped: Packet[] = [];
    try {
      for (;;) {
        const p = await this.next(timeoutMs);
        if (p.cmd === cmd && (p as { messageId?: number }).messageId === messageId) return p;
        skipped.push(p);
      }
    } finally {
      this.#queue.unshift(...skipped);
    }
  }

  /** Resolves true if nothing arrives within `ms`. */
  async silent(ms = 200): Promise<boolean> {
    return this.next(ms).then(
      () => false,
      () => true,
    );
  }

  /** Sends CONNECT and returns the CONNACK. */
  async connect(
    fields: Partial<IConnectPacket> = {},
  ): Promise<Packet & { returnCode?: number; sessionPresent?: boolean }> {
    this.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: `${fields.username ?? 'raw'}-${Math.random().toString(16).slice(2)}`,
      keepalive: 0,
      ...fields,
    }); // bound to its user (clientIds: user-prefix)
    return this.next();
  }

  end(): void {
    this.stream.destroy();
  }
}

const mqttString = (s: string | Buffer) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};

/**
 * CONNECT bytes built by hand (mqtt-packet refuses to write some invalid ones, e.g. an empty client
 * id with CleanSession=0).
 */
export function rawConnect(fields: { clientId: string; clean: boolean; username?: string; password?: string }): Buffer {
  const flags = (fields.username ? 0x80 : 0) | (fields.password ? 0x40 : 0) | (fields.clean ? 0x02 : 0);
  const body = Buffer.concat([
    mqttString('MQTT'),
    Buffer.from([4, flags, 0, 0]),
    mqttString(fields.clientId),
    ...(fields.username ? [mqttString(fields.username)] : []),
    ...(fields.password ? [mqttString(fields.password)] : []),
  ]);
  if (body.length > 127) throw new RangeError('rawConnect: body over 127 bytes');
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

export interface MemoryUser {
  username: string;
  password: string;
  role: string;
  /** `site/line/device` bindings (roles edge and device) */
  devices?: string[];
}

export const SERVICE: MemoryUser = { username: 'svc', password: 'svc-secret', role: 'service' };
export const ENGINEER: MemoryUser = { username: 'eng', password: 'eng-secret', role: 'engineer' };
export const PRESS: MemoryUser = { username: 'press-01', password: 'press-secret', role: 'device' };

/** The broker core (no listeners) with a users file in a temp dir; `open()` makes a new connection. */
export async function startMemoryBroker(
  options: { users?: MemoryUser[]; acl?: string; config?: Record<string, unknown> } = {},
) {
  const dir = tempDir('takt-broker-mem-');
  const usersFile = join(dir.path, 'users.json');
  const users = options.users ?? [SERVICE, ENGINEER, PRESS];
  const entries = await Promise.all(
    users.map(async (u) => [
      u.username,
      { passwordHash: await hashPassword(u.password), role: u.role, ...(u.devices ? { devices: u.devices } : {}) },
    ]),
  );
  writeFileSync(usersFile, JSON.stringify(Object.fromEntries(entries)));
  const config = brokerConfigSchema.parse({ usersFile, ...options.config });
  const logger = createLogger('broker-test');
  const acl =
    options.acl === undefined
      ? new AccessPolicy()
      : new AccessPolicy(parseAcl(options.acl).rules, { defaults: parseAcl(options.acl).defaults });
  const broker: TaktBroker = await createTaktBroker({
    config,
    users: new UserDirectory(usersFile, logger),
    policy: acl,
    logger,
  });
  const clients: RawClient[] = [];
  return {
    broker,
    /** a raw connection from `address` */
    open(address = '10.0.0.1'): RawClient {
      const [server, client] = duplexPair();
      broker.handle(server, address);
      const raw = new RawClient(client);
      clients.push(raw);
      return raw;
    },
    /** opens and logs in as `user`; throws unless CONNACK 0 */
    async login(user: MemoryUser, fields: Partial<IConnectPacket> = {}, address?: string): Promise<RawClient> {
      const raw = this.open(address);
      const ack = await raw.connect({ username: user.username, password: Buffer.from(user.password), ...fields });
      if (ack.cmd !== 'connack' || ack.returnCode !== 0)
        throw new Error(`login as ${user.username} refused: ${JSON.stringify(ack)}`);
      return raw;
    },
    async close(): Promise<void> {
      for (const c of clients) c.end();
      await broker.close();
      dir.remove();
    },
  };
}

export type MemoryBroker = Awaited<ReturnType<typeof startMemoryBroker>>;
