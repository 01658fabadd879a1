import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Why the broker refused something; the `reason` label of `takt_broker_rejections_total`. */
export type RejectionReason =
  | 'bad_credentials'
  | 'anonymous'
  | 'client_id'
  | 'client_id_not_bound'
  | 'retain_denied'
  | 'retained_quota'
  | 'subscription_quota'
  | 'forward_denied'
  | 'connection_cap'
  | 'rights_revoked'
  | 'publish_denied'
  | 'subscribe_denied'
  | 'invalid_payload'
  | 'invalid_payload_flood'
  | 'packet_too_large'
  | 'topic_too_deep'
  | 'protocol_error'
  | 'connect_timeout';

type Labelled = Map<string, number>;

const inc = (m: Labelled, key: string, by = 1) => m.set(key, (m.get(key) ?? 0) + by);

/** Counters the broker keeps; rendered as Prometheus text by `render()`. */
export class BrokerMetrics {
  connections = 0;
  connectionsTotal = 0;
  readonly messagesIn: Labelled = new Map();
  readonly messagesOut: Labelled = new Map();
  payloadBytesIn = 0;
  payloadBytesOut = 0;
  readonly rejections: Labelled = new Map();
  readonly invalidPayloads: Labelled = new Map();
  /** socket bytes of connections already closed; live ones are added at render time */
  closedBytesRead = 0;
  closedBytesWritten = 0;
  readonly #live = new Set<{ bytesRead: number; bytesWritten: number }>();
  readonly #started = Date.now();

  messageIn(qos: number, bytes: number): void {
    inc(this.messagesIn, String(qos));
    this.payloadBytesIn += bytes;
  }

  messageOut(qos: number, bytes: number): void {
    inc(this.messagesOut, String(qos));
    this.payloadBytesOut += bytes;
  }

  rejected(reason: RejectionReason): void {
    inc(this.rejections, reason);
  }

  invalidPayload(code: string): void {
    inc(this.invalidPayloads, code);
    this.rejected('invalid_payload');
  }

  /** Tracks a socket's byte counters from open to close. */
  socketOpened(socket: {
    bytesRead: number;
    bytesWritten: number;
    once(event: 'close', fn: () => void): unknown;
  }): void {
    this.#live.add(socket);
    socket.once('close', () => {
      this.#live.delete(socket);
      this.closedBytesRead += socket.bytesRead;
      this.closedBytesWritten += socket.bytesWritten;
    });
  }

  count(map: Labelled, key: string): number {
    return map.get(key) ?? 0;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(extra: { clients: number; retained?: number } = { clients: 0 }): string {
    let read = this.closedBytesRead;
    let written = this.closedBytesWritten;
    for (const s of this.#live) {
      read += s.bytesRead;
      written += s.bytesWritten;
    }
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      out.push(
        `# HELP ${name} ${help}`,
        `# TYPE ${name} ${type}`,
        ...samples.map(([labels, v]) => `${name}${labels} ${v}`),
      );
    };
    const labelled = (label: string, m: Labelled): [string, number][] =>
      [...m].map(([k, v]) => [`{${label}="${k}"}`, v]);
    metric('takt_broker_connections', 'gauge', 'Open client connections.', [['', this.connections]]);
    metric('takt_broker_clients', 'gauge', 'Authenticated MQTT sessions.', [['', extra.clients]]);
    metric('takt_broker_connections_total', 'counter', 'Connections accepted.', [['', this.connectionsTotal]]);
    metric(
      'takt_broker_messages_in_total',
      'counter',
      'Publishes accepted from clients, by QoS.',
      labelled('qos', this.messagesIn),
    );
    metric(
      'takt_broker_messages_out_total',
      'counter',
      'Publishes delivered to clients, by QoS.',
      labelled('qos', this.messagesOut),
    );
    metric('takt_broker_payload_bytes_in_total', 'counter', 'Payload bytes of accepted publishes.', [
      ['', this.payloadBytesIn],
    ]);
    metric('takt_broker_payload_bytes_out_total', 'counter', 'Payload bytes of delivered publishes.', [
      ['', this.payloadBytesOut],
    ]);
    metric('takt_broker_bytes_received_total', 'counter', 'Bytes read from client sockets.', [['', read]]);
    metric('takt_broker_bytes_sent_total', 'counter', 'Bytes written to client sockets.', [['', written]]);
    metric(
      'takt_broker_rejections_total',
      'counter',
      'Things refused, by reason.',
      labelled('reason', this.rejections),
    );
    metric(
      'takt_broker_invalid_payloads_total',
      'counter',
      'Publishes dropped by contract validation, by error code.',
      labelled('code', this.invalidPayloads),
    );
    metric('takt_broker_uptime_seconds', 'gauge', 'Seconds since start.', [
      ['', Math.round((Date.now() - this.#started) / 1000)],
    ]);
    return out.join('\n') + '\n';
  }
}

/** `/metrics` and `/healthz` on their own HTTP port. */
export async function serveMetrics(options: {
  host: string;
  port: number;
  render: () => string;
  healthy: () => { ok: boolean; detail: object };
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(options.render());
    } else if (path === '/healthz') {
      const h = options.healthy();
      res
        .writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: h.ok ? 'ok' : 'unavailable', ...h.detail }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
