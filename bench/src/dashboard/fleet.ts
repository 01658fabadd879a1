import { buildTopic, encode, type DeviceAddress } from '@takt/contracts';
import type { MqttClient } from 'mqtt';

/** `sites × lines × perLine` addresses: site-1/line-1/m-0001 … */
export function fleetAddresses(sites: number, lines: number, perLine: number): DeviceAddress[] {
  const out: DeviceAddress[] = [];
  let n = 0;
  for (let s = 1; s <= sites; s++)
    for (let l = 1; l <= lines; l++)
      for (let d = 0; d < perLine; d++)
        out.push({ site: `site-${s}`, line: `line-${l}`, device: `m-${String(++n).padStart(4, '0')}` });
  return out;
}

/** Publishes what 500 edge agents leave on the broker: a retained `state` each, plus a heartbeat, and a few open anomalies. */
export async function publishFleet(client: MqttClient, addresses: DeviceAddress[], now = Date.now()): Promise<void> {
  await Promise.all(
    addresses.map(async (a, i) => {
      const provider = i % 4 === 0 ? 'cuda' : 'cpu';
      const state = encode('state', {
        schemaVersion: 1,
        deviceId: a.device,
        ts: now,
        seq: 0,
        status: i % 17 === 0 ? 'degraded' : 'online',
        provider,
        outboxDepth: i % 9,
        shed: 0,
        models: [{ name: 'pump-anomaly', kind: 'kmeans-anomaly', version: 4, provider, since: now - 86_400_000 }],
      });
      await client.publishAsync(buildTopic({ ...a, channel: 'state' }), state, { qos: 1, retain: true });
      await client.publishAsync(
        buildTopic({ ...a, channel: 'heartbeat' }),
        encode('heartbeat', {
          schemaVersion: 1,
          deviceId: a.device,
          ts: now,
          seq: 0,
          uptimeS: 3600 + i,
          outboxDepth: i % 9,
        }),
        { qos: 1 },
      );
      if (i % 50 === 7) {
        const ev = encode('anomaly', {
          schemaVersion: 1,
          deviceId: a.device,
          ts: now,
          seq: 0,
          eventId: `evt-${i}`,
          state: 'open',
          model: { name: 'pump-anomaly', version: 4 },
          score: 3.1,
          threshold: 2.5,
          openedAt: now,
        });
        await client.publishAsync(buildTopic({ ...a, channel: 'anomaly' }), ev, { qos: 1 });
      }
    }),
  );
}
