import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, decodePublish, isPublishOn, topicFilter, type RawSampleBatch } from '@takt/contracts';
import { connectClient, sharedData, sourceCommand, startTestBroker, tempDir, type TestBroker } from '@takt/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const START = 1_767_225_600_000;
// the real recordings live in shared/data beside the checkout (TAKT_DATA_DIR elsewhere)
const nab = sharedData('nab', 'data', 'realKnownCause', 'machine_temperature_system_failure.csv');
const NAB = nab.path;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const cmd = sourceCommand('simulators/plant', args);
  const t = Date.now();
  return new Promise((resolve) => {
    execFile(
      cmd.command,
      cmd.args,
      { cwd: cmd.cwd, env: { ...process.env, TAKT_LOG_LEVEL: 'warn' }, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: Date.now() - t });
      },
    );
  });
}

const dir = tempDir('takt-sim-cli-');
const plantFile = join(dir.path, 'plant.json');
writeFileSync(
  plantFile,
  JSON.stringify({
    sites: [
      {
        id: 'site-1',
        lines: [
          {
            id: 'line-1',
            machines: [
              {
                id: 'pump-1',
                type: 'pump',
                sensors: { vibration: { rate: 1000 }, pressure: { rate: 10 } },
                faults: [
                  { id: 'p-cav', kind: 'cavitation', start: 1, duration: 2 },
                  { kind: 'bearing-wear', start: 2.5, duration: 60 },
                ],
              },
              {
                id: 'motor-1',
                type: 'motor',
                sensors: { temperature: { rate: 10 }, current: { rate: 10 } },
                faults: [{ kind: 'sensor-stuck', sensor: 'current', start: 0.5, duration: 1 }],
              },
            ],
          },
        ],
      },
    ],
  }),
);

let broker: TestBroker;
let watcher: MqttClient;
beforeAll(async () => {
  broker = await startTestBroker();
  watcher = await connectClient(broker.url, { username: 'engineer', password: 'engineer-secret' });
});
afterAll(async () => {
  await watcher?.endAsync();
  await broker?.close();
  dir.remove();
});

function watch(filter: string): { got: { topic: string; payload: Buffer }[]; ready: Promise<unknown> } {
  const got: { topic: string; payload: Buffer }[] = [];
  watcher.on('message', (topic, payload) => {
    if (topic.startsWith(filter.replace('/#', '/').replace(/\+.*$/, ''))) got.push({ topic, payload });
  });
  return { got, ready: watcher.subscribeAsync(filter, { qos: 1 }) };
}

describe('takt-sim CLI', () => {
  it('record writes raw.jsonl in time order and truth.csv matching the injected faults; same seed, same bytes', async () => {
    const [a, b] = [join(dir.path, 'rec-a'), join(dir.path, 'rec-b')];
    const args = (out: string) => [
      'record',
      '--plant',
      plantFile,
      '--seed',
      '9',
      '--duration',
      '4',
      '--start',
      String(START),
      '--out',
      out,
    ];
    const [ra, rb] = await Promise.all([cli(args(a)), cli(args(b))]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code).toBe(0);
    expect(readFileSync(join(a, 'raw.jsonl')).equals(readFileSync(join(b, 'raw.jsonl')))).toBe(true);
    expect(readFileSync(join(a, 'truth.csv'), 'utf8')).toBe(
      [
        'machine,fault,start,end',
        `motor-1,sensor-stuck,${START + 500},${START + 1500}`,
        `pump-1,cavitation,${START + 1000},${START + 3000}`,
        `pump-1,bearing-wear,${START + 2500},${START + 62500}`,
        '',
      ].join('\n'),
    );
    const raw = readFileSync(join(a, 'raw.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => decode('raw', l));
    expect(raw).toHaveLength(80);
    expect(raw.map((r) => r.t0)).toEqual([...raw.map((r) => r.t0)].sort((x, y) => x - y));
    const truth = readFileSync(join(a, 'truth.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => decode('truth', l));
    expect(truth.map((t) => `${t.deviceId}:${t.fault}:${t.state}`)).toEqual([
      'motor-1:sensor-stuck:start',
      'pump-1:cavitation:start',
      'motor-1:sensor-stuck:end',
      'pump-1:bearing-wear:start',
      'pump-1:cavitation:end',
    ]);
  });

  it('run publishes valid raw batches and truth through takt-broker as a service user, paced in real time', async () => {
    const w = watch(topicFilter({ site: 'site-1' }));
    await w.ready;
    const r = await cli([
      'run',
      '--plant',
      plantFile,
      '--broker',
      broker.url,
      '--username',
      'service',
      '--password',
      'service-secret',
      '--seed',
      '3',
      '--duration',
      '3',
      '--stats',
      join(dir.path, 'stats.json'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    await new Promise((res) => setTimeout(res, 300));
    const decoded = w.got.map((m) => decodePublish(m.topic, m.payload));
    const raw = decoded.filter((d) => isPublishOn(d, 'raw'));
    expect(raw.filter((d) => d.topic.device === 'pump-1')).toHaveLength(30);
    expect(raw.filter((d) => d.topic.device === 'motor-1').map((d) => d.message.seq)).toEqual([...Array(30).keys()]);
    expect(decoded.filter((d) => d.topic.channel === 'truth').map((d) => d.topic.device)).toEqual([
      'motor-1',
      'pump-1',
      'motor-1',
      'pump-1',
    ]);
    const stats = JSON.parse(readFileSync(join(dir.path, 'stats.json'), 'utf8')) as {
      wallMs: number;
      keptUp: boolean;
      rawPublished: number;
    };
    expect(stats.rawPublished).toBe(60);
    expect(stats.wallMs).toBeGreaterThan(2900); // 3 simulated seconds never leave faster than real time
    expect(stats.keptUp).toBe(true);
    expect(raw[0]?.message.sensors['vibration']?.values).toHaveLength(100);
  });

  it('run rides out a broker that is SIGKILLed and restarted: it reconnects and publishes on, and ends with status 0', async () => {
    const own = await startTestBroker();
    const clients: MqttClient[] = [];
    const rawOf = async (): Promise<RawSampleBatch[]> => {
      const c = await connectClient(own.url, { username: 'engineer', password: 'engineer-secret' });
      clients.push(c);
      const got: RawSampleBatch[] = [];
      c.on('message', (topic, payload) => {
        const d = decodePublish(topic, payload);
        if (isPublishOn(d, 'raw') && d.topic.device === 'motor-1') got.push(d.message);
      });
      await c.subscribeAsync(topicFilter({ site: 'site-1', channel: 'raw' }), { qos: 0 });
      return got;
    };
    const until = async (what: () => boolean, ms: number) => {
      for (const end = Date.now() + ms; !what() && Date.now() < end;) await new Promise((res) => setTimeout(res, 50));
    };
    try {
      const before = await rawOf();
      const run = cli([
        'run',
        '--plant',
        plantFile,
        '--broker',
        own.url,
        '--username',
        'service',
        '--password',
        'service-secret',
        '--seed',
        '3',
        '--duration',
        '14',
      ]);
      await until(() => before.length >= 5, 15_000); // connected and publishing
      expect(before.length).toBeGreaterThanOrEqual(5);
      await own.kill();
      await new Promise((res) => setTimeout(res, 2_500)); // the simulator's reconnects are refused meanwhile
      await own.start();
      const after = await rawOf();
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/takt-sim: done/);
      // batches after the restart arrive, their seqs going on from where the run was
      expect(after.length).toBeGreaterThan(5);
      expect(after[0]?.seq).toBeGreaterThan(before[before.length - 1]?.seq ?? Number.POSITIVE_INFINITY);
    } finally {
      for (const c of clients) await c.endAsync(true);
      await own.close();
    }
  }, 60_000);

  it('BAD INPUT - a broker that refuses the credentials stops run with a clear error and exit status 3', async () => {
    const r = await cli([
      'run',
      '--plant',
      plantFile,
      '--broker',
      broker.url,
      '--username',
      'service',
      '--password',
      'wrong',
      '--duration',
      '5',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/\[BROKER_AUTH\].*refused the credentials of user "service"/);
  });

  it.skipIf(nab.absent)(`replay publishes a recorded CSV with values and order preserved${nab.skipNote}`, async () => {
    const csv = join(dir.path, 'nab-head.csv');
    writeFileSync(csv, readFileSync(NAB, 'utf8').split('\n').slice(0, 301).join('\n'));
    const w = watch(topicFilter({ device: 'nab-1', channel: 'raw' }));
    await w.ready;
    const r = await cli([
      'replay',
      '--csv',
      csv,
      '--time-column',
      'timestamp',
      '--device',
      'nab-1',
      '--site',
      'lab',
      '--line',
      'rig',
      '--speed',
      '300000',
      '--broker',
      broker.url,
      '--username',
      'service',
      '--password',
      'service-secret',
    ]);
    expect(r.code, r.stderr).toBe(0);
    await new Promise((res) => setTimeout(res, 300));
    const expected = readFileSync(csv, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[1]));
    const got = w.got.map((m) => decodePublish(m.topic, m.payload)).filter((d) => isPublishOn(d, 'raw')); // the watch is on raw only
    expect(got.map((d) => d.message.sensors['value']?.values[0])).toEqual(expected);
    expect(got.map((d) => d.message.seq)).toEqual([...Array(300).keys()]);
    expect(got[0]?.topic).toMatchObject({ site: 'lab', line: 'rig', device: 'nab-1' });
  });

  it('BAD INPUT - a CSV with a missing value, and an invalid plant file, exit 2 naming the line or field', async () => {
    const csv = join(dir.path, 'bad.csv');
    writeFileSync(csv, 'when;temp\n2024-01-01 00:00:00;20.5\n2024-01-01 00:00:10;\n');
    const r = await cli([
      'replay',
      '--csv',
      csv,
      '--time-column',
      'when',
      '--delimiter',
      ';',
      '--device',
      'x',
      '--broker',
      broker.url,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line 3: missing value in column temp');
    const bad = join(dir.path, 'bad-plant.json');
    writeFileSync(
      bad,
      JSON.stringify({
        sites: [
          {
            id: 's',
            lines: [{ id: 'l', machines: [{ id: 'm', type: 'pump', sensors: { vibration: { rate: 'fast' } } }] }],
          },
        ],
      }),
    );
    const p = await cli(['record', '--plant', bad, '--duration', '1', '--out', join(dir.path, 'x')]);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('sites[0].lines[0].machines[0].sensors.vibration.rate: expected number, got string');
  });
});
