import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createLogger, freePort, waitFor } from '@takt/runtime';
import { tempDir } from '@takt/testing';
import { ingestorConfigSchema } from './config.js';
import { Ingestor } from './ingestor.js';

/**
 * A broker that accepts every connection but answers the first SUBSCRIBE with nothing — what a
 * broker that lost the request looks like from outside. Later connections get their SUBACK.
 */
class SilentFirstSubscribe {
  readonly server: Server;
  connections = 0;
  subscribes = 0;

  constructor() {
    this.server = createServer((socket) => this.#serve(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  #serve(socket: Socket): void {
    const n = ++this.connections;
    let buf = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        // fixed header: type byte, then the remaining length as a base-128 varint
        let len = 0;
        let mult = 1;
        let i = 1;
        for (; i < buf.length && i < 5; i++) {
          len += (buf[i]! & 0x7f) * mult;
          mult *= 128;
          if ((buf[i]! & 0x80) === 0) break;
        }
        if (i >= buf.length || buf.length < i + 1 + len) return;
        const type = buf[0]! >> 4;
        const body = buf.subarray(i + 1, i + 1 + len);
        buf = buf.subarray(i + 1 + len);
        if (type === 1) socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00])); // CONNACK accepted
        if (type === 12) socket.write(Buffer.from([0xd0, 0x00])); // PINGRESP
        if (type === 8) {
          this.subscribes++;
          if (n === 1) continue; // the lost SUBSCRIBE
          // SUBACK: the packet id, then QoS 1 granted for every filter (2-byte length + filter + options byte)
          const granted: number[] = [];
          for (let p = 2; p < body.length; p += 2 + body.readUInt16BE(p) + 1) granted.push(1);
          socket.write(
            Buffer.concat([Buffer.from([0x90, 2 + granted.length]), body.subarray(0, 2), Buffer.from(granted)]),
          );
        }
      }
    });
  }
}

const dir = tempDir('takt-ingest-suback-');
let ingestor: Ingestor | undefined;
const broker = new SilentFirstSubscribe();
afterAll(async () => {
  await ingestor?.stop(1_000);
  broker.server.close();
  dir.remove();
});

it('BAD BROKER - no SUBACK within subscribeTimeoutMs: the ingestor drops the connection, reconnects and subscribes again', async () => {
  const port = await broker.listen();
  const config = ingestorConfigSchema.parse({
    broker: { url: `mqtt://127.0.0.1:${port}`, clientId: 'suback-test', reconnectMs: 100, subscribeTimeoutMs: 500 },
    // influxd is not needed to subscribe: nothing is published
    influx: { url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 500 },
    buffer: { spoolDir: join(dir.path, 'spool') },
    deadLetterFile: join(dir.path, 'dead.jsonl'),
    metrics: { host: '127.0.0.1', port: 0 },
  });
  ingestor = await Ingestor.start(config, createLogger('ingest-test', { level: 'silent' }));
  const healthy = async () => (await fetch(`${ingestor!.metricsUrl}/healthz`)).status === 200;
  await waitFor('subscribed on the second connection', healthy, 10_000, 50);
  expect(broker.connections).toBe(2);
  expect(broker.subscribes).toBe(2);
  expect(ingestor.metrics.subscribeTimeouts).toBe(1);
  const text = await (await fetch(`${ingestor.metricsUrl}/metrics`)).text();
  expect(text).toContain('takt_ingest_subscribe_timeouts_total 1');
});
