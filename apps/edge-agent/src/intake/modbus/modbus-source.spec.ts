import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSampleBatchSchema } from '@takt/contracts';
import { createLogger } from '@takt/runtime';
import { pymodbusMissing, startPymodbus, type PymodbusServer } from '@takt/testing';
import { IntakeSink } from '../../testing/intake-sink.js';
import { modbusSourceSchema } from './modbus-config.js';
import { ModbusSource } from './modbus-source.js';

const MBPOLL = '/usr/bin/mbpoll';
const missing =
  pymodbusMissing() ?? (existsSync(MBPOLL) ? undefined : 'mbpoll is not installed (apt-get install mbpoll)');
const run = promisify(execFile);

/** Writes with Debian's mbpoll (an independent Modbus client): zero-based references, unit 1. */
async function mbpoll(port: number, args: string[], values: (string | number)[]): Promise<void> {
  await run(MBPOLL, [
    '-m',
    'tcp',
    '-p',
    String(port),
    '-a',
    '1',
    '-0',
    '-1',
    ...args,
    '127.0.0.1',
    '--',
    ...values.map(String),
  ]);
}

describe.skipIf(missing)(`Modbus TCP intake against pymodbus${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: PymodbusServer;
  let source: ModbusSource;
  const sink = new IntakeSink();

  beforeAll(async () => {
    server = await startPymodbus();
    await mbpoll(server.port, ['-r', '10', '-t', '4:float', '-B'], [21.5]); // holding 10..11, high word first
    await mbpoll(server.port, ['-r', '20', '-t', '4:int'], [-100000]); // holding 20..21, low word first (mbpoll's default)
    await mbpoll(server.port, ['-r', '30', '-t', '4'], [65531, 1234]); // holding 30 (0xFFFB: int16 -5), 31
    await mbpoll(server.port, ['-r', '5', '-t', '0'], [1]); // coil 5
    const config = modbusSourceSchema.parse({
      url: server.url,
      timeoutMs: 500,
      maxInFlight: 4, // pymodbus answers pipelined requests by transaction id
      reconnectMinMs: 50,
      reconnectMaxMs: 400,
      batchMs: 200,
      devices: [
        {
          site: 'plant-a',
          line: 'line-m',
          device: 'press-1',
          machineType: 'press',
          polls: [
            {
              name: 'fast',
              intervalMs: 50,
              registers: [
                { sensor: 'pressure', address: 10, type: 'float32', unit: 'bar' },
                { sensor: 'torque', address: 20, type: 'int32', wordOrder: 'little', scale: 0.01 },
                { sensor: 'temperature', address: 30, type: 'int16', offset: 30 },
                { sensor: 'current', address: 31, scale: 0.1 },
              ],
            },
            {
              name: 'slow',
              intervalMs: 100,
              registers: [
                { sensor: 'flow', table: 'input', address: 7, scale: 0.5 },
                { sensor: 'running', table: 'coil', address: 5 },
              ],
            },
          ],
        },
        // a register past the server's map: exception 2 for this device only
        {
          site: 'plant-a',
          line: 'line-m',
          device: 'meter-9',
          polls: [{ name: 'bad', intervalMs: 100, registers: [{ sensor: 'energy', address: 5000, type: 'uint32' }] }],
        },
      ],
    });
    source = new ModbusSource({ config, logger: createLogger('modbus-test') });
    await source.start(sink.handlers);
  }, 30_000);

  afterAll(async () => {
    await source?.stop();
    await server?.close();
  });

  const of = (device: string, sensor: string) => sink.of(device, sensor);

  it('reads every type, order, table and scale as pymodbus holds them, in valid raw batches per poll rate', async () => {
    await sink.until(
      'batches of both poll groups',
      () => of('press-1', 'pressure').length >= 2 && of('press-1', 'flow').length >= 2,
    );
    const fast = of('press-1', 'pressure').at(-1)!;
    expect(rawSampleBatchSchema.safeParse(fast).success).toBe(true);
    expect(fast.machineType).toBe('press');
    expect(fast.sensors['pressure']).toMatchObject({ rate: 20, unit: 'bar' });
    expect(fast.sensors['pressure']!.values.length).toBeLessThanOrEqual(4);
    expect(fast.sensors['pressure']!.values[0]).toBe(21.5);
    expect(fast.sensors['torque']!.values[0]).toBeCloseTo(-1000, 6);
    expect(fast.sensors['temperature']!.values[0]).toBe(25);
    expect(fast.sensors['current']!.values[0]).toBeCloseTo(123.4, 6);
    const slow = of('press-1', 'flow').at(-1)!;
    expect(slow.sensors['flow']).toMatchObject({ rate: 10, values: expect.arrayContaining([3.5]) });
    expect(slow.sensors['running']!.values[0]).toBe(1);
    const seqs = sink.batches.filter((b) => b.deviceId === 'press-1').map((b) => b.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('a value change in the server reaches the next batch', async () => {
    await mbpoll(server.port, ['-r', '10', '-t', '4:float', '-B'], [42.25]);
    await sink.until('the new pressure', () =>
      of('press-1', 'pressure').some((b) => b.sensors['pressure']!.values.includes(42.25)),
    );
    // the poll that saw the change → its batch's handover: at most one batch (200 ms) and some scheduling
    expect(sink.latencies.some((l) => l.device === 'press-1' && l.ms >= 0 && l.ms < 2_000)).toBe(true);
  });

  it('BAD INPUT - an exception names the device, poll and registers; the other devices keep running', async () => {
    await sink.until('an exception report', () => sink.statuses.some((s) => s.fault?.code === 'MODBUS_EXCEPTION'));
    const report = sink.statuses.find((s) => s.fault?.code === 'MODBUS_EXCEPTION')!;
    expect(report.address.device).toBe('meter-9');
    expect(report.fault!.message).toMatch(
      /^meter-9\/bad unit 1 holding 5000\.\.5001 \(energy\): Modbus exception 2: Illegal data address/,
    );
    expect(report.status.badValues).toBeGreaterThanOrEqual(1);
    expect(sink.batches.some((b) => b.deviceId === 'meter-9')).toBe(false);
    const before = of('press-1', 'pressure').length;
    await sink.until('press-1 still producing', () => of('press-1', 'pressure').length > before);
  });

  it('the server killed mid-stream: the link goes down, comes back with backoff, and the gap is reported', async () => {
    await sink.until('samples before the kill', () => of('press-1', 'pressure').length > 0);
    const down = sink.statuses.length;
    const gapsBefore = Math.max(
      0,
      ...sink.statuses.filter((s) => s.address.device === 'press-1').map((s) => s.status.gaps),
    );
    await server.process.kill();
    await sink.until('link down', () =>
      sink.statuses.slice(down).some((s) => s.address.device === 'press-1' && !s.status.connected),
    );
    expect(source.connected).toBe(false);
    const killedAt = Date.now();
    await server.process.start();
    const restartedAt = Date.now();
    await mbpoll(server.port, ['-r', '10', '-t', '4:float', '-B'], [7.5]); // a fresh server starts from zero
    const closed = () => sink.statuses.find((s) => s.address.device === 'press-1' && s.status.gaps > gapsBefore);
    await sink.until('a closed gap', () => closed() !== undefined, 20_000);
    const gap = closed()!.status.lastGap!;
    expect(gap.from).toBeLessThanOrEqual(killedAt);
    expect(gap.to).toBeGreaterThan(killedAt);
    await sink.until('samples after the restart', () =>
      of('press-1', 'pressure').some((b) => b.t0 > gap.from && b.sensors['pressure']!.values.includes(7.5)),
    );
    // no batch spans the outage: every series stays evenly spaced
    for (const b of of('press-1', 'pressure'))
      expect(b.t0 >= killedAt || b.t0 + (b.sensors['pressure']!.values.length - 1) * 50 < restartedAt).toBe(true);
  }, 40_000);
});
