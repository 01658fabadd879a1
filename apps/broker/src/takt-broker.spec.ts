import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MqttClient, type IClientOptions } from 'mqtt';
import { generate } from 'mqtt-packet';
import { createWebSocketStream, WebSocket } from 'ws';
import { buildTopic, encode } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { freePort, waitFor } from '@takt/runtime';
import {
  boundClientId,
  collectMessages,
  connectClient,
  sourceCommand,
  startTestBroker,
  tempDir,
  type TestBroker,
} from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageLines, runClient, startSubscriber } from './cli-clients.test.js';

const device = { username: 'press-01', password: 'press-secret', role: 'device' as const };
const topic = (channel: 'heartbeat' | 'state' | 'telemetry', d = 'press-01') =>
  buildTopic({ site: 'plant-a', line: 'line-1', device: d, channel });
const heartbeat = (seq: number, d = 'press-01') => encode('heartbeat', sampleMessage('heartbeat', d, seq)).toString();
const ACL = `# devices may also read their own retained state
allow role device subscribe takt/v1/+/+/%u/state
deny user engineer subscribe takt/v1/+/+/+/camera
`;

async function metric(broker: TestBroker, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${broker.metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => pattern.test(l));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * mqtt.js over a WebSocket stream we open ourselves: under vitest's `import` resolve condition,
 * mqtt.js's own CommonJS `require('ws')` gets ws's ESM wrapper and its ws transport breaks.
 */
function connectOverWebSocket(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = new MqttClient(() => createWebSocketStream(new WebSocket(url, 'mqtt')), {
      reconnectPeriod: 0,
      protocolVersion: 4,
      clientId: boundClientId(String(options.username)),
      ...options,
    });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/** A TCP connection that resolves `closed` when the broker drops it. */
function rawSocket(port: number) {
  const socket = createConnection({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  socket.resume(); // read (and drop) what the broker sends, so its close is seen
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  return { socket, closed };
}

describe('takt-broker process', () => {
  const dir = tempDir('takt-broker-spec-');
  let broker: TestBroker;
  let tlsPort: number;
  // -I: the client id is the user name, a dash and the pid — bound to the user (clientIds: user-prefix)
  const pubArgs = (user = device.username, pass = device.password) => [
    '-h',
    '127.0.0.1',
    '-p',
    String(broker.port),
    '-u',
    user,
    '-P',
    pass,
    '-I',
    `${user}-`,
    '-q',
    '1',
  ];
  const subArgs = (user = 'service', pass = 'service-secret') => [
    '-h',
    '127.0.0.1',
    '-p',
    String(broker.port),
    '-u',
    user,
    '-P',
    pass,
    '-I',
    `${user}-`,
    '-q',
    '1',
    '-v',
  ];

  beforeAll(async () => {
    const cert = join(dir.path, 'cert.pem');
    const key = join(dir.path, 'key.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    tlsPort = await freePort();
    broker = await startTestBroker({
      users: [device],
      acl: ACL,
      config: { tls: { port: tlsPort, cert, key }, connectTimeoutMs: 500, validation: { maxInvalid: 50 } },
    });
  });
  afterAll(async () => {
    await broker?.close();
    dir.remove();
  });

  it('routes a device publish to a service subscriber (mqtt.js) and serves /metrics and /healthz', async () => {
    const service = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
    const press = await connectClient(broker.url, { username: device.username, password: device.password });
    try {
      await service.subscribeAsync(topic('heartbeat'), { qos: 1 }); // SUBACK: the route exists
      const got = collectMessages(service, topic('heartbeat'), 1);
      await press.publishAsync(topic('heartbeat'), heartbeat(7), { qos: 1 });
      const [msg] = await got;
      expect(JSON.parse(msg?.payload.toString() ?? '{}')).toMatchObject({ deviceId: 'press-01', seq: 7 });
    } finally {
      service.end(true);
      press.end(true);
    }
    expect(await metric(broker, /^takt_broker_messages_in_total\{qos="1"\}/)).toBeGreaterThanOrEqual(1);
    expect(await metric(broker, /^takt_broker_messages_out_total\{qos="1"\}/)).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${broker.metricsUrl}/healthz`)).status).toBe(200);
  });

  it('mosquitto_pub → mosquitto_sub: only the valid, authorized publishes arrive (BAD INPUT - invalid JSON, wrong schema, other device, wrong password)', async () => {
    const sub = await startSubscriber([...subArgs(), '-t', 'takt/v1/+/+/+/heartbeat', '-C', '2', '-W', '8']);
    const invalidBefore = await metric(broker, /^takt_broker_rejections_total\{reason="invalid_payload"\}/);
    const deniedBefore = await metric(broker, /^takt_broker_rejections_total\{reason="publish_denied"\}/);
    const results = [
      await runClient('mosquitto_pub', [...pubArgs(), '-t', topic('heartbeat'), '-m', heartbeat(1)]),
      await runClient('mosquitto_pub', [...pubArgs(), '-t', topic('heartbeat'), '-m', '{"schemaVersion":1,']),
      await runClient('mosquitto_pub', [
        ...pubArgs(),
        '-t',
        topic('heartbeat'),
        '-m',
        '{"schemaVersion":1,"deviceId":"press-01"}',
      ]),
      await runClient('mosquitto_pub', [
        ...pubArgs(),
        '-t',
        topic('heartbeat', 'press-02'),
        '-m',
        heartbeat(2, 'press-02'),
      ]),
      await runClient('mosquitto_pub', [
        ...pubArgs(device.username, 'wrong'),
        '-t',
        topic('heartbeat'),
        '-m',
        heartbeat(3),
      ]),
      await runClient('mosquitto_pub', [...pubArgs(), '-t', topic('heartbeat'), '-m', heartbeat(4)]),
    ];
    expect(results.map((r) => r.code === 0)).toEqual([true, true, true, true, false, true]);
    expect(results[4]?.stderr).toMatch(/bad user name or password/i);
    const out = await sub.done;
    expect(messageLines(out.stdout).map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)).seq)).toEqual([1, 4]);
    expect((await metric(broker, /^takt_broker_rejections_total\{reason="invalid_payload"\}/)) - invalidBefore).toBe(2);
    expect((await metric(broker, /^takt_broker_rejections_total\{reason="publish_denied"\}/)) - deniedBefore).toBe(1);
    expect(await metric(broker, /^takt_broker_invalid_payloads_total\{code="INVALID_JSON"\}/)).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('BAD INPUT - unauthorized subscriptions get SUBACK 0x80 (mosquitto_sub); the ACL file adds rights by %u', async () => {
    const denied = await runClient('mosquitto_sub', [
      ...subArgs(device.username, device.password),
      '-t',
      'takt/v1/+/+/+/telemetry',
      '-C',
      '1',
      '-W',
      '3',
    ]);
    expect(denied.stderr + denied.stdout).toMatch(/denied/i);
    const own = await startSubscriber([
      ...subArgs(device.username, device.password),
      '-t',
      topic('state'),
      '-C',
      '1',
      '-W',
      '5',
    ]);
    expect(own.done).toBeDefined();
    const state = encode('state', sampleMessage('state', 'press-01', 3)).toString();
    expect((await runClient('mosquitto_pub', [...pubArgs(), '-t', topic('state'), '-r', '-m', state])).code).toBe(0);
    expect(messageLines((await own.done).stdout)).toHaveLength(1);
    const eng = await runClient('mosquitto_sub', [
      ...subArgs('engineer', 'engineer-secret'),
      '-t',
      'takt/v1/+/+/+/camera',
      '-C',
      '1',
      '-W',
      '2',
    ]);
    expect(eng.stderr + eng.stdout).toMatch(/denied/i);
  });

  it('BAD INPUT - an oversized payload (mosquitto_pub -f) drops that connection only', async () => {
    const big = join(dir.path, 'big.bin');
    writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 0x41));
    const bystander = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
    const res = await runClient('mosquitto_pub', [
      ...pubArgs('service', 'service-secret'),
      '-t',
      topic('heartbeat'),
      '-f',
      big,
    ]);
    expect(res.code).not.toBe(0);
    expect(await metric(broker, /^takt_broker_rejections_total\{reason="packet_too_large"\}/)).toBe(1);
    expect(bystander.connected).toBe(true);
    await bystander.publishAsync(topic('heartbeat'), heartbeat(5), { qos: 1 });
    bystander.end(true);
  });

  it('BAD INPUT - garbage bytes, a wildcard publish topic and a CONNECT that never finishes are dropped; others unaffected', async () => {
    const watcher = await connectClient(broker.url, { username: 'service', password: 'service-secret' });
    const got = collectMessages(watcher, 'takt/v1/+/+/+/heartbeat', 1);
    const garbage = rawSocket(broker.port);
    garbage.socket.write(Buffer.from('\x00\xff\xfe garbage \r\n\r\n'));
    const wildcard = rawSocket(broker.port);
    wildcard.socket.write(
      generate({
        cmd: 'connect',
        clientId: 'service-wild',
        username: 'service',
        password: Buffer.from('service-secret'),
        protocolVersion: 4,
        protocolId: 'MQTT',
        clean: true,
        keepalive: 0,
      }),
    );
    wildcard.socket.write(
      generate({
        cmd: 'publish',
        topic: 'takt/v1/+/line-1/press-01/heartbeat',
        payload: Buffer.from(heartbeat(8)),
        qos: 1,
        messageId: 1,
        retain: false,
        dup: false,
      }),
    );
    const stalled = rawSocket(broker.port);
    const t0 = Date.now();
    stalled.socket.write(Buffer.from([0x10, 0x30, 0x00, 0x04])); // a CONNECT cut short
    await Promise.all([garbage.closed, wildcard.closed]);
    const stalledAt = await stalled.closed;
    expect(stalledAt - t0).toBeGreaterThanOrEqual(400);
    expect(stalledAt - t0).toBeLessThan(3000);
    expect(await metric(broker, /^takt_broker_rejections_total\{reason="connect_timeout"\}/)).toBeGreaterThanOrEqual(1);
    const press = await connectClient(broker.url, { username: device.username, password: device.password });
    await press.publishAsync(topic('heartbeat'), heartbeat(9), { qos: 1 });
    expect(JSON.parse((await got)[0]?.payload.toString() ?? '{}').seq).toBe(9);
    press.end(true);
    watcher.end(true);
  });

  it('serves MQTT over TLS (mosquitto_pub/sub --cafile) and over WebSocket (mqtt.js)', async () => {
    const tlsArgs = ['--cafile', join(dir.path, 'cert.pem'), '-h', '127.0.0.1', '-p', String(tlsPort)];
    const sub = await startSubscriber([
      ...tlsArgs,
      '-u',
      'service',
      '-P',
      'service-secret',
      '-I',
      'service-',
      '-t',
      topic('telemetry'),
      '-C',
      '2',
      '-W',
      '8',
      '-v',
    ]);
    const telemetry = (seq: number) => encode('telemetry', sampleMessage('telemetry', 'press-01', seq)).toString();
    expect(
      (
        await runClient('mosquitto_pub', [
          ...tlsArgs,
          '-u',
          device.username,
          '-P',
          device.password,
          '-I',
          `${device.username}-`,
          '-q',
          '1',
          '-t',
          topic('telemetry'),
          '-m',
          telemetry(1),
        ])
      ).code,
    ).toBe(0);
    const ws = await connectOverWebSocket(broker.wsUrl as string, {
      username: device.username,
      password: device.password,
    });
    await ws.publishAsync(topic('telemetry'), telemetry(2), { qos: 1 });
    ws.end(true);
    expect(messageLines((await sub.done).stdout).map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)).seq)).toEqual([
      1, 2,
    ]);
  });

  it('`takt-broker passwd` adds a user the running broker accepts without a restart; BAD INPUT - empty password', async () => {
    const usersFile = join(dir.path, 'users-passwd.json');
    const cmd = sourceCommand('apps/broker', [
      'passwd',
      usersFile,
      'press-09',
      'device',
      '--devices',
      'plant-a/line-1/press-09',
    ]);
    const added = await runClient(cmd.command, cmd.args, 'nine-secret\n');
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain('press-09 (device for plant-a/line-1/press-09)');
    const empty = await runClient(cmd.command, cmd.args, '');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('password must not be empty');
    // a machine or an edge box is bound to its site and line: refused without --devices, or with a malformed one
    const unbound = sourceCommand('apps/broker', ['passwd', usersFile, 'press-11', 'device', '--password', 'x']);
    expect((await runClient(unbound.command, unbound.args)).stderr).toContain(
      'a device user needs --devices site/line/device',
    );
    const bad = sourceCommand('apps/broker', [
      'passwd',
      usersFile,
      'edge-1',
      'edge',
      '--password',
      'x',
      '--devices',
      'plant-a/#',
    ]);
    expect((await runClient(bad.command, bad.args)).stderr).toContain('must be site/line/device');
    // the test broker's own users file: add a user and log in with it while the broker runs
    const live = join(broker.configFile, '..', 'users.json');
    const liveCmd = sourceCommand('apps/broker', [
      'passwd',
      live,
      'press-10',
      'device',
      '--password',
      'ten-secret',
      '--devices',
      'plant-a/line-1/press-10',
    ]);
    expect((await runClient(liveCmd.command, liveCmd.args)).code).toBe(0);
    // the broker re-reads the users file when it changes: log in once it has
    let c: MqttClient | undefined;
    await waitFor(
      'press-10 accepted',
      async () =>
        (c = await connectClient(broker.url, {
          username: 'press-10',
          password: 'ten-secret',
          reconnectPeriod: 0,
        }).catch(() => undefined)) !== undefined,
      10_000,
    );
    c?.end(true);
  });

  it('keeps its port across a restart', async () => {
    await broker.restart();
    const client = await connectClient(broker.url, { username: 'engineer', password: 'engineer-secret' });
    client.end(true);
  });
});
