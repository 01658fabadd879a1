import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopic, encode } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { connectClient, startRedis, startTestBroker, type RedisServer, type TestBroker } from '@takt/testing';

// A persistent session outlives a broker restart in Redis, with its subscriptions. What the client
// reads after the restart is decided by the ACL in force then, not by what its session was granted.
describe('ACL changed across a restart: a restored persistent subscription delivers only what today’s rules allow', () => {
  let redis: RedisServer;
  let broker: TestBroker;
  const topic = (channel: 'camera' | 'telemetry') =>
    buildTopic({ site: 'plant-a', line: 'line-1', device: 'cam-1', channel });
  beforeAll(async () => {
    redis = await startRedis();
    broker = await startTestBroker({ redisUrl: redis.url });
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    await redis?.close();
  });

  it('an engineer denied camera frames after the restart no longer gets them through the session’s old takt/v1/#', async () => {
    const login = { username: 'engineer', password: 'engineer-secret', clientId: 'engineer-watch', clean: false };
    const first = await connectClient(broker.url, login);
    await first.subscribeAsync('takt/v1/#', { qos: 1 });
    await first.endAsync();
    writeFileSync(
      join(dirname(broker.configFile), 'broker.acl'),
      'deny role engineer subscribe takt/v1/+/+/+/camera\n',
    );
    writeFileSync(
      broker.configFile,
      JSON.stringify({
        ...JSON.parse((await import('node:fs')).readFileSync(broker.configFile, 'utf8')),
        aclFile: join(dirname(broker.configFile), 'broker.acl'),
      }),
    );
    await broker.restart();
    const back = await connectClient(broker.url, login); // no SUBSCRIBE: the session's subscription is restored
    const seen: string[] = [];
    back.on('message', (t) => seen.push(t));
    const svc = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
    await svc.publishAsync(topic('camera'), encode('camera', sampleMessage('camera', 'cam-1', 1)), { qos: 1 });
    await svc.publishAsync(topic('telemetry'), encode('telemetry', sampleMessage('telemetry', 'cam-1', 2)), { qos: 1 });
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(1);
    expect(seen).toEqual([topic('telemetry')]);
    await svc.endAsync();
    await back.endAsync();
  });
});
