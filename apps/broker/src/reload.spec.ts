import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopic, encode } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { hashPassword } from '@takt/runtime';
import { connectClient, startTestBroker, type TestBroker } from '@takt/testing';

const PRESS = { username: 'press-01', password: 'press-secret', role: 'device' as const };
const WATCHER = { username: 'watcher', password: 'watcher-secret', role: 'engineer' as const };
const SERVICE = { username: 'service', password: 'service-secret' };
const CAMERA = 'takt/v1/+/+/+/camera';

/** A users file or ACL rewritten the way `takt-broker passwd` does it: a new file renamed over the old. */
function replaceFile(file: string, text: string): void {
  writeFileSync(`${file}.new`, text);
  renameSync(`${file}.new`, file);
}

describe('takt-broker: users and ACL reloads disconnect clients whose rights went away', () => {
  let broker: TestBroker;
  let usersFile: string;
  let aclFile: string;
  const editUsers = (edit: (users: Record<string, { passwordHash: string; role: string }>) => void) => {
    const users = JSON.parse(readFileSync(usersFile, 'utf8')) as Record<string, { passwordHash: string; role: string }>;
    edit(users);
    replaceFile(usersFile, JSON.stringify(users));
  };
  const login = (u: { username: string; password: string }) =>
    connectClient(broker.url, { username: u.username, password: u.password });
  const closed = (c: MqttClient) => new Promise<void>((resolve) => c.once('close', () => resolve()));

  beforeAll(async () => {
    broker = await startTestBroker({ users: [PRESS, WATCHER], acl: '# nothing beyond the role defaults\n' });
    const config = JSON.parse(readFileSync(broker.configFile, 'utf8')) as { usersFile: string; aclFile: string };
    ({ usersFile, aclFile } = config);
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('a user removed from the users file is disconnected (the file is watched), and cannot sign in again; others stay', async () => {
    const [press, service] = [await login(PRESS), await login(SERVICE)];
    const gone = closed(press);
    editUsers((users) => delete users[PRESS.username]);
    await gone;
    await expect(login(PRESS)).rejects.toThrow(/Bad username or password|Not authorized/i);
    expect(service.connected).toBe(true);
    expect(await (await fetch(`${broker.metricsUrl}/metrics`)).text()).toMatch(
      /takt_broker_rejections_total\{reason="rights_revoked"\} [1-9]/,
    );
    await service.endAsync();
  });

  it('a user whose role or password changed is disconnected', async () => {
    const watcher = await login(WATCHER);
    const gone = closed(watcher);
    editUsers((users) => {
      users[WATCHER.username] = { passwordHash: users[WATCHER.username]?.passwordHash as string, role: 'ingestor' };
    });
    await gone;
    const again = await login(WATCHER);
    const goneAgain = closed(again);
    const hash = await hashPassword('rotated-secret');
    editUsers((users) => {
      users[WATCHER.username] = { passwordHash: hash, role: 'engineer' };
    });
    await goneAgain;
    const rotated = await login({ username: WATCHER.username, password: 'rotated-secret' });
    await rotated.endAsync();
  });

  it('SIGHUP re-reads the ACL: a client holding a subscription the new rules refuse is disconnected, its persistent session loses that subscription, and a resubscribe is refused', async () => {
    const persistent = {
      username: WATCHER.username,
      password: 'rotated-secret',
      clientId: `${WATCHER.username}-persistent`,
      clean: false,
    };
    const before = await connectClient(broker.url, persistent);
    expect((await before.subscribeAsync(CAMERA, { qos: 1 }))[0]?.qos).toBe(1);
    const gone = closed(before);
    replaceFile(aclFile, `deny user ${WATCHER.username} subscribe ${CAMERA}\n`);
    process.kill(broker.process.pid as number, 'SIGHUP');
    await gone;
    const after = await connectClient(broker.url, persistent);
    await expect(after.subscribeAsync(CAMERA, { qos: 1 })).rejects.toThrow(/Subscribe error/); // SUBACK 0x80
    const telemetry = buildTopic({ site: 'plant-a', line: 'line-1', device: 'press-01', channel: 'telemetry' });
    expect((await after.subscribeAsync(telemetry, { qos: 1 }))[0]?.qos).toBe(1);
    // a camera frame, then telemetry, from one publisher: the telemetry arriving first means the frame never will
    const first = new Promise<string>((resolve) => after.once('message', (topic) => resolve(topic)));
    const service = await login(SERVICE);
    await service.publishAsync(
      buildTopic({ site: 'plant-a', line: 'line-1', device: 'press-01', channel: 'camera' }),
      encode('camera', sampleMessage('camera', 'press-01', 1)),
      { qos: 1 },
    );
    await service.publishAsync(telemetry, encode('telemetry', sampleMessage('telemetry', 'press-01', 1)), { qos: 1 });
    expect(await first).toBe(telemetry);
    await service.endAsync();
    expect(broker.process.running).toBe(true);
    await after.endAsync();
  });
});
