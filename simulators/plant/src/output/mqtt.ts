import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '@takt/runtime';
import { SimError } from '../errors.js';

export interface BrokerOptions {
  /** mqtt://host:port, mqtts://, ws:// */
  url: string;
  username?: string;
  password?: string;
  /** MQTT client id; default `takt-sim-<pid>` */
  clientId?: string;
  /** ms to wait for CONNACK; default 10_000 */
  connectTimeoutMs?: number;
}

// CONNACK codes that mean "who you are is not accepted": 3.1.1 §3.2.2.3 (4, 5) and 5.0 §3.2.2.2 (0x86, 0x87, 0x8C)
const AUTH_CODES = new Set([4, 5, 134, 135, 140]);

/** The broker's refusal as a `SimError`: BROKER_AUTH for refused credentials, BROKER_UNREACHABLE for no answer. */
export function brokerError(err: Error & { code?: unknown }, o: BrokerOptions): SimError {
  if (typeof err.code === 'number' && AUTH_CODES.has(err.code)) {
    return new SimError(
      'BROKER_AUTH',
      `broker ${o.url} refused the credentials of user ${JSON.stringify(o.username ?? '')}: ${err.message}`,
    );
  }
  if (typeof err.code === 'string' && ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(err.code)) {
    return new SimError('BROKER_UNREACHABLE', `cannot reach broker ${o.url}: ${err.message}`);
  }
  return new SimError('BROKER_ERROR', `broker ${o.url}: ${err.message}`);
}

/** Connects and resolves on CONNACK; refused credentials or an unreachable broker reject with a `SimError`. */
export function connectBroker(o: BrokerOptions): Promise<MqttClient> {
  const options: IClientOptions = {
    clientId: o.clientId ?? `${o.username ?? 'takt-sim'}-${process.pid}`, // bound to its broker user
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    reconnectPeriod: 0,
    queueQoSZero: false, // raw samples published while offline are lost, as from a real gateway
    clean: true,
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(o.password === undefined ? {} : { password: o.password }),
  };
  return new Promise((resolve, reject) => {
    const client = connect(o.url, options);
    const timer = setTimeout(
      () => {
        client.end(true);
        reject(
          new SimError('BROKER_UNREACHABLE', `broker ${o.url} did not answer within ${options.connectTimeout} ms`),
        );
      },
      (options.connectTimeout ?? 10_000) + 500,
    );
    client.once('connect', () => {
      clearTimeout(timer);
      client.removeAllListeners('error');
      client.options.reconnectPeriod = 2_000; // once accepted, ride out broker restarts
      resolve(client);
    });
    client.once('error', (err) => {
      clearTimeout(timer);
      client.end(true);
      reject(brokerError(err, o));
    });
    client.once('close', () => {
      if (!client.connected) {
        clearTimeout(timer);
        reject(new SimError('BROKER_UNREACHABLE', `broker ${o.url} closed the connection before CONNACK`));
      }
    });
  });
}

/**
 * Watches an accepted connection: a lost broker (killed, restarted, unreachable for a while) is
 * logged and ridden out — mqtt.js reconnects every 2 s and the run goes on — while a refusal of
 * who we are (the broker's users changed under us) is fatal and handed to `onFatal`.
 */
export function rideOutBrokerLoss(
  client: MqttClient,
  o: BrokerOptions,
  onFatal: (err: SimError) => void,
  logger?: Logger,
): void {
  let lost = false;
  client.on('error', (err) => {
    const e = brokerError(err, o);
    if (e.code === 'BROKER_AUTH') onFatal(e);
    else logger?.warn({ err: err.message }, 'broker connection error; reconnecting');
  });
  client.on('offline', () => {
    if (!lost) logger?.warn({ url: o.url }, 'broker lost; reconnecting every 2 s');
    lost = true;
  });
  client.on('connect', () => {
    if (lost) logger?.info({ url: o.url }, 'broker connected again');
    lost = false;
  });
}
