import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusCodes, type DataValue } from 'node-opcua-client';
import { rawSampleBatchSchema } from '@takt/contracts';
import { createLogger } from '@takt/runtime';
import { tempDir } from '@takt/testing';
import { IntakeSink } from '../../testing/intake-sink.js';
import { TestOpcuaServer } from '../../testing/opcua-server.js';
import { opcuaSourceSchema } from './opcua-config.js';
import { OpcuaSource } from './opcua-source.js';

const logger = createLogger('opcua-test');
const dir = tempDir('takt-opcua-client-');

function source(config: unknown, sink: IntakeSink, seen?: { sensor: string; dv: DataValue }[]): OpcuaSource {
  const s = new OpcuaSource({
    config: opcuaSourceSchema.parse(config),
    where: 'opcua[0]',
    dataDir: dir.path,
    logger,
    onValue: (_d, sensor, dv) => seen?.push({ sensor, dv }),
  });
  void s.start(sink.handlers);
  return s;
}

describe('OPC UA intake against a node-opcua server loading a nodeset', () => {
  let server: TestOpcuaServer;
  let intake: OpcuaSource;
  const sink = new IntakeSink();
  const seen: { sensor: string; dv: DataValue }[] = [];
  let ns: number;

  beforeAll(async () => {
    server = await TestOpcuaServer.start({ users: { operator: 'op-secret' } });
    ns = server.ns;
    intake = source(
      {
        endpoint: server.endpoint,
        publishingIntervalMs: 50,
        batchMs: 200,
        reconnectMinMs: 100,
        reconnectMaxMs: 500,
        devices: [
          {
            site: 'plant-a',
            line: 'line-u',
            device: 'pump-u1',
            machineType: 'pump',
            samplingIntervalMs: 50,
            nodes: [
              { sensor: 'temperature', nodeId: `ns=${ns};s=pump-u1.temperature`, unit: 'degC' },
              { sensor: 'current', nodeId: 'nsu=urn:takt:test:line-u;s=pump-u1.current' },
              {
                sensor: 'pressure',
                nodeId: `ns=${ns};s=pump-u1.pressure`,
                deadband: { type: 'absolute', value: 1 },
                samplingIntervalMs: 20,
              },
              { sensor: 'rpm', nodeId: `ns=${ns};s=pump-u1.rpm`, scale: 0.001 },
              { sensor: 'flow', nodeId: `ns=${ns};s=pump-u1.flow` },
            ],
          },
          {
            site: 'plant-a',
            line: 'line-u',
            device: 'fan-u2',
            samplingIntervalMs: 100,
            nodes: [{ sensor: 'vibration', nodeId: `ns=${ns};s=fan-u2.vibration` }],
          },
        ],
      },
      sink,
      seen,
    );
  }, 60_000);

  afterAll(async () => {
    await intake?.stop();
    await server?.stop();
  });

  it('maps node ids (by index and by namespace URI) to sensors in valid, evenly spaced raw batches', async () => {
    await sink.until(
      'batches of both devices',
      () => sink.of('pump-u1', 'temperature').length >= 2 && sink.of('fan-u2', 'vibration').length >= 1,
      30_000,
    );
    const b = sink.of('pump-u1', 'temperature').at(-1)!;
    expect(rawSampleBatchSchema.safeParse(b).success).toBe(true);
    expect(b.machineType).toBe('pump');
    expect(b.sensors['temperature']).toMatchObject({ rate: 20, unit: 'degC' });
    expect(b.sensors['temperature']!.values[0]).toBe(41.5);
    expect(b.sensors['current']!.values[0]).toBe(12.25);
    expect(b.sensors['rpm']!.values[0]).toBeCloseTo(2.95, 9);
    expect(sink.of('fan-u2', 'vibration').at(-1)!.sensors['vibration']).toMatchObject({ rate: 10 });
  });

  it('BAD INPUT - a node id that does not exist is reported naming the entry; the device keeps its other sensors', async () => {
    await sink.until('the unknown node', () => sink.faults('OPCUA_NODE_UNKNOWN').length > 0);
    const f = sink.faults('OPCUA_NODE_UNKNOWN')[0]!;
    expect(f.address.device).toBe('pump-u1');
    expect(f.fault!.message).toBe(
      `opcua[0].devices[0].nodes[4] (sensor "flow", ns=${ns};s=pump-u1.flow): BadNodeIdUnknown (0x80340000)`,
    );
    expect(sink.of('pump-u1', 'flow')).toEqual([]);
  });

  it('a value change reaches the next batch; a change inside the deadband is not reported', async () => {
    server.set(`ns=${ns};s=pump-u1.pressure`, 3.9); // inside the 1 bar deadband around 3.5
    server.set(`ns=${ns};s=pump-u1.temperature`, 47);
    await sink.until('the new temperature', () => sink.values('pump-u1', 'temperature').includes(47));
    server.set(`ns=${ns};s=pump-u1.pressure`, 6);
    await sink.until('the pressure past the deadband', () => sink.values('pump-u1', 'pressure').includes(6));
    expect(seen.filter((s) => s.sensor === 'pressure').map((s) => s.dv.value.value)).toEqual([3.5, 6]);
    // value change (source timestamp) → batch handover: a publishing interval, a sample slot and up to one batch (200 ms)
    const lat = sink.latencies.filter((l) => l.device === 'pump-u1').map((l) => l.ms);
    expect(lat.length).toBeGreaterThan(0);
    expect(Math.min(...lat)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...lat)).toBeLessThan(5_000);
  });

  it('BAD INPUT - a bad status never reaches a batch: counted, named, and the sensor drops out until good', async () => {
    server.set(`ns=${ns};s=pump-u1.temperature`, 999, StatusCodes.BadSensorFailure);
    await sink.until('the bad status', () => sink.faults('OPCUA_BAD_STATUS').length > 0);
    const f = sink.faults('OPCUA_BAD_STATUS')[0]!;
    expect(f.fault!.message).toBe(
      `opcua[0].devices[0].nodes[0] (sensor "temperature", ns=${ns};s=pump-u1.temperature): status ${StatusCodes.BadSensorFailure.toString()}`,
    );
    expect(f.status.badValues).toBeGreaterThanOrEqual(1);
    const n = sink.batches.length;
    await sink.until('batches without temperature', () =>
      sink.batches.slice(n).some((b) => b.deviceId === 'pump-u1' && b.sensors['current'] && !b.sensors['temperature']),
    );
    server.set(`ns=${ns};s=pump-u1.temperature`, 48, StatusCodes.UncertainLastUsableValue);
    await sink.until('the uncertain status', () =>
      sink.faults('OPCUA_BAD_STATUS').some((s) => s.fault!.message.includes('UncertainLastUsableValue')),
    );
    server.set(`ns=${ns};s=pump-u1.temperature`, 49);
    await sink.until('temperature back', () => sink.values('pump-u1', 'temperature').includes(49));
    expect(sink.values('pump-u1', 'temperature')).not.toContain(999);
    expect(sink.values('pump-u1', 'temperature')).not.toContain(48);
    expect(sink.faults('OPCUA_BAD_STATUS').at(-1)!.status.badValues).toBeGreaterThanOrEqual(2);
  });

  it('the server stopped and restarted: the subscription comes back by itself and the gap is reported', async () => {
    const port = server.port;
    await server.stop();
    await sink.until('link down', () =>
      sink.statuses.some(
        (s) => s.address.device === 'pump-u1' && !s.status.connected && s.fault?.code === 'OPCUA_DISCONNECTED',
      ),
    );
    const downAt = Date.now();
    server = await TestOpcuaServer.start({ port, users: { operator: 'op-secret' } });
    await sink.until(
      'a closed gap',
      () => sink.statuses.some((s) => s.address.device === 'pump-u1' && s.status.gaps >= 1),
      30_000,
    );
    const gap = sink.statuses.filter((s) => s.address.device === 'pump-u1' && s.status.lastGap).at(-1)!.status.lastGap!;
    expect(gap.from).toBeLessThanOrEqual(downAt);
    expect(gap.to).toBeGreaterThan(downAt);
    server.set(`ns=${ns};s=pump-u1.temperature`, 51.25);
    await sink.until('values from the new server', () => sink.values('pump-u1', 'temperature').includes(51.25), 20_000);
  }, 60_000);
});

describe('OPC UA user authentication', () => {
  let server: TestOpcuaServer;
  beforeAll(async () => {
    server = await TestOpcuaServer.start({ users: { operator: 'op-secret' }, anonymous: false });
  }, 60_000);
  afterAll(async () => server?.stop());

  const config = (auth: unknown) => ({
    endpoint: server.endpoint,
    auth,
    reconnectMinMs: 100,
    reconnectMaxMs: 200,
    batchMs: 100,
    devices: [
      {
        site: 'plant-a',
        line: 'line-u',
        device: 'fan-u2',
        samplingIntervalMs: 50,
        nodes: [{ sensor: 'vibration', nodeId: `ns=${server.ns};s=fan-u2.vibration` }],
      },
    ],
  });

  it('a user and password open the session', async () => {
    const sink = new IntakeSink();
    const s = source(config({ kind: 'user', username: 'operator', password: 'op-secret' }), sink);
    await sink.until('samples', () => sink.values('fan-u2', 'vibration').includes(0.1), 30_000);
    await s.stop();
  });

  it('BAD INPUT - a wrong password or anonymous where it is not allowed is reported naming the endpoint', async () => {
    for (const auth of [{ kind: 'user', username: 'operator', password: 'wrong' }, { kind: 'anonymous' }]) {
      const sink = new IntakeSink();
      const s = source(config(auth), sink);
      await sink.until('a refused session', () => sink.faults('OPCUA_SESSION_FAILED').length > 0, 30_000);
      expect(sink.faults('OPCUA_SESSION_FAILED')[0]!.fault!.message).toMatch(
        new RegExp(
          `^opcua\\[0\\] ${server.endpoint}: .*(BadUserAccessDenied|BadIdentityTokenInvalid|BadIdentityTokenRejected|Cannot find ANONYMOUS user token policy)`,
        ),
      );
      expect(sink.batches).toEqual([]);
      await s.stop();
    }
  });
});
