import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTopic, encode, topicFilter } from '@takt/contracts';
import { tempDir } from '@takt/testing';
import { cpuSeconds } from '../cpu.js';
import { deviceId, type LoadTarget } from './load.js';

/**
 * The second load generator: Debian's own clients (libmosquitto), as users run them —
 * `mosquitto_pub -l -q 1` publishing one valid telemetry message per stdin line, and
 * `mosquitto_sub -q 1 -C n` receiving them. The subscriber first makes its persistent session and
 * subscription (`-c -E`, then exits), so no message can be published before the subscription
 * exists; it reconnects to that session as the publisher starts. Rate: messages delivered to the
 * subscriber per second, from starting the publisher to the subscriber's exit after the last one.
 */
export interface CliLoadResult {
  /** messages per second, publisher start → last message at the subscriber */
  rate: number;
  /** broker CPU µs per message (one publish in, one delivery out) */
  brokerCpuUs: number;
  /** CPU µs per message of mosquitto_pub and mosquitto_sub together, as last read from /proc before they exit (a little low) */
  clientsCpuUs: number;
}

/** `n` valid telemetry messages of device 0, one per line, seq 1..n. */
export function telemetryLines(n: number): string {
  const device = deviceId(0);
  const ts = Date.now();
  const lines: string[] = [];
  for (let seq = 1; seq <= n; seq++)
    lines.push(
      encode('telemetry', {
        schemaVersion: 1,
        deviceId: device,
        ts: ts + seq,
        seq,
        intervalMs: 1000,
        values: { temperature: 41.5, current: 12.1, pressure: 3.2 },
      }).toString(),
    );
  return `${lines.join('\n')}\n`;
}

function exited(child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what} exited with ${code}`));
    });
  });
}

const subscriberId = (target: LoadTarget) => `${target.serviceLogin?.username ?? 'bench'}-cli-sub-${process.pid}`;

const login = (l: { username: string; password: string } | undefined) =>
  l ? ['-u', l.username, '-P', l.password] : [];

/** One round: `n` QoS 1 messages through the broker with mosquitto_pub -l and mosquitto_sub. */
export async function runCliLoad(target: LoadTarget, linesFile: string, n: number): Promise<CliLoadResult> {
  const host = ['-h', '127.0.0.1', '-p', String(target.port)];
  const sub = [
    ...host,
    ...login(target.serviceLogin),
    '-i',
    subscriberId(target),
    '-c',
    '-q',
    '1',
    '-t',
    topicFilter({ site: 'bench', channel: 'telemetry' }),
  ];
  await exited(spawn('mosquitto_sub', [...sub, '-E'], { stdio: 'ignore' }), 'mosquitto_sub -E', 10_000);
  const subscriber = spawn('mosquitto_sub', [...sub, '-C', String(n)], { stdio: 'ignore' });
  const received = exited(subscriber, 'mosquitto_sub', 120_000);
  const input = openSync(linesFile, 'r');
  const cpu0 = cpuSeconds(target.pid);
  const t0 = performance.now();
  const publisher = spawn(
    'mosquitto_pub',
    [
      ...host,
      ...login(target.deviceLogin?.(0)),
      '-i',
      `${target.deviceLogin?.(0).username ?? 'bench'}-cli-pub-${process.pid}`,
      '-q',
      '1',
      '-l',
      '-t',
      buildTopic({ site: 'bench', line: 'line-1', device: deviceId(0), channel: 'telemetry' }),
    ],
    { stdio: [input, 'ignore', 'ignore'] },
  );
  closeSync(input);
  const clientPids = [publisher.pid, subscriber.pid];
  let clientsCpu = 0;
  const readClients = () => (clientsCpu = clientPids.reduce<number>((sum, pid) => sum + (cpuSeconds(pid) || 0), 0));
  const poll = setInterval(readClients, 50);
  try {
    await Promise.all([exited(publisher, 'mosquitto_pub', 120_000), received]);
  } finally {
    clearInterval(poll);
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    rate: n / seconds,
    brokerCpuUs: ((cpuSeconds(target.pid) - cpu0) * 1e6) / n,
    clientsCpuUs: (clientsCpu * 1e6) / n,
  };
}

/** Best of `rounds` rounds per broker, rounds interleaved so both see the same machine. */
export async function bestOfCliLoad(
  targets: { name: string; target: LoadTarget }[],
  n: number,
  rounds: number,
): Promise<Map<string, CliLoadResult & { all: number[] }>> {
  const dir = tempDir('takt-bench-cli-');
  try {
    const linesFile = join(dir.path, 'telemetry.lines');
    writeFileSync(linesFile, telemetryLines(n));
    const best = new Map<string, CliLoadResult & { all: number[] }>();
    for (let round = 0; round < rounds; round++)
      for (const { name, target } of targets) {
        const r = await runCliLoad(target, linesFile, n);
        const prev = best.get(name);
        const all = [...(prev?.all ?? []), r.rate];
        best.set(name, !prev || r.rate > prev.rate ? { ...r, all } : { ...prev, all });
      }
    // the subscriber's persistent session goes: a clean-session login with its id ends it
    for (const { target } of targets)
      await exited(
        spawn(
          'mosquitto_sub',
          [
            '-h',
            '127.0.0.1',
            '-p',
            String(target.port),
            ...login(target.serviceLogin),
            '-i',
            subscriberId(target),
            '-E',
            '-t',
            'x',
          ],
          { stdio: 'ignore' },
        ),
        'mosquitto_sub clean',
        10_000,
      );
    return best;
  } finally {
    dir.remove();
  }
}
