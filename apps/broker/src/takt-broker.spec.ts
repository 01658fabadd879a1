import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildTopic, encode } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { collectMessages, connectClient, startTestBroker, type TestBroker } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const device = { username: 'press-01', password: 'press-secret', role: 'device' as const };
const heartbeatTopic = buildTopic({ site: 'plant-a', line: 'line-1', device: 'press-01', channel: 'heartbeat' });

describe('takt-broker process', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ users: [device] });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('routes a device publish to a service subscriber (mqtt.js) and serves /metrics and /healthz', async () => {
    const service = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
    const press = await connectClient(broker.url, { username: device.username, password: device.password });
    try {
      const got = collectMessages(service, 'takt/v1/#', 1);
      await new Promise((r) => setTimeout(r, 100));
      await press.publishAsync(heartbeatTopic, encode('heartbeat', sampleMessage('heartbeat', 'press-01', 7)), { qos: 1 });
      const [msg] = await got;
      expect(msg?.topic).toBe(heartbeatTopic);
      expect(JSON.parse(msg?.payload.toString() ?? '{}')).toMatchObject({ deviceId: 'press-01', seq: 7 });
    } finally {
      service.end(true);
      press.end(true);
    }
    const metrics = await (await fetch(`${broker.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^takt_broker_messages_in_total\{qos="1"\} 1$/m);
    expect(metrics).toMatch(/^takt_broker_messages_out_total\{qos="1"\} 1$/m);
    const health = await fetch(`${broker.metricsUrl}/healthz`);
    expect(health.status).toBe(200);
  });

  it('BAD INPUT - wrong password gets CONNACK 4 (mosquitto_pub) and is counted', async () => {
    const res = await run('mosquitto_pub', ['-p', String(broker.port), '-u', 'press-01', '-P', 'wrong', '-t', heartbeatTopic, '-m', '{}']).catch((e: { code: number; stderr: string }) => e);
    expect('code' in res ? res.code : 0).not.toBe(0);
    expect('stderr' in res ? res.stderr : '').toMatch(/bad user name or password/i);
    const metrics = await (await fetch(`${broker.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/takt_broker_rejections_total\{reason="bad_credentials"\} [1-9]/);
  });

  it('keeps its port across a restart', async () => {
    await broker.restart();
    const client = await connectClient(broker.url, { username: 'engineer', password: 'engineer-secret' });
    client.end(true);
  });
});
