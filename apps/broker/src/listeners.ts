import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { TaktBroker } from './broker.js';
import type { BrokerConfig } from './config.js';
import { coalesceWrites } from './write-coalescing.js';

/** The ports actually bound (useful when the config asked for 0). */
export interface ListenerPorts {
  mqtt: number;
  tls?: number;
  ws?: number;
}

export interface Listeners {
  ports: ListenerPorts;
  /** stops accepting connections (open ones are closed by the broker) */
  close(): Promise<void>;
}

function listen(server: Server | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const closeServer = (server: Server | HttpServer) => new Promise<void>((resolve) => server.close(() => resolve()));

function serveSocket(broker: TaktBroker, socket: Socket, open: Set<Socket>): void {
  open.add(socket);
  socket.once('close', () => open.delete(socket));
  socket.setNoDelay(true);
  coalesceWrites(socket);
  broker.metrics.socketOpened(socket);
  broker.handle(socket, socket.remoteAddress ?? 'unknown');
}

/** Starts the TCP listener and, when configured, the TLS and WebSocket ones. */
export async function startListeners(broker: TaktBroker, config: BrokerConfig): Promise<Listeners> {
  const servers: (Server | HttpServer)[] = [];
  /** every socket still open, so close() also ends the ones aedes does not know yet (before CONNECT) */
  const openSockets = new Set<Socket>();
  const tcp = createTcpServer((socket) => serveSocket(broker, socket, openSockets));
  servers.push(tcp);
  const ports: ListenerPorts = { mqtt: await listen(tcp, config.port, config.host) };
  let wss: WebSocketServer | undefined;
  try {
    if (config.tls) {
      const { cert, key, ca } = config.tls;
      const tls = createTlsServer(
        { cert: readFileSync(cert), key: readFileSync(key), ...(ca ? { ca: readFileSync(ca) } : {}) },
        (socket) => serveSocket(broker, socket, openSockets),
      );
      tls.on('tlsClientError', (err, socket) => socket.destroy(err));
      servers.push(tls);
      ports.tls = await listen(tls, config.tls.port, config.tls.host ?? config.host);
    }
    if (config.ws) {
      const http = createHttpServer((_req, res) =>
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n'),
      );
      wss = new WebSocketServer({ server: http, path: config.ws.path, maxPayload: config.maxPacketSize + 16 });
      wss.on('connection', (ws, req) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => stream.destroy());
        broker.metrics.socketOpened(req.socket);
        broker.handle(stream, req.socket.remoteAddress ?? 'unknown');
      });
      servers.push(http);
      ports.ws = await listen(http, config.ws.port, config.ws.host ?? config.host);
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  return {
    ports,
    async close() {
      wss?.close();
      const closing = Promise.all(servers.map(closeServer));
      for (const socket of openSockets) socket.destroy();
      for (const client of wss?.clients ?? []) client.terminate();
      await closing;
    },
  };
}
