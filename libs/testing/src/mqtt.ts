import { connect, type IClientOptions, type MqttClient } from 'mqtt';

/** A client id bound to `username` (takt-broker's default `clientIds: user-prefix`): `<user>-<random>`. */
export const boundClientId = (username: string) => `${username}-${Math.random().toString(16).slice(2, 10)}`;

/** Connects an mqtt.js client and resolves on CONNACK (rejects on the first error). */
export function connectClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const clientId = options.clientId ?? (options.username ? boundClientId(options.username) : undefined);
    const client = connect(url, {
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
      ...(clientId ? { clientId } : {}),
    });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** Collects messages a client receives on `filter` until `count` arrived (or times out). */
export function collectMessages(
  client: MqttClient,
  filter: string,
  count: number,
  timeoutMs = 10_000,
): Promise<{ topic: string; payload: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const got: { topic: string; payload: Buffer }[] = [];
    const timer = setTimeout(() => reject(new Error(`got ${got.length}/${count} messages on ${filter}`)), timeoutMs);
    client.on('message', (topic, payload) => {
      got.push({ topic, payload });
      if (got.length >= count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
    client.subscribe(filter, { qos: 1 });
  });
}
