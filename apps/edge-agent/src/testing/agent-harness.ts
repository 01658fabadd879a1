import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { buildTopic, type DeviceAddress, type RawSampleBatch } from '@takt/contracts';
import { createLogger } from '@takt/runtime';
import { connectClient, startMosquitto, tempDir, type MosquittoServer } from '@takt/testing';
import { EdgeAgent } from '../agent.js';
import { agentConfigSchema } from '../config.js';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';

/** An edge agent in this process on a private mosquitto (plant and upstream), with parts a test replaces. */
export interface AgentHarness {
  agent: EdgeAgent;
  broker: MosquittoServer;
  plant: MqttClient;
  /** publishes one 100 ms raw batch (1 kHz vibration, 10 Hz temperature) for `address`, contiguous in data time */
  sendRaw: (address: DeviceAddress) => void;
  close: () => Promise<void>;
}

export async function startAgentHarness(
  opts: { outbox?: Outbox; config?: Record<string, unknown> } = {},
): Promise<AgentHarness> {
  const dir = tempDir('takt-agent-harness-');
  const broker = await startMosquitto();
  const config = agentConfigSchema.parse({
    dataDir: join(dir.path, 'data'),
    source: { url: broker.url },
    deviceFilter: {},
    telemetryIntervalMs: 100,
    heartbeatIntervalMs: 60_000,
    stateIntervalMs: 60_000,
    outbox: { kind: 'memory' },
    ...opts.config,
  });
  const agent = await EdgeAgent.start(config, createLogger('edge-agent-test'), { outbox: opts.outbox });
  const plant = await connectClient(broker.url);
  let t0 = Math.floor(Date.now() / 100) * 100;
  let seq = 0;
  const sendRaw = (address: DeviceAddress) => {
    const vibration = Array.from({ length: 100 }, (_, i) => Math.sin((t0 + i) * 0.9));
    const batch: RawSampleBatch = {
      schemaVersion: 1,
      deviceId: address.device,
      ts: t0 + 100,
      seq: seq++,
      t0,
      sensors: { vibration: { rate: 1000, values: vibration }, temperature: { rate: 10, values: [40] } },
    };
    plant.publish(buildTopic({ ...address, channel: 'raw' }), JSON.stringify(batch));
    t0 += 100;
  };
  const close = async () => {
    plant.end(true);
    await agent.stop(100);
    await broker.close();
    dir.remove();
  };
  return { agent, broker, plant, sendRaw, close };
}

/** Resolves with the first entry the outbox makes readable that `match` accepts. */
export function nextAppended(outbox: Outbox, match: (e: OutboxEntry) => boolean): Promise<OutboxEntry> {
  return new Promise((resolve) => {
    const on = (e: OutboxEntry) => {
      if (!match(e)) return;
      outbox.off('appended', on);
      resolve(e);
    };
    outbox.on('appended', on);
  });
}
